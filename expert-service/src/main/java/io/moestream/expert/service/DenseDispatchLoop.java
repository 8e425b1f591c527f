package io.moestream.expert.service;

import io.moestream.pipeline.DeadLetter;
import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Computes the dense workers' dispatches: a consumer of the hosted experts' {@code dense-expert.<e>} topics
 * in a group of its own ({@code <prefix>expert-r<rank>-dense}), that sends each output at once to the
 * partition of {@code layer-outputs} the dispatch's reply header names. No transaction, and offsets committed
 * in the background: a worker waits for its outputs within a step and runs the step again when they do not
 * come, so an output lost in a crash is computed again, and one sent twice is dropped by the worker. The
 * pipeline's {@link DispatchListener} would make each layer of a decode step wait for its previous poll's
 * transaction to commit, tens of milliseconds on a busy broker. A new group starts at the beginning of the
 * topics, so that no dispatch sent while it joins waits out its worker's deadline; older steps cost a check
 * each, and a computation when they are a worker's, which drops their outputs.
 */
final class DenseDispatchLoop implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DenseDispatchLoop.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> replies;
    private final List<String> expertTopics;
    private final Topics topics;
    private final RankExperts experts;
    private final DispatchCheck check;
    private final ExpertCompute compute;
    private final ExpertMetrics metrics;
    private final WireType wireType;
    private final String service;
    private volatile Thread thread;

    DenseDispatchLoop(KafkaConsumer<byte[], byte[]> consumer, Producer<byte[], byte[]> replies, Topics topics,
                      RankExperts experts, ExpertCompute compute, ExpertMetrics metrics, WireType wireType) {
        this.consumer = consumer;
        this.replies = replies;
        this.topics = topics;
        this.experts = experts;
        this.expertTopics = experts.ids().stream().map(topics::denseExpert).toList();
        this.check = new DispatchCheck(experts.hidden(), experts.ids(), experts.layers(), topics::denseExpert);
        this.compute = compute;
        this.metrics = metrics;
        this.wireType = wireType;
        this.service = "expert-r" + experts.rank();
    }

    /** The group of the dense workers' dispatches of {@code rank}: replicas of one rank share it. */
    static String groupId(Topics topics, int rank) {
        return topics.prefix() + "expert-r" + rank + "-dense";
    }

    @Override
    public void start() {
        Thread loop = new Thread(this::run, service + "-dense-dispatches");
        thread = loop;
        loop.start();
    }

    private void run() {
        consumer.subscribe(expertTopics);
        try {
            while (thread != null) {
                handle(consumer.poll(POLL));
            }
        } catch (WakeupException e) {
            if (thread != null) {
                throw e;
            }
        } finally {
            consumer.close();
        }
    }

    private void handle(ConsumerRecords<byte[], byte[]> records) {
        PolledDispatches polled = PolledDispatches.sort(records, check, true, topics, experts.layout().sourceRanks(),
                metrics);
        List<ExpertRows> outputs = compute.compute(polled.accepted());
        for (int i = 0; i < outputs.size(); i++) {
            ExpertRows output = outputs.get(i);
            byte[] value = output.toBytes(wireType);
            replies.send(new ProducerRecord<>(topics.layerOutputs(), polled.replyPartitions().get(i),
                    output.batchId().getBytes(StandardCharsets.UTF_8), value));
            metrics.wireBytes("out", value.length);
        }
        for (PolledDispatches.Refusal refusal : polled.refusals()) {
            var record = refusal.record();
            LOG.warn("dense dispatch {}-{}@{} refused: {}", record.topic(), record.partition(), record.offset(),
                    refusal.verdict().reason());
            replies.send(DeadLetter.record(topics, service, record.topic(), record.partition(), record.offset(),
                    record.key(), record.value(), refusal.verdict().reason()));
            metrics.deadLetter(refusal.verdict().kind());
        }
    }

    @Override
    public void stop() {
        Thread loop = thread;
        thread = null;
        if (loop != null) {
            consumer.wakeup();
            try {
                loop.join(POLL.toMillis() * 4);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }
}
