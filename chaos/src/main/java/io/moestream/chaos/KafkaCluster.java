package io.moestream.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * Three Kafka nodes in KRaft combined mode (each a controller and a broker), each its own JVM from
 * the project's Kafka jars, on fixed loopback ports so that a restarted node comes back where its
 * peers and the clients expect it (docs/STACK.md). Durability as a production cluster would have
 * it: replication factor 3 and {@code min.insync.replicas=2} for every topic, the internal ones
 * included, and no unclean leader election; only the internal topics' partition counts are cut
 * for two cores.
 */
final class KafkaCluster implements AutoCloseable {

    static final int NODES = 3;
    static final short REPLICATION_FACTOR = 3;
    static final int MIN_INSYNC_REPLICAS = 2;

    private static final String HOST = "127.0.0.1";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final int HEAP_MB = 384;
    private static final Duration POLL = Duration.ofMillis(200);

    private final Path dir;
    private final int portBase;
    private final String classPath;
    private final String clusterId = Uuid.randomUuid().toString();
    private final List<ChildProcess> nodes = new ArrayList<>();
    private Admin admin;

    /**
     * @param portBase node {@code n} (1..3) listens on {@code portBase + n - 1} for clients and on
     *        {@code portBase + 2 + n} for the controller quorum
     * @param classPath Kafka's jars
     */
    KafkaCluster(Path dir, int portBase, String classPath) {
        this.dir = dir;
        this.portBase = portBase;
        this.classPath = classPath;
    }

    String bootstrapServers() {
        return java.util.stream.IntStream.rangeClosed(1, NODES).mapToObj(n -> HOST + ":" + clientPort(n))
                .collect(Collectors.joining(","));
    }

    private int clientPort(int node) {
        return portBase + node - 1;
    }

    private int controllerPort(int node) {
        return portBase + NODES + node - 1;
    }

    /** Formats each node's storage, starts the three JVMs and waits until all three serve as brokers. */
    KafkaCluster start(Duration timeout) {
        try {
            Path logback = dir.resolve("logback-broker.xml");
            Files.writeString(logback, LOGBACK, StandardCharsets.UTF_8);
            for (int n = 1; n <= NODES; n++) {
                Path data = Files.createDirectories(dir.resolve("kafka-" + n));
                Path tmp = Files.createDirectories(dir.resolve("tmp-kafka-" + n));
                Path config = dir.resolve("kafka-" + n + ".properties");
                try (var out = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
                    properties(n, data).store(out, "node " + n + " of the chaos harness's cluster");
                }
                format(n, data);
                nodes.add(new ChildProcess("kafka-" + n, JvmCommand.main(HEAP_MB, tmp,
                        List.of("-Dlogback.configurationFile=" + logback), classPath, "kafka.Kafka", config.toString()),
                        JvmCommand.inheritedEnvironment(), dir.resolve("kafka-" + n + ".log")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the Kafka nodes in " + dir + ": " + e.getMessage(), e);
        }
        nodes.forEach(ChildProcess::start);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
        for (int n = 1; n <= NODES; n++) {
            awaitBroker(n, timeout);
        }
        return this;
    }

    Admin admin() {
        return admin;
    }

    /** The process of node {@code n}, 1..3. */
    ChildProcess node(int n) {
        return nodes.get(n - 1);
    }

    List<ChildProcess> nodes() {
        return List.copyOf(nodes);
    }

    /** The node that leads the controller quorum now. */
    int activeController() {
        return get(() -> admin.describeMetadataQuorum().quorumInfo().get().leaderId(), "the active controller");
    }

    /**
     * The node other than {@code excluded} that leads the most partitions of the topics that are not Kafka's
     * own: a restarted node leads nothing until leaders are rebalanced, and killing it would hit no one.
     */
    int busiestLeaderBut(int excluded) {
        Map<Integer, Long> led = get(this::describeAll, "the topics").values().stream()
                .filter(t -> !t.name().startsWith("__"))
                .flatMap(t -> t.partitions().stream())
                .filter(p -> p.leader() != null && p.leader().id() != excluded)
                .collect(Collectors.groupingBy(p -> p.leader().id(), Collectors.counting()));
        return led.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(excluded % NODES + 1);
    }

    /**
     * Waits until node {@code n} itself answers as a broker of the cluster; returns how long that took.
     * Asked through the cluster, a node killed moments ago still looks alive until its session expires.
     */
    Duration awaitBroker(int n, Duration timeout) {
        try (Admin direct = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + clientPort(n),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            return await(() -> tryGet(() -> direct.describeCluster().nodes().get().stream().mapToInt(Node::id)
                    .anyMatch(id -> id == n)), timeout, "broker " + n + " to join the cluster");
        }
    }

    /**
     * Waits until every partition of every topic has all its replicas in sync again, so that the next
     * fault hits a healthy cluster; returns how long that took.
     */
    Duration awaitFullIsr(Duration timeout) {
        return await(() -> underReplicated().isEmpty(), timeout, "every partition to have " + NODES
                + " in-sync replicas");
    }

    /** Partitions with fewer in-sync replicas than replicas, as {@code topic-partition}, or why that is unknown. */
    List<String> underReplicated() {
        Map<String, TopicDescription> topics = tryGet(this::describeAll);
        if (topics == null) {
            return List.of("(metadata unavailable)");
        }
        List<String> under = new ArrayList<>();
        topics.values().forEach(topic -> topic.partitions().stream()
                .filter(p -> p.isr().size() < p.replicas().size())
                .forEach(p -> under.add(topic.name() + "-" + p.partition())));
        return under;
    }

    /** Topics with fewer replicas than the cluster's replication factor, with theirs. */
    Map<String, Integer> underReplicatedTopics() {
        return get(this::describeAll, "the topics").values().stream()
                .filter(t -> t.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0)
                        < REPLICATION_FACTOR)
                .collect(Collectors.toMap(TopicDescription::name, t -> t.partitions().stream()
                        .map(TopicPartitionInfo::replicas).mapToInt(List::size).min().orElse(0)));
    }

    private Map<String, TopicDescription> describeAll() throws InterruptedException, ExecutionException {
        Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
        return admin.describeTopics(names).allTopicNames().get();
    }

    /**
     * Creates {@code topics} with every replica the cluster has, keeping their partitions and configs:
     * the services create missing topics themselves, with one replica, which a broker kill would take
     * offline.
     */
    void createReplicated(Collection<NewTopic> topics, Duration timeout) {
        List<NewTopic> replicated = topics.stream()
                .map(t -> new NewTopic(t.name(), t.numPartitions(), REPLICATION_FACTOR).configs(t.configs()))
                .toList();
        get(() -> admin.createTopics(replicated).all().get(), "the pipeline's topics");
        await(() -> tryGet(() -> {
            admin.describeTopics(replicated.stream().map(NewTopic::name).toList()).allTopicNames().get().values()
                    .forEach(t -> t.partitions().forEach(p -> {
                        if (p.leader() == null) {
                            throw new IllegalStateException("no leader yet");
                        }
                    }));
            return true;
        }) != null, timeout, "leaders for the pipeline's topics");
    }

    private Properties properties(int n, Path data) {
        String voters = java.util.stream.IntStream.rangeClosed(1, NODES)
                .mapToObj(v -> v + "@" + HOST + ":" + controllerPort(v)).collect(Collectors.joining(","));
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(n));
        p.put("controller.quorum.voters", voters);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort(n) + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                + controllerPort(n));
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort(n));
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", data.toString());
        p.put("auto.create.topics.enable", "false");
        p.put("default.replication.factor", Short.toString(REPLICATION_FACTOR));
        p.put("min.insync.replicas", Integer.toString(MIN_INSYNC_REPLICAS));
        p.put("unclean.leader.election.enable", "false");
        p.put("offsets.topic.replication.factor", Short.toString(REPLICATION_FACTOR));
        p.put("transaction.state.log.replication.factor", Short.toString(REPLICATION_FACTOR));
        p.put("transaction.state.log.min.isr", Integer.toString(MIN_INSYNC_REPLICAS));
        p.put("share.coordinator.state.topic.replication.factor", Short.toString(REPLICATION_FACTOR));
        p.put("share.coordinator.state.topic.min.isr", Integer.toString(MIN_INSYNC_REPLICAS));
        // Two cores: 3 instead of 50 partitions for the internal topics, fewer threads, a smaller cleaner buffer.
        p.put("offsets.topic.num.partitions", "3");
        p.put("transaction.state.log.num.partitions", "3");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20));
        p.put("group.initial.rebalance.delay.ms", "0");
        // A node killed with kill -9 keeps leading its partitions until the active controller stops hearing from it:
        // 9 s by default, and counted again from the start when the controller itself was the one killed. 3 s, with
        // a heartbeat every 500 ms, fails over faster and still tolerates a node that loses the CPU for a few beats.
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        return p;
    }

    private void format(int n, Path data) {
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setNodeId(n)
                    .setClusterId(clusterId)
                    .setDirectories(List.of(data.toString()))
                    .setMetadataLogDirectory(data.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the storage of Kafka node " + n + " in " + data + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
        nodes.forEach(ChildProcess::close);
    }

    /** A Kafka admin call that must succeed. */
    interface Call<T> {
        T call() throws InterruptedException, ExecutionException;
    }

    static <T> T get(Call<T> call, String what) {
        try {
            return call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking Kafka for " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot get " + what + " from Kafka: " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /** A Kafka admin call that may fail while a node is down: null then. */
    static <T> T tryGet(Call<T> call) {
        try {
            return call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking Kafka", e);
        } catch (ExecutionException | RuntimeException e) {
            return null;
        }
    }

    /** Polls {@code condition} until it holds; returns how long that took. */
    static Duration await(Supplier<Boolean> condition, Duration timeout, String what) {
        long begin = System.nanoTime();
        long deadline = begin + timeout.toNanos();
        while (!Boolean.TRUE.equals(condition.get())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Sleep.of(POLL);
        }
        return Duration.ofNanos(System.nanoTime() - begin);
    }

    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <!-- Warnings, plus start-up, shutdown and quorum elections. -->
              <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
              <logger name="org.apache.kafka.raft.QuorumState" level="INFO"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
}
