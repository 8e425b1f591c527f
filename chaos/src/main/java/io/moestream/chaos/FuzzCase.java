package io.moestream.chaos;

/**
 * One bad record of the fuzz corpus: where it goes, what it holds and what is wrong with it.
 *
 * @param name unique within a round, {@code <topic kind>/<what>}, as docs list it (chaos/FUZZ-CASES.md)
 * @param topic the topic it is written to
 * @param partition the partition, or {@code null} for the producer's choice
 * @param key the record key, or {@code null}
 * @param value the record value, or {@code null} (a tombstone)
 * @param wrong what is wrong with it, for people
 * @param traceKey the key of the dead letter when a service further down refuses what the record became (its
 *        batch id or request id: a well-formed record from a broken peer is refused only where it cannot fit), or
 *        {@code null} when the service that reads it must refuse it itself
 * @param expect where it must end
 */
record FuzzCase(String name, String topic, Integer partition, byte[] key, byte[] value, String wrong, String traceKey,
                Expect expect) {

    enum Expect {
        /** One dead letter on {@code dead-letter} with a reason. */
        DEAD_LETTER,
        /** The broker refuses it (past the topic's {@code max.message.bytes}): it never reaches a service. */
        REFUSED_BY_BROKER
    }

    /** The kind of topic, the part of the name before the slash: {@code prompts}, {@code control}, ... */
    String kind() {
        return name.substring(0, name.indexOf('/'));
    }
}
