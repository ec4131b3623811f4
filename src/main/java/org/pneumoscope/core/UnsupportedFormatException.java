package org.pneumoscope.core;


/**
 * A genuine image in an encoding Pneumoscope cannot decode, e.g. a DICOM file whose transfer syntax is
 * JPEG 2000 or JPEG-LS. Kept as its own type so the server can answer "415 Unsupported Media Type".
 */
public class UnsupportedFormatException extends DecodeException {
    public UnsupportedFormatException(String file, String reason) {
        super(file, Kind.UNSUPPORTED, reason);
    }
}
