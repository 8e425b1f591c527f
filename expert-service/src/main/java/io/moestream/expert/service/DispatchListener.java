package io.moestream.expert.service;

import io.moestream.pipeline.DeadLetter;
import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Consumes the dispatches of the hosted experts a poll at a time and publishes their outputs and dead
 * letters. The container runs each poll in a Kafka transaction (Boot's KafkaTransactionManager, from
 * {@code spring.kafka.producer.transaction-id-prefix}) that also commits the consumed offsets, and the
 * template's sends join it: a crash before the commit redelivers the poll with none of its outputs
 * visible to read_committed consumers, so outputs are neither lost nor doubled.
 *
 * <p>Dense workers' dispatches come on topics of their own, which the {@link DenseDispatchLoop} of the same
 * service reads, outside any transaction.
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
        PolledDispatches polled = PolledDispatches.sort(records, check, false, topics,
                experts.layout().sourceRanks(), metrics);
        // The broker starts a transaction's timeout at its first send: everything is sent after the computation,
        // so a long one cannot run into it.
        List<ExpertRows> outputs = compute.compute(polled.accepted());
        for (PolledDispatches.Refusal refusal : polled.refusals()) {
            ConsumerRecord<byte[], byte[]> record = refusal.record();
            template.send(DeadLetter.record(topics, service, record.topic(), record.partition(), record.offset(),
                    record.key(), record.value(), refusal.verdict().reason()));
            metrics.deadLetter(refusal.verdict().kind());
        }
        for (ExpertRows output : outputs) {
            byte[] value = output.toBytes(wireType);
            template.send(topics.expertOutputs(), output.batchId().getBytes(StandardCharsets.UTF_8), value);
            metrics.wireBytes("out", value.length);
        }
    }
}
