package io.moestream.chaos;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Carries out one fault and records what happened: the victim, whether it died inside an open
 * transaction (the read_uncommitted end of its output ahead of the read_committed end), how long it
 * was down and how long the replacement took to be ready.
 */
final class FaultInjector {

    /**
     * What a fault did.
     *
     * @param victim the process hit ({@code kafka-2} for a broker)
     * @param atNanos when the victim stopped (System.nanoTime): the SIGSTOP that froze a service, the signal otherwise
     * @param transaction a transaction the fault left open, or null
     * @param uncommitted records past the last stable offset that the open transaction held back after the signal;
     *        -1 for a broker, whose partitions move to another leader
     * @param midTransaction whether the fault hit an open transaction: for a service, one of its own seen
     *        open with output was still open (same producer id and epoch), with records past the last stable
     *        offset, once the victim was stopped (SIGSTOP, then SIGKILL for a kill); for a broker, one with
     *        records on a partition it led was seen open at most 50 ms before the kill
     * @param restartNanos when the replacement started (a stopped process: when it was continued); 0 when there
     *        is none
     * @param ready how long the replacement took to be ready (a broker: to rejoin); null when there is none
     * @param note what else is worth knowing (shutdown time, a zombie's transaction state)
     */
    record Outcome(Fault fault, String victim, long atNanos, String transaction, long uncommitted,
                   boolean midTransaction, long restartNanos, Duration ready, String note) {
    }

    private static final Duration MID_TRANSACTION_WAIT = Duration.ofSeconds(10);
    private static final Duration PROBE_EVERY = Duration.ofMillis(5);
    /**
     * Seen open this shortly before a broker kill, a transaction counts as open at the kill: ending one takes
     * a coordinator write replicated to two nodes and a marker on each partition, tens of milliseconds here.
     */
    private static final Duration SIGHTING_AGE = Duration.ofMillis(50);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);
    /** Longer than a request the victim sent before it stopped takes to complete at a broker here. */
    private static final Duration IN_FLIGHT = Duration.ofMillis(200);

    private final Deployment deployment;
    private final TransactionProbe probe;
    private final Random random;
    private final Duration stopFor;
    private final Duration readyTimeout;
    private final Consumer<String> log;

    /**
     * @param seed fixes the restart delays (1-3 s)
     * @param stopFor how long a SIGSTOP lasts: longer than the consumers' session timeout
     */
    FaultInjector(Deployment deployment, long seed, Duration stopFor, Duration readyTimeout, Consumer<String> log) {
        this.deployment = deployment;
        this.probe = new TransactionProbe(deployment.cluster().admin());
        this.random = new Random(seed);
        this.stopFor = stopFor;
        this.readyTimeout = readyTimeout;
        this.log = log;
    }

    Outcome inject(Fault fault) {
        return fault.broker() ? brokerFault(fault) : serviceFault(fault, service(fault.target()));
    }

    private PipelineService service(String name) {
        return deployment.services().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no service " + name + " in the deployment"));
    }

    /** The start of the transactional ids a service's producers use (expert-defaults.properties, Kafka Streams). */
    private String transactionalIdPrefix(PipelineService service) {
        String topics = deployment.settings().topicsPrefix();
        return switch (service.role()) {
            case EXPERT -> "moe-expert-r" + service.rank() + "-";
            case ROUTER -> topics + "router-";
            case GATEWAY -> topics + "gateway-";
        };
    }

    private Outcome serviceFault(Fault fault, PipelineService service) {
        ChildProcess process = service.process();
        String prefix = transactionalIdPrefix(service);
        long pid = process.pid();
        long at;
        TransactionProbe.Open hit = null;
        int attempts = 0;
        if (fault.action() == Fault.Action.TERM) {
            // A clean shutdown ends its transactions itself.
            at = System.nanoTime();
            process.signal(ChildProcess.Signal.TERM);
            log.accept(String.format("%s (pid %d)", fault.label(), pid));
        } else {
            Aim aim = freezeInsideTransaction(process, prefix);
            at = aim.atNanos();
            hit = aim.hit();
            attempts = aim.attempts();
            if (fault.action() != Fault.Action.STOP) {
                // Frozen inside the transaction since the SIGSTOP; the kill makes it for good.
                process.signal(ChildProcess.Signal.KILL);
            }
            log.accept(String.format("%s (pid %d)%s", fault.label(), pid, hit == null
                    ? ": no transaction with output seen open within " + MID_TRANSACTION_WAIT.toSeconds() + " s ("
                    + attempts + " tries)"
                    : ": transaction " + hit.transactionalId() + " left open, " + hit.uncommitted()
                    + " records past the last stable offset (try " + attempts + ")"));
        }
        String transaction = hit == null ? null : hit.transactionalId();
        long uncommitted = hit == null ? 0 : hit.uncommitted();
        String note = "";
        switch (fault.action()) {
            case KILL_FOR_GOOD -> {
                process.awaitExit(EXIT_TIMEOUT);
                return new Outcome(fault, service.name(), at, transaction, uncommitted, hit != null, 0, null,
                        "not restarted");
            }
            case STOP -> {
                Sleep.of(stopFor);
                note = hit == null ? "" : "its transaction " + hit.transactionalId() + " (epoch " + hit.producerEpoch()
                        + " when stopped) is " + probe.state(hit.transactionalId()) + " before SIGCONT";
                process.signal(ChildProcess.Signal.CONT);
                log.accept("SIGCONT " + service.name() + " after " + stopFor.toSeconds() + " s" + (note.isEmpty() ? ""
                        : "; " + note));
                return new Outcome(fault, service.name(), at, transaction, uncommitted, hit != null, System.nanoTime(),
                        Duration.ZERO, note);
            }
            case TERM -> note = "shut down in " + seconds(process.awaitExit(EXIT_TIMEOUT)) + " s";
            case KILL -> process.awaitExit(EXIT_TIMEOUT);
        }
        Sleep.of(restartDelay());
        long restart = System.nanoTime();
        process.start();
        Duration ready = service.awaitReady(readyTimeout);
        log.accept(String.format("%s restarted, ready after %.1f s", service.name(), ready.toMillis() / 1000.0));
        return new Outcome(fault, service.name(), at, transaction, uncommitted, hit != null, restart, ready, note);
    }

    /**
     * A broker stays down while the services go on, so their transactions end soon after the kill either
     * way; what makes it a kill inside a transaction is one that had written to a partition this node
     * led, and not ended, moments before.
     */
    private Outcome brokerFault(Fault fault) {
        KafkaCluster cluster = deployment.cluster();
        int controller = cluster.activeController();
        int node = fault.target().equals(Fault.CONTROLLER) ? controller : cluster.busiestLeaderBut(controller);
        ChildProcess process = cluster.node(node);
        TransactionProbe.Open seen = awaitWriting("", probe.outputPartitions(node), MID_TRANSACTION_WAIT);
        long at = System.nanoTime();
        process.signal(ChildProcess.Signal.KILL);
        long age = seen == null ? -1 : (at - seen.seenNanos()) / 1_000_000;
        boolean landed = seen != null && age <= SIGHTING_AGE.toMillis();
        String sighting = seen == null ? "no open transaction on its partitions seen within "
                + MID_TRANSACTION_WAIT.toSeconds() + " s"
                : "transaction " + seen.transactionalId() + " open on a partition it led " + age
                + " ms before the kill";
        log.accept(String.format("%s: node %d (controller: node %d); %s", fault.label(), node, controller, sighting));
        process.awaitExit(EXIT_TIMEOUT);
        Sleep.of(restartDelay());
        long restart = System.nanoTime();
        process.start();
        Duration ready = cluster.awaitBroker(node, readyTimeout);
        Duration isr = cluster.awaitFullIsr(readyTimeout);
        log.accept(String.format("node %d restarted, a broker again after %.1f s, all replicas in sync after %.1f s",
                node, ready.toMillis() / 1000.0, (ready.toMillis() + isr.toMillis()) / 1000.0));
        return new Outcome(fault, process.name() + (node == controller ? " (controller)" : ""), at,
                seen == null ? null : seen.transactionalId(), -1, landed, restart, ready,
                sighting + "; replicas in sync " + seconds(ready.plus(isr)) + " s after the restart");
    }

    /** Where a fault was aimed: when the victim stopped, the transaction left open (or null), after how many tries. */
    private record Aim(long atNanos, TransactionProbe.Open hit, int attempts) {
    }

    /**
     * Stops the victim (SIGSTOP) inside one of its open transactions. A transaction with output is
     * sighted, the victim is stopped at once, and if that transaction is still open (same producer id
     * and epoch, records past the last stable offset) the victim is frozen inside it: from Kafka's side
     * the same as dying there. Otherwise the victim continues and the next one is tried: an expert's
     * transactions last milliseconds, shorter than any sighting-to-signal delay. Returns with the victim
     * stopped, inside a transaction if one was caught within the time allowed.
     */
    private Aim freezeInsideTransaction(ChildProcess process, String prefix) {
        long deadline = System.nanoTime() + MID_TRANSACTION_WAIT.toNanos();
        List<TopicPartition> partitions = probe.outputPartitions(-1);
        int attempts = 0;
        while (true) {
            long left = deadline - System.nanoTime();
            TransactionProbe.Open seen = left > 0 ? awaitWriting(prefix, partitions, Duration.ofNanos(left)) : null;
            long at = System.nanoTime();
            process.signal(ChildProcess.Signal.STOP);
            if (seen == null) {
                return new Aim(at, null, attempts);
            }
            attempts++;
            // A commit the victim sent just before it stopped still completes: give it time to, then look.
            Sleep.of(IN_FLIGHT);
            TransactionProbe.Open hit = stillOpen(seen);
            if (hit != null) {
                return new Aim(at, hit, attempts);
            }
            process.signal(ChildProcess.Signal.CONT);
        }
    }

    /**
     * Polls until a transaction of {@code prefix} has written to one of {@code partitions} and not ended;
     * null if none was seen in time.
     */
    private TransactionProbe.Open awaitWriting(String prefix, List<TopicPartition> partitions, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Long, String> producers = Map.of();
        while (System.nanoTime() < deadline) {
            if (producers.isEmpty()) {
                producers = probe.transactionalIds(prefix);
            }
            TransactionProbe.Open writing = producers.isEmpty() || partitions.isEmpty() ? null
                    : probe.writing(producers, partitions);
            if (writing != null) {
                return writing;
            }
            Sleep.of(PROBE_EVERY);
        }
        return null;
    }

    /** {@code seen}, measured now, if still open (same producer id and epoch) with records past the stable offset. */
    private TransactionProbe.Open stillOpen(TransactionProbe.Open seen) {
        return probe.measured(List.of(seen.transactionalId())).stream()
                .filter(o -> o.uncommitted() > 0 && o.same(seen)).findFirst().orElse(null);
    }

    private Duration restartDelay() {
        return Duration.ofMillis(1_000 + random.nextInt(2_001));
    }

    private static String seconds(Duration duration) {
        return String.format("%.1f", duration.toMillis() / 1000.0);
    }
}
