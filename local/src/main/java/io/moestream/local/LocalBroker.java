package io.moestream.local;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka (KRaft controller and broker in one) running inside this JVM, for local mode
 * and tests: a real broker without Docker. Clients reach it at {@link #bootstrapServers()}.
 *
 * <p>Port 0 picks a free port, as tests want; local mode uses a fixed one (9092) so that other
 * tools find it. Without a data directory the broker keeps its logs in a temporary directory that
 * {@link #close()} removes; a given directory is kept, and a later broker on it finds its topics.
 */
public final class LocalBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalBroker.class);

    private static final String HOST = "localhost";
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /**
     * The same for every local broker ("moe-stream-local" in base64): there is one node and no
     * cluster to tell it from, and a kept data directory must match the id on the next start.
     */
    private static final String CLUSTER_ID = "bW9lLXN0cmVhbS1sb2NhbA";

    private final int requestedPort;
    private final Path requestedDataDir;
    private Path dataDir;
    private int port;
    private KafkaRaftServer server;

    /** A broker on {@code port} (0: any free port) with its data in a temporary directory. */
    public LocalBroker(int port) {
        this(port, null);
    }

    /**
     * @param dataDir where the broker keeps its logs, created if missing and kept on close;
     *        {@code null} for a temporary directory removed on close
     */
    public LocalBroker(int port, Path dataDir) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        this.requestedPort = port;
        this.requestedDataDir = dataDir;
    }

    /** Formats the storage (once per data directory) and starts the broker; returns when it serves clients. */
    public synchronized LocalBroker start() {
        if (server != null) {
            throw new IllegalStateException("the broker is already running at " + bootstrapServers());
        }
        keepKafkaFromExitingTheJvm();
        try {
            dataDir = requestedDataDir != null ? Files.createDirectories(requestedDataDir)
                    : Files.createTempDirectory("moe-kafka-");
            port = requestedPort != 0 ? requestedPort : freePort();
            KafkaConfig config = KafkaConfig.fromProps(properties(port, freePort(), dataDir));
            format(config);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
        } catch (IOException e) {
            deleteTemporaryData();
            throw new UncheckedIOException("cannot start the local Kafka broker: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("cannot start the local Kafka broker on port " + port + ": "
                    + e.getMessage() + reason(e), e);
        }
        LOG.info("Kafka broker (KRaft, single node) at {}, data in {}", bootstrapServers(), dataDir);
        return this;
    }

    /** {@code localhost:<port>}; valid once started. */
    public String bootstrapServers() {
        if (port == 0) {
            throw new IllegalStateException("the broker has not been started");
        }
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Shuts the broker down cleanly and removes its data when it was temporary; a second close does nothing. */
    @Override
    public synchronized void close() {
        if (server != null) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } finally {
                server = null;
            }
        }
        deleteTemporaryData();
    }

    /**
     * Replication factors of 1 everywhere, since there is one node; fewer partitions for the
     * internal topics than a cluster's 50, which makes the first consumer group and the first
     * transaction (Kafka Streams exactly-once) start in a fraction of the time; no delay before a
     * group's first rebalance, which would only slow every service start down.
     */
    private static Properties properties(int port, int controllerPort, Path dataDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner (compacted topics: control, consumer offsets) reserves 128 MiB by default.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20));
        return p;
    }

    /** A KRaft node refuses unformatted storage; formatting an already formatted directory is skipped. */
    private static void format(KafkaConfig config) {
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(CLUSTER_ID)
                    .setDirectories(List.of(config.metadataLogDir()))
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the broker storage in " + config.metadataLogDir() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * On a fatal error the broker calls {@code Exit}, which by default ends the JVM, and with it every
     * service local mode runs beside the broker. Installed for good: broker threads may still call it
     * while they wind down after {@link #close()}.
     */
    private static void keepKafkaFromExitingTheJvm() {
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("the local Kafka broker asked to exit (" + status + "): " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("the local Kafka broker asked to halt (" + status + "): " + message);
        });
    }

    /** What went wrong underneath Kafka's wrapping, such as "Address already in use". */
    private static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e || root.getMessage() == null ? "" : " (" + root.getMessage() + ")";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void deleteTemporaryData() {
        if (requestedDataDir != null || dataDir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
            dataDir = null;
        } catch (IOException e) {
            LOG.warn("could not remove the broker's temporary data in {}: {}", dataDir, e.getMessage());
        }
    }
}
