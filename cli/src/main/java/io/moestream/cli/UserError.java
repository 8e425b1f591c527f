package io.moestream.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * A mistake in what the user gave us (a file, a line of it, an option value), reported as one line
 * and exit code 2 by {@link ErrorReporter}. Its stack trace would only point at our own code.
 */
final class UserError extends RuntimeException {

    UserError(String message) {
        super(message, null, false, false);
    }

    /** The error for a file that could not be read or written, without Java's exception names. */
    static UserError io(String file, IOException e) {
        String reason;
        if (e instanceof NoSuchFileException) {
            reason = "no such file or directory";
        } else if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else {
            reason = e.getMessage();
        }
        return new UserError(file + ": " + reason);
    }
}
