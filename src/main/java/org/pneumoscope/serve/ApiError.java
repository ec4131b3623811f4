package org.pneumoscope.serve;

import org.pneumoscope.core.DecodeException;

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

    /**
     * The answer to a film that cannot be read or used, the same from every door that takes films over HTTP or a
     * folder (the reasons never quote file contents).
     */
    public static ApiError of(DecodeException e) {
        switch (e.kind()) {
            case EMPTY: return badRequest("empty_file", "the uploaded file is empty");
            case NOT_AN_IMAGE: return badRequest("not_an_image", e.reason());
            case UNSUPPORTED: return unsupported(e.reason());
            case TOO_LARGE: return tooLarge(e.reason());
            case UNUSABLE: return unusable(e.reason());
            case TRUNCATED: case CORRUPT: return badRequest("corrupt_image", e.reason());
            default: return badRequest("unreadable_image", e.reason());
        }
    }

    /** The JSON body the REST API answers this error with. */
    public java.util.Map<String, Object> body() {
        java.util.Map<String, Object> b = new java.util.LinkedHashMap<>();
        b.put("error", code);
        b.put("detail", detail());
        return b;
    }

    static ApiError badRequest(String code, String detail) { return new ApiError(400, code, detail); }
    static ApiError tooLarge(String detail) { return new ApiError(413, "too_large", detail); }
    static ApiError unsupported(String detail) { return new ApiError(415, "unsupported_format", detail); }
    static ApiError unusable(String detail) { return new ApiError(422, "unusable_image", detail); }
}
