package org.pneumoscope.dicom;

import org.pneumoscope.core.Label;

/**
 * A coded concept (Code Value, Coding Scheme Designator, Code Meaning; PS3.3 8.8) and the codes the report uses.
 *
 * <p>Standard codes where they exist: SNOMED CT ("SCT") for the findings, DICOM's own controlled terminology
 * ("DCM", PS3.16 Annex D) for the report's structure. SNOMED CT: 233604007 |Pneumonia (disorder)|, 53084003
 * |Bacterial pneumonia (disorder)| and 75570004 |Viral pneumonia (disorder)| (both children of 233604007), and
 * 17621005 |Normal (qualifier value)|, the value DICOM's context groups use for a normal finding. The rest are the
 * project's own scheme {@value #PRIVATE_SCHEME}, declared in each report's Coding Scheme Identification Sequence
 * (PS3.3 C.12.1.1.2; a designator starting with "99" is private by convention).
 */
public record Code(String value, String scheme, String meaning) {
    public static final String PRIVATE_SCHEME = "99PNEUMOSCOPE";

    public static final Code PNEUMONIA = new Code("233604007", "SCT", "Pneumonia");
    public static final Code BACTERIAL_PNEUMONIA = new Code("53084003", "SCT", "Bacterial pneumonia");
    public static final Code VIRAL_PNEUMONIA = new Code("75570004", "SCT", "Viral pneumonia");
    public static final Code NORMAL = new Code("17621005", "SCT", "Normal");

    public static final Code FINDING = new Code("121071", "DCM", "Finding");
    public static final Code ALGORITHM_NAME = new Code("111001", "DCM", "Algorithm Name");
    public static final Code ALGORITHM_VERSION = new Code("111003", "DCM", "Algorithm Version");
    public static final Code SOURCE = new Code("260753009", "SCT", "Source");
    public static final Code NO_UNITS = new Code("1", "UCUM", "no units");

    public static final Code REPORT = new Code("PNS001", PRIVATE_SCHEME, "Chest X-ray classification");
    public static final Code PROBABILITY = new Code("PNS002", PRIVATE_SCHEME, "Calibrated probability");
    public static final Code NOTICE = new Code("PNS003", PRIVATE_SCHEME, "Research use notice");

    /** The finding a class stands for. */
    public static Code of(Label l) {
        switch (l) {
            case BACTERIA: return BACTERIAL_PNEUMONIA;
            case VIRUS: return VIRAL_PNEUMONIA;
            default: return NORMAL;
        }
    }

    DataSet item() {
        return new DataSet().text(0x00080100, "SH", value).text(0x00080102, "SH", scheme).text(0x00080104, "LO", meaning);
    }
}
