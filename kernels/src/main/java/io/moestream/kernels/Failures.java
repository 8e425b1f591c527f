package io.moestream.kernels;

/**
 * One-line reasons from native-loading failures, for logs and health output. JCuda's
 * UnsatisfiedLinkError carries a page of nested stack traces whose last error line is the one that says
 * what is missing (such as "libcuda.so.1: cannot open shared object file").
 */
final class Failures {

    private Failures() {
    }

    static String summary(Throwable failure) {
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            return failure.getClass().getSimpleName();
        }
        String line = message.lines().findFirst().orElse("");
        for (String candidate : (Iterable<String>) message.lines()::iterator) {
            if (candidate.startsWith("java.lang.") && candidate.contains("Error: ")) {
                line = candidate.substring(candidate.indexOf("Error: ") + "Error: ".length());
            }
        }
        return failure.getClass().getSimpleName() + ": " + line.strip();
    }
}
