package io.moestream.expert.service;

import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One poll's dispatches checked ({@link DispatchCheck}) for one of the two readers: the single-layer
 * pipeline's ({@link DispatchListener}) or the dense workers' ({@link DenseDispatchLoop}), which must name the
 * partition of {@code layer-outputs} their outputs go to.
 *
 * @param accepted dispatches to compute, with the partition of {@code layer-outputs} their outputs go to
 *        ({@code null} for the pipeline's)
 */
record PolledDispatches(List<ExpertRows> accepted, List<Integer> replyPartitions, List<Refusal> refusals) {

    /** A record that cannot be computed here, and why. */
    record Refusal(ConsumerRecord<byte[], byte[]> record, Verdict.Refused verdict) {
    }

    /**
     * @param dense true for the dense workers' records, whose reply header is required; the pipeline's go to
     *        {@code expert-outputs}
     * @param sourceRanks partitions of {@code layer-outputs}
     */
    static PolledDispatches sort(Iterable<ConsumerRecord<byte[], byte[]>> records, DispatchCheck check, boolean dense,
                                 Topics topics, int sourceRanks, ExpertMetrics metrics) {
        List<ExpertRows> accepted = new ArrayList<>();
        List<Integer> replyPartitions = new ArrayList<>();
        List<Refusal> refusals = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            metrics.wireBytes("in", record.value() == null ? 0 : record.value().length);
            Verdict verdict = check.check(record.topic(), record.value());
            Header reply = dense ? record.headers().lastHeader(Topics.REPLY_PARTITION_HEADER) : null;
            Integer replyPartition = reply == null ? null : replyPartition(reply.value(), sourceRanks);
            if (dense && replyPartition == null) {
                verdict = new Verdict.Refused(Rejection.BAD_REPLY, Topics.REPLY_PARTITION_HEADER + " header "
                        + (reply == null ? "missing" : new String(reply.value(), StandardCharsets.UTF_8)
                        + " is not a partition of " + topics.layerOutputs() + " (0.." + (sourceRanks - 1) + ")"));
            }
            if (verdict instanceof Verdict.Accepted ok) {
                accepted.add(ok.dispatch());
                replyPartitions.add(replyPartition);
            } else if (verdict instanceof Verdict.Refused refused) {
                refusals.add(new Refusal(record, refused));
            }
        }
        return new PolledDispatches(accepted, replyPartitions, refusals);
    }

    /** The partition a reply header names, or {@code null} when it names none of {@code 0..sourceRanks-1}. */
    private static Integer replyPartition(byte[] header, int sourceRanks) {
        try {
            int partition = Integer.parseInt(new String(header, StandardCharsets.UTF_8));
            return partition >= 0 && partition < sourceRanks ? partition : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
