package io.moestream.expert.service;

import io.moestream.wire.ExpertRows;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Decides whether a record of an expert topic can be computed here. Everything that would make the kernel
 * throw, or turn one bad row into NaN outputs downstream, is refused here, record by record, so that one bad
 * record never rolls back the good ones polled with it.
 */
final class DispatchCheck {

    private final int hidden;
    private final Set<Integer> hosted;
    private final Set<Integer> layers;
    private final IntFunction<String> topicOf;

    /**
     * @param hosted the wire ids of the hosted experts
     * @param layers the MoE layers they are hosted for
     * @param topicOf the topic of each expert: a dispatch comes on its expert's topic or from no router
     */
    DispatchCheck(int hidden, Set<Integer> hosted, Set<Integer> layers, IntFunction<String> topicOf) {
        this.hidden = hidden;
        this.hosted = Set.copyOf(hosted);
        this.layers = Set.copyOf(layers);
        this.topicOf = topicOf;
    }

    Verdict check(String topic, byte[] value) {
        if (value == null) {
            return new Verdict.Refused(Rejection.UNDECODABLE, "undecodable: the record has no value");
        }
        ExpertRows rows;
        try {
            rows = ExpertRows.fromBytes(value);
        } catch (RuntimeException e) {
            // WireFormatException for a malformed envelope; anything else the decoder throws means the same.
            return new Verdict.Refused(Rejection.UNDECODABLE, "undecodable: " + e.getMessage());
        }
        if (!hosted.contains(rows.expert())) {
            return new Verdict.Refused(Rejection.NOT_HOSTED, "expert " + rows.expert() + " is not hosted here; hosted: "
                    + hosted.stream().sorted().toList());
        }
        if (!layers.contains(rows.layer())) {
            return new Verdict.Refused(Rejection.NOT_HOSTED, "layer " + rows.layer() + " is not an MoE layer hosted here;"
                    + " hosted: " + layers.stream().sorted().toList());
        }
        if (!topic.equals(topicOf.apply(rows.expert()))) {
            return new Verdict.Refused(Rejection.WRONG_TOPIC, "rows for expert " + rows.expert() + " on topic " + topic
                    + ", not on the expert's own " + topicOf.apply(rows.expert()));
        }
        if (rows.tokens().length == 0) {
            // The router sends no record to an expert without rows.
            return new Verdict.Refused(Rejection.EMPTY, "a dispatch of batch " + rows.batchId() + " without rows");
        }
        if (rows.hidden() != hidden) {
            return new Verdict.Refused(Rejection.HIDDEN_SIZE, "hidden size " + rows.hidden() + ", the layer has "
                    + hidden);
        }
        int bad = firstNonFinite(rows.rows());
        if (bad >= 0) {
            return new Verdict.Refused(Rejection.NON_FINITE, "non-finite value " + rows.rows()[bad] + " in row of token "
                    + rows.tokens()[bad / rows.hidden()] + " at column " + bad % rows.hidden());
        }
        return new Verdict.Accepted(rows);
    }

    private static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
