package io.moestream.gateway;

/**
 * Input the gateway refuses: the REST API answers 400 with {@link #getMessage()}, the Kafka paths
 * dead-letter the record with it.
 */
public final class BadInputException extends RuntimeException {

    private final String reasonClass;

    /** @param reasonClass a low-cardinality label for the dead-letter metric, such as {@code prompt-json} */
    public BadInputException(String reasonClass, String reason) {
        super(reason, null, false, false);
        this.reasonClass = reasonClass;
    }

    public String reasonClass() {
        return reasonClass;
    }
}
