package io.moestream.wire;

/** A record that is not valid moe-stream wire format; the message says what was wrong and where. */
public final class WireFormatException extends RuntimeException {

    public WireFormatException(String message) {
        super(message);
    }
}
