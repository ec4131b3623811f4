package org.pneumoscope.dicom;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The modules every answer shares: Patient and General Study (copied from the source), the object's own series,
 * General Equipment and SOP Common.
 */
final class Header {
    private Header() {}

    static final DateTimeFormatter DA = DateTimeFormatter.ofPattern("yyyyMMdd");
    static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss");

    /** What identifies one new object. */
    record Identity(String sopClassUid, String sopInstanceUid, String seriesUid, int seriesNumber, String modality,
                    String seriesDescription, LocalDateTime created) {}

    static DataSet of(SourceStudy source, Identity id) {
        DataSet ds = new DataSet();
        source.copyTo(ds);
        String date = DA.format(id.created()), time = TM.format(id.created());
        ds.text(0x00080012, "DA", date)               // Instance Creation Date
                .text(0x00080013, "TM", time)         // Instance Creation Time
                .text(0x00080016, "UI", id.sopClassUid())
                .text(0x00080018, "UI", id.sopInstanceUid())
                .text(0x00080021, "DA", date)         // Series Date
                .text(0x00080023, "DA", date)         // Content Date
                .text(0x00080031, "TM", time)         // Series Time
                .text(0x00080033, "TM", time)         // Content Time
                .text(0x00080060, "CS", id.modality())
                .text(0x00080070, "LO", Product.MANUFACTURER)
                .text(0x0008103E, "LO", id.seriesDescription())
                .text(0x00081090, "LO", Product.MANUFACTURER) // Manufacturer's Model Name
                .texts(0x00181020, "LO", List.of(Product.SOFTWARE)) // Software Versions
                .text(0x0020000E, "UI", id.seriesUid())
                .text(0x00200011, "IS", Integer.toString(id.seriesNumber()))
                .text(0x00200013, "IS", "1");         // Instance Number
        return ds;
    }

    /** A reference to one instance (Referenced SOP Class and Instance UIDs). */
    static DataSet reference(String sopClassUid, String sopInstanceUid) {
        return new DataSet().text(0x00081150, "UI", sopClassUid).text(0x00081155, "UI", sopInstanceUid);
    }
}
