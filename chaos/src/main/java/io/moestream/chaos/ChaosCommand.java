package io.moestream.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fault-injection harness's entry point (docs/RELIABILITY.md); {@code scripts/chaos-test.sh} builds
 * and runs it. Exit status 0 when every check passed, 1 when an invariant failed, 4 when only goals were
 * missed (every goal is a matter of time: CI, on shared machines, tells it from a broken invariant), 2 when
 * the run could not be carried out, 3 when it ran past its time limit.
 */
@Command(name = "chaos-test", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the pipeline as separate processes on a 3-node Kafka cluster, injects faults while "
                + "prompts flow, and checks that nothing is lost, doubled or corrupted.")
public final class ChaosCommand implements Callable<Integer> {

    static final int FAILED = 1;
    static final int BROKEN = 2;
    static final int TIMED_OUT = 3;
    static final int GOALS_MISSED = 4;

    @Option(names = "--full", description = "The full matrix (about 20 minutes) instead of the short form (CI, a few "
            + "minutes): 3 kill -9 of each service type, a SIGTERM restart of each service, 3 broker kills, an "
            + "expert stopped past its session timeout, an expert rank down for good.")
    boolean full;

    @Option(names = "--rate", paramLabel = "N", description = "Prompts per second (default ${DEFAULT-VALUE}).",
            defaultValue = "5")
    double rate;

    @Option(names = "--repository", paramLabel = "DIR", description = "The checkout whose docker-compose.yml and exec "
            + "jars run (default: the current directory). The reference layer and the settings the harness binds "
            + "come from its own build: point it elsewhere only to compare another version of the services.",
            defaultValue = ".")
    Path repository;

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch folder for the brokers' data, the model and "
            + "the logs (default: a new temporary folder, removed at the end).")
    Path work;

    @Option(names = "--out", paramLabel = "DIR", description = "Where report.txt, report.json and the tails of the "
            + "logs go (default ${DEFAULT-VALUE}).", defaultValue = "chaos/target/chaos-report")
    Path out;

    @Option(names = "--port-base", paramLabel = "P", description = "Kafka listens on P..P+5, the services on P+10.. "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "29100")
    int portBase;

    @Option(names = "--seed", description = "Seeds the restart delays and the fuzz corpus (default ${DEFAULT-VALUE}).",
            defaultValue = "1")
    long seed;

    @Option(names = "--stop-seconds", paramLabel = "S", description = "How long SIGSTOP holds an expert: longer than "
            + "its consumer session timeout, Kafka's default 45 s (default ${DEFAULT-VALUE}).", defaultValue = "50")
    int stopSeconds;

    @Option(names = "--warm-up-seconds", paramLabel = "S", description = "Once the pipeline answers, prompts flow "
            + "this long, not counted, before the measured ones (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int warmUpSeconds;

    @Option(names = "--baseline-seconds", paramLabel = "S", description = "Prompts flow this long before the first "
            + "fault (default ${DEFAULT-VALUE}).", defaultValue = "15")
    int baselineSeconds;

    @Option(names = "--settle-seconds", paramLabel = "S", description = "Once progress resumed after a fault, wait "
            + "this long before the next (default ${DEFAULT-VALUE}).", defaultValue = "8")
    int settleSeconds;

    @Option(names = "--down-seconds", paramLabel = "S", description = "Prompts keep coming this long after an expert "
            + "rank went down for good, past the consumer session timeout (default ${DEFAULT-VALUE}).",
            defaultValue = "90")
    int downSeconds;

    @Option(names = "--fuzz-seconds", paramLabel = "S", description = "After the baseline, bad records of the fuzz "
            + "corpus (chaos/FUZZ-CASES.md) go to every topic a user or a broken peer writes to for this long, while "
            + "the prompts flow; 0 skips the phase (default ${DEFAULT-VALUE}).", defaultValue = "25")
    int fuzzSeconds;

    @Option(names = "--fuzz-rate", paramLabel = "N", description = "Bad records per second in the fuzz phase "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "20")
    double fuzzRate;

    @Option(names = "--whole-model-rate", paramLabel = "N", description = "Whole-model requests per second to the "
            + "dense workers (moe.prompts, " + Harness.WHOLE_MODEL_TOKENS + " tokens each), decoding while the faults "
            + "hit; 0 sends none (default ${DEFAULT-VALUE}).", defaultValue = "1")
    double wholeModelRate;

    @Option(names = "--time-limit-minutes", paramLabel = "M", description = "Give up after this long (default: 15 for "
            + "the short form, 45 for the full matrix).")
    Integer timeLimitMinutes;

    @Override
    public Integer call() throws IOException {
        boolean ownWork = work == null;
        Path workDir = ownWork ? Files.createTempDirectory("moe-chaos-") : Files.createDirectories(work);
        Harness harness = new Harness(new Harness.Options(full, rate, repository.toAbsolutePath().normalize(), workDir,
                out.toAbsolutePath(), portBase, seed, Duration.ofSeconds(stopSeconds),
                Duration.ofSeconds(warmUpSeconds), Duration.ofSeconds(baselineSeconds),
                Duration.ofSeconds(settleSeconds), Duration.ofSeconds(downSeconds), Duration.ofSeconds(fuzzSeconds),
                fuzzRate, wholeModelRate));
        // Whatever ends this JVM (the time limit, Ctrl-C, SIGTERM from the script's trap), no child outlives it.
        Thread cleanup = new Thread(() -> {
            harness.close();
            if (ownWork) {
                delete(workDir);
            }
        }, "chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        Duration limit = Duration.ofMinutes(timeLimitMinutes != null ? timeLimitMinutes : full ? 45 : 15);
        Thread watchdog = new Thread(() -> {
            Sleep.of(limit);
            harness.log("time limit of " + limit.toMinutes() + " minutes reached; stopping");
            System.exit(TIMED_OUT);
        }, "chaos-time-limit");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            return switch (harness.run(System::getenv)) {
                case PASSED -> 0;
                case GOALS_MISSED -> GOALS_MISSED;
                case INVARIANT_BROKEN -> FAILED;
            };
        } catch (RuntimeException e) {
            harness.log("the run could not be carried out: " + e);
            e.printStackTrace();
            return BROKEN;
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ChaosCommand()).execute(args));
    }
}
