package io.moestream.router;

import io.moestream.pipeline.Topics;
import io.moestream.routing.Placement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Which routed experts have a live consumer. Every second it reads the members of each rank's expert-service
 * group ({@code <prefix>expert-r<rank>}) and the expert topics assigned to them. An expert that no member has
 * held for {@link #GONE_AFTER} is unavailable, and the router gives it no slot: capacity 0, so its tokens go
 * to their other experts, and reassembly does not wait for it.
 *
 * <p>Static membership keeps a crashed service's member, with its partitions, for its session timeout (the
 * expert service's, 15 s): a service started again within that time never counts as gone, and its batches wait
 * in Kafka. One gone for good is unavailable about 15-20 s after it died, and available again once it is back in
 * its group; one that never came up, a minute ({@link #FIRST_JOIN}) after the router started. {@link #GONE_AFTER}
 * covers a rebalance, while partitions are between members. While the groups cannot be read (the broker is
 * away), every expert counts as available.
 */
final class ExpertAvailability implements SmartLifecycle {

    static final Duration GONE_AFTER = Duration.ofSeconds(3);
    /** How long after the router's start an expert that never had a consumer still counts as on its way. */
    static final Duration FIRST_JOIN = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(ExpertAvailability.class);
    private static final Duration EVERY = Duration.ofSeconds(1);

    private final KafkaClients clients;
    private final Map<String, Integer> expertOfTopic = new HashMap<>();
    private final List<String> groups;
    private final long[] lastHeld;
    private volatile int[] unavailable = new int[0];
    private volatile Thread thread;

    ExpertAvailability(KafkaClients clients, Topics topics, Placement placement) {
        this.clients = clients;
        IntStream.range(0, placement.experts()).forEach(e -> expertOfTopic.put(topics.expert(e), e));
        this.groups = IntStream.range(0, placement.ranks()).mapToObj(r -> topics.prefix() + "expert-r" + r).toList();
        this.lastHeld = new long[placement.experts()];
    }

    /** The experts without a live consumer, ascending; empty when every expert has one. */
    int[] unavailable() {
        return unavailable;
    }

    boolean isAvailable(int expert) {
        return Arrays.binarySearch(unavailable, expert) < 0;
    }

    @Override
    public synchronized void start() {
        Arrays.fill(lastHeld, System.currentTimeMillis() + FIRST_JOIN.minus(GONE_AFTER).toMillis());
        Thread watcher = new Thread(this::watch, "router-expert-availability");
        watcher.setDaemon(true);
        thread = watcher;
        watcher.start();
    }

    private void watch() {
        try (Admin admin = clients.admin()) {
            while (thread == Thread.currentThread()) {
                refresh(admin, System.currentTimeMillis());
                Thread.sleep(EVERY.toMillis());
            }
        } catch (InterruptedException e) {
            // stop() interrupted the wait: the watcher ends
        }
    }

    private void refresh(Admin admin, long now) throws InterruptedException {
        Map<String, ConsumerGroupDescription> described;
        try {
            described = admin.describeConsumerGroups(groups).all().get(EVERY.toMillis() * 5, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("cannot read the expert groups, so every expert counts as available: {}", e.toString());
            Arrays.fill(lastHeld, now);
            unavailable = new int[0];
            return;
        }
        for (ConsumerGroupDescription group : described.values()) {
            for (MemberDescription member : group.members()) {
                for (TopicPartition partition : member.assignment().topicPartitions()) {
                    Integer expert = expertOfTopic.get(partition.topic());
                    if (expert != null) {
                        lastHeld[expert] = now;
                    }
                }
            }
        }
        int[] gone = IntStream.range(0, lastHeld.length).filter(e -> now - lastHeld[e] > GONE_AFTER.toMillis())
                .toArray();
        if (!Arrays.equals(gone, unavailable)) {
            LOG.warn("experts without a live consumer: {}", gone.length == 0 ? "none" : Arrays.toString(gone));
        }
        unavailable = gone;
    }

    @Override
    public synchronized void stop() {
        Thread watcher = thread;
        thread = null;
        if (watcher != null) {
            watcher.interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }
}
