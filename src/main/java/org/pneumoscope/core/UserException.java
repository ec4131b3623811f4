package org.pneumoscope.core;

/** A problem the user can fix (bad file, missing class, wrong option): printed as one line, no stack trace. */
public class UserException extends RuntimeException {
    private final int exitCode;

    public UserException(String message) { this(message, 1); }

    public UserException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() { return exitCode; }
}
