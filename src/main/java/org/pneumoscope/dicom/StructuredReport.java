package org.pneumoscope.dicom;

import org.pneumoscope.api.Prediction;
import org.pneumoscope.core.Label;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The answer as a Comprehensive SR document (PS3.3 A.35.3). Its content tree:
 *
 * <pre>
 * CONTAINER  (PNS001, 99PNEUMOSCOPE, "Chest X-ray classification")
 *   CONTAINS CODE  (121071, DCM, "Finding") = the predicted class (SNOMED CT, see {@link Code})
 *   CONTAINS NUM   (PNS002, 99PNEUMOSCOPE, "Calibrated probability") = p, unit (1, UCUM, "no units")
 *     HAS CONCEPT MOD CODE (121071, DCM, "Finding") = the class p belongs to
 *   ... one NUM per class, and one for pneumonia (bacterial + viral)
 *   CONTAINS TEXT  (111001, DCM, "Algorithm Name") = the model
 *   CONTAINS TEXT  (111003, DCM, "Algorithm Version") = which trained weights
 *   CONTAINS IMAGE (260753009, SCT, "Source") = the film that was read
 *   CONTAINS TEXT  (PNS003, 99PNEUMOSCOPE, "Research use notice") = {@link #NOTICE}
 * </pre>
 *
 * The document follows no standard template (none covers a classifier's output), so it declares none.
 */
final class StructuredReport {
    private StructuredReport() {}

    static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.33"; // Comprehensive SR Storage
    /** The disclaimer, in ASCII: text attributes are written in the source's character set, which may lack a dash. */
    static final String NOTICE = "RESEARCH USE - NOT FOR DIAGNOSIS. Produced by software that is not a medical device; "
            + "a clinician must not act on it.";

    static DataSet build(SourceStudy source, Header.Identity id, Prediction p, Product product) {
        DataSet ds = Header.of(source, id);
        ds.emptySequence(0x00081111); // Referenced Performed Procedure Step Sequence (type 2)
        ds.sequence(0x00080110, List.of(privateScheme()), false); // Coding Scheme Identification Sequence
        ds.text(0x0040A491, "CS", "COMPLETE")   // Completion Flag
                .text(0x0040A493, "CS", "UNVERIFIED") // Verification Flag: no person has signed it
                .emptySequence(0x0040A372);     // Performed Procedure Code Sequence (type 2)
        ds.sequence(0x0040A375, List.of(evidence(source)), false); // Current Requested Procedure Evidence Sequence
        ds.text(0x0040A040, "CS", "CONTAINER")
                .sequence(0x0040A043, Code.REPORT.item())
                .text(0x0040A050, "CS", "SEPARATE");   // Continuity Of Content
        ds.sequence(0x0040A730, content(source, p, product), true);
        return ds;
    }

    private static List<DataSet> content(SourceStudy source, Prediction p, Product product) {
        List<DataSet> items = new ArrayList<>();
        items.add(item("CONTAINS", "CODE", Code.FINDING).sequence(0x0040A168, Code.of(p.label()).item()));
        for (Label l : Label.values()) items.add(probability(p.probability(l), Code.of(l)));
        items.add(probability(p.probability(Label.BACTERIA) + p.probability(Label.VIRUS), Code.PNEUMONIA));
        items.add(text(Code.ALGORITHM_NAME, product.modelName()));
        items.add(text(Code.ALGORITHM_VERSION, product.modelVersion()));
        items.add(item("CONTAINS", "IMAGE", Code.SOURCE)
                .sequence(0x00081199, Header.reference(source.sopClassUid(), source.sopInstanceUid())));
        items.add(text(Code.NOTICE, NOTICE));
        return items;
    }

    private static DataSet probability(double p, Code finding) {
        DataSet value = new DataSet()
                .sequence(0x004008EA, Code.NO_UNITS.item()) // Measurement Units Code Sequence
                .text(0x0040A30A, "DS", String.format(Locale.ROOT, "%.6f", Math.max(0, Math.min(1, p))));
        DataSet modifier = item("HAS CONCEPT MOD", "CODE", Code.FINDING).sequence(0x0040A168, finding.item());
        return item("CONTAINS", "NUM", Code.PROBABILITY)
                .sequence(0x0040A300, value) // Measured Value Sequence
                .sequence(0x0040A730, List.of(modifier), true);
    }

    private static DataSet text(Code concept, String value) {
        return item("CONTAINS", "TEXT", concept).text(0x0040A160, "UT", value);
    }

    private static DataSet item(String relationship, String valueType, Code concept) {
        return new DataSet().text(0x0040A010, "CS", relationship).text(0x0040A040, "CS", valueType)
                .sequence(0x0040A043, concept.item());
    }

    /** The source film, listed as the evidence the document was made from (study, series, instance). */
    private static DataSet evidence(SourceStudy source) {
        DataSet series = new DataSet().text(0x0020000E, "UI", source.seriesUid())
                .sequence(0x00081199, Header.reference(source.sopClassUid(), source.sopInstanceUid()));
        return new DataSet().text(0x0020000D, "UI", source.studyUid()).sequence(0x00081115, series);
    }

    private static DataSet privateScheme() {
        return new DataSet().text(0x00080102, "SH", Code.PRIVATE_SCHEME)
                .text(0x00080115, "ST", "Pneumoscope concepts")              // Coding Scheme Name
                .text(0x00080116, "ST", "The Pneumoscope project");          // Coding Scheme Responsible Organization
    }
}
