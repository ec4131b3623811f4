package org.pneumoscope.serve;

/**
 * A request the server refuses, answered as JSON {@code {"error": code, "detail": sentence}} with an HTTP status.
 * The detail is written by Pneumoscope (or is a decoder reason, which never quotes file contents), so it is safe
 * to show: it cannot carry a patient's name from a DICOM header.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final Integer retryAfterSeconds;

    public ApiError(int status, String code, String detail) {
        this(status, code, detail, null);
    }

    public ApiError(int status, String code, String detail, Integer retryAfterSeconds) {
        super(detail, null, false, false); // no stack trace: these are expected outcomes, not bugs
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() { return status; }
    public String code() { return code; }
    public String detail() { return getMessage(); }
    public Integer retryAfterSeconds() { return retryAfterSeconds; }

    static ApiError badRequest(String code, String detail) { return new ApiError(400, code, detail); }
    static ApiError tooLarge(String detail) { return new ApiError(413, "too_large", detail); }
    static ApiError unsupported(String detail) { return new ApiError(415, "unsupported_format", detail); }
    static ApiError unusable(String detail) { return new ApiError(422, "unusable_image", detail); }
}
