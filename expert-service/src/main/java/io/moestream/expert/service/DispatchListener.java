package io.moestream.expert.service;

import io.moestream.pipeline.DeadLetter;
import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Consumes the dispatches of the hosted experts a poll at a time and publishes their outputs and dead
 * letters. The container runs each poll in a Kafka transaction (Boot's KafkaTransactionManager, from
 * {@code spring.kafka.producer.transaction-id-prefix}) that also commits the consumed offsets, and the
 * template's sends join it: a crash before the commit redelivers the poll with none of its outputs
 * visible to read_committed consumers, so outputs are neither lost nor doubled.
 *
 * <p>Public, with public accessors, because the listener annotation reads the topics and group from it.
 */
public class DispatchListener {

    static final String ID = "expert-dispatches";

    private final Topics topics;
    private final RankExperts experts;
    private final WireType wireType;
    private final DispatchCheck check;
    private final ExpertCompute compute;
    private final ExpertMetrics metrics;
    private final KafkaTemplate<byte[], byte[]> template;
    private final String service;

    DispatchListener(Topics topics, RankExperts experts, WireType wireType, ExpertCompute compute, ExpertMetrics metrics,
                     KafkaTemplate<byte[], byte[]> template) {
        this.topics = topics;
        this.experts = experts;
        this.wireType = wireType;
        this.check = new DispatchCheck(experts.hidden(), experts.ids(), experts.layers(), topics::expert);
        this.compute = compute;
        this.metrics = metrics;
        this.template = template;
        this.service = "expert-r" + experts.rank();
    }

    public List<String> getTopics() {
        return experts.ids().stream().map(topics::expert).toList();
    }

    /** Replicas of one rank share the group, and so its experts' partitions. */
    public String getGroupId() {
        return topics.prefix() + "expert-r" + experts.rank();
    }

    @KafkaListener(id = ID, topics = "#{__listener.topics}", groupId = "#{__listener.groupId}", batch = "true")
    public void onPoll(List<ConsumerRecord<byte[], byte[]>> records) {
        metrics.polled(records.size());
        record Refusal(ConsumerRecord<byte[], byte[]> record, Verdict.Refused verdict) {
        }
        List<ExpertRows> dispatches = new ArrayList<>(records.size());
        List<Integer> replyPartitions = new ArrayList<>(records.size());
        List<Refusal> refusals = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            metrics.wireBytes("in", record.value() == null ? 0 : record.value().length);
            Verdict verdict = check.check(record.topic(), record.value());
            Header reply = record.headers().lastHeader(Topics.REPLY_PARTITION_HEADER);
            Integer replyPartition = reply == null ? null : replyPartition(reply.value());
            if (reply != null && replyPartition == null) {
                verdict = new Verdict.Refused(Rejection.BAD_REPLY, Topics.REPLY_PARTITION_HEADER + " header "
                        + new String(reply.value(), StandardCharsets.UTF_8) + " is not a partition of "
                        + topics.layerOutputs() + " (0.." + (experts.layout().sourceRanks() - 1) + ")");
            }
            if (verdict instanceof Verdict.Accepted accepted) {
                dispatches.add(accepted.dispatch());
                replyPartitions.add(replyPartition);
            } else if (verdict instanceof Verdict.Refused refused) {
                refusals.add(new Refusal(record, refused));
            }
        }
        // The broker starts a transaction's timeout at its first send: everything is sent after the computation,
        // so a long one cannot run into it.
        List<ExpertRows> outputs = compute.compute(dispatches);
        for (Refusal refusal : refusals) {
            ConsumerRecord<byte[], byte[]> record = refusal.record();
            template.send(DeadLetter.record(topics, service, record.topic(), record.partition(), record.offset(),
                    record.key(), record.value(), refusal.verdict().reason()));
            metrics.deadLetter(refusal.verdict().kind());
        }
        for (int i = 0; i < outputs.size(); i++) {
            ExpertRows output = outputs.get(i);
            byte[] value = output.toBytes(wireType);
            byte[] key = output.batchId().getBytes(StandardCharsets.UTF_8);
            Integer reply = replyPartitions.get(i);
            if (reply == null) {
                template.send(topics.expertOutputs(), key, value);
            } else {
                template.send(topics.layerOutputs(), reply, key, value);
            }
            metrics.wireBytes("out", value.length);
        }
    }

    /** The dense worker's partition of layer-outputs its header names, or {@code null} when it names none. */
    private Integer replyPartition(byte[] header) {
        try {
            int partition = Integer.parseInt(new String(header, StandardCharsets.UTF_8));
            return partition >= 0 && partition < experts.layout().sourceRanks() ? partition : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
