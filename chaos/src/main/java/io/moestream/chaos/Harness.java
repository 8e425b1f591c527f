package io.moestream.chaos;

import io.moestream.pipeline.Topics;
import io.moestream.wire.TokenBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One run: deploy, warm up, send prompts at a steady rate while the faults of the matrix hit one after
 * the other (each once the pipeline is healthy and has made progress again after the last), wait until
 * the pipeline is quiet, then check the invariants from the topics and report. Beside the single-layer
 * pipeline's prompts, whole-model requests go to the dense workers, so that decode is in flight during
 * every fault.
 */
final class Harness implements AutoCloseable {

    /** How the run is shaped; see {@link ChaosCommand} for each. */
    record Options(boolean full, double promptsPerSecond, Path repository, Path work, Path out, int portBase,
                   long seed, Duration stopFor, Duration warmUp, Duration baseline, Duration settle,
                   Duration downFor, Duration fuzzFor, double fuzzRate, double wholeModelRate) {
    }

    static final String WARM_UP_PREFIX = "chaos-warm-up-";
    static final String ID_PREFIX = "chaos-";
    static final String WHOLE_MODEL_PREFIX = "chaos-whole-";
    /** Each whole-model request's token budget: enough decode steps that faults land mid-sequence. */
    static final int WHOLE_MODEL_TOKENS = 8;
    private static final Map<String, Object> LAYER_REQUEST = Map.of("returnOutputs", true);
    private static final Map<String, Object> WHOLE_MODEL_REQUEST = Map.of("max_tokens", WHOLE_MODEL_TOKENS,
            "temperature", 0);

    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration WARM_UP_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration TRANSACTIONS_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final int LOG_TAIL_BYTES = 4 << 20;

    private final Options options;
    private final long begin = System.nanoTime();
    private Deployment deployment;
    private ResultLog results;
    private PromptLoad load;
    private ResultLog wholeModelResults;
    private PromptLoad wholeModelLoad;

    Harness(Options options) {
        this.options = options;
    }

    /** Runs and reports; returns whether every check passed, or which kind failed. */
    Verdict.Outcome run(Function<String, String> shell) {
        log("work directory " + options.work());
        deployment = new Deployment(options.repository(), options.work(), options.portBase(), kafkaClassPath(), shell);
        log("starting 3 Kafka nodes and " + deployment.services().stream().map(PipelineService::name).toList());
        deployment.start(START_TIMEOUT);
        String bootstrap = deployment.cluster().bootstrapServers();
        Topics topics = deployment.settings().topics();
        results = ResultLog.layer(bootstrap, topics);
        Duration warmUp = warmUp(bootstrap, topics.layerPrompts(), results, LAYER_REQUEST);
        if (wholeModels()) {
            wholeModelResults = ResultLog.wholeModel(bootstrap, topics);
            Duration decoding = warmUp(bootstrap, topics.prompts(), wholeModelResults, WHOLE_MODEL_REQUEST);
            log(String.format("the first whole-model request came back ok %.1f s later", decoding.toMillis() / 1000.0));
        }
        log(String.format("deployed; the first prompt came back ok after %.1f s; warming up at the full rate for %d s",
                warmUp.toMillis() / 1000.0, options.warmUp().toSeconds()));
        // The first seconds of traffic find cold JITs and consumers still settling: not what the faults are measured
        // against. Warm-up prompts are sent, answered and checked for nothing.
        try (PromptLoad warming = new PromptLoad(bootstrap, topics.layerPrompts(), WARM_UP_PREFIX,
                options.promptsPerSecond(), LAYER_REQUEST)) {
            warming.start();
            Sleep.of(options.warmUp());
        }

        List<Fault> plan = plan();
        FaultInjector injector = new FaultInjector(deployment, options.seed(), options.stopFor(), READY_TIMEOUT,
                this::log);
        load = new PromptLoad(bootstrap, topics.layerPrompts(), ID_PREFIX, options.promptsPerSecond(), LAYER_REQUEST);
        load.start();
        if (wholeModels()) {
            wholeModelLoad = new PromptLoad(bootstrap, topics.prompts(), WHOLE_MODEL_PREFIX, options.wholeModelRate(),
                    WHOLE_MODEL_REQUEST);
            wholeModelLoad.start();
        }
        long baselineStart = System.nanoTime();
        log(String.format("sending %.0f prompts/s; baseline for %d s, then %d faults", options.promptsPerSecond(),
                options.baseline().toSeconds(), plan.size()));
        Sleep.of(options.baseline());
        FuzzRun fuzz = options.fuzzFor().isZero() ? null : fuzz(bootstrap, topics, baselineStart);
        if (fuzz != null) {
            // The fuzz phase's latencies are the bad records' effect: the first fault must not reach its requests.
            Duration answered = awaitAnswered(fuzz.end());
            log(String.format("the fuzz phase's prompts answered %.1f s after it ended", answered.toMillis() / 1000.0));
        }
        List<FaultInjector.Outcome> outcomes = new java.util.ArrayList<>();
        // A replacement that never gets ready, or a cluster that never heals, ends the matrix but not the
        // run: what was sent until then is still checked and reported.
        String stopped = null;
        for (Fault fault : plan) {
            try {
                awaitHealthy();
                FaultInjector.Outcome outcome = injector.inject(fault);
                outcomes.add(outcome);
                Duration progress = awaitProgress(outcome);
                log(progress == null ? "no progress within " + PROGRESS_TIMEOUT.toSeconds() + " s"
                        : String.format("progress %.1f s after the fault", progress.toMillis() / 1000.0));
                // With a rank gone for good, how the pipeline settles takes longer than a restart to show.
                Sleep.of(fault.action() == Fault.Action.KILL_FOR_GOOD ? options.downFor() : options.settle());
            } catch (IllegalStateException e) {
                stopped = fault.label() + ": " + e.getMessage();
                log("the matrix stops at " + stopped);
                break;
            }
        }
        load.stop();
        if (wholeModels()) {
            wholeModelLoad.stop();
            log(wholeModelLoad.accepted().size() + " whole-model requests accepted by Kafka, "
                    + wholeModelLoad.refused().size() + " refused");
        }
        long loadStop = load.lastSendNanos();
        log(load.accepted().size() + " prompts accepted by Kafka, " + load.refused().size()
                + " refused; waiting until quiet");
        Duration quiet = awaitQuiet(loadStop);
        log(String.format("quiet %.1f s after the last prompt", quiet.toMillis() / 1000.0));
        TransactionProbe probe = new TransactionProbe(deployment.cluster().admin());
        Map<org.apache.kafka.common.TopicPartition, Long> open = awaitTransactionsClosed(probe);

        List<TokenBatch> batches = TopicReader.values(bootstrap, topics.tokens()).stream()
                .flatMap(value -> fuzz == null ? Stream.of(TokenBatch.fromBytes(value)) : decoded(value).stream())
                .toList();
        RunFigures figures = new RunFigures(load.accepted(), results.results(), outcomes, loadStop);
        FuzzFigures fuzzFigures = fuzz == null ? null : fuzz.figures(results, load.accepted());
        log("checking " + figures.okResults().size() + " ok results against the in-process layer");
        OutputCheck.Figures outputs = OutputCheck.check(deployment.settings(), figures.okResults(), batches);
        Map<String, Long> openAtEnd = new LinkedHashMap<>();
        open.forEach((p, gap) -> openAtEnd.put(p.toString(), gap));
        Verdict.WholeModelRun wholeModel = wholeModels() ? wholeModelRun(outcomes, loadStop) : null;
        Verdict verdict = new Verdict(figures, outputs, openAtEnd, deployment.cluster().underReplicatedTopics(),
                plan.size(), stopped, fuzzFigures, wholeModel);
        Map<String, String> facts = facts(figures, quiet, loadStop);
        if (wholeModel != null) {
            facts.put("whole models", wholeModelFacts(wholeModel));
        }
        Report report = new Report("moe-stream chaos harness, " + (options.full() ? "full matrix" : "short form"),
                figures, outputs, verdict, facts, fuzzFigures);
        write(report);
        return verdict.outcome();
    }

    /** What the fuzz phase sent, and when, for the figures at the end. */
    private record FuzzRun(FuzzLedger ledger, int rounds, double perSecond, long baselineStart, long start, long end) {

        FuzzFigures figures(ResultLog results, Map<String, Long> sent) {
            List<ResultLog.Arrival> arrivals = results.results();
            return new FuzzFigures(ledger.account(results.deadLetters()), rounds, perSecond, (end - start) / 1e9,
                    FuzzFigures.Latency.of(sent, arrivals, baselineStart, start),
                    FuzzFigures.Latency.of(sent, arrivals, start, end));
        }
    }

    /**
     * The fuzz phase: the corpus on every topic a user or a broken peer writes to, at a steady rate, while the
     * prompts keep flowing. Its dead letters come at once or, for well-formed records that fit nowhere, after the
     * gateway's deadline and request time-out: they are counted at the end of the run.
     */
    private FuzzRun fuzz(String bootstrap, Topics topics, long baselineStart) {
        FuzzCorpus corpus = FuzzCorpus.forModel(topics, deployment.settings().modelDir(),
                deployment.gatewaySettings().maxPromptTokens(), options.seed());
        FuzzLedger ledger = new FuzzLedger();
        log(String.format("fuzz phase: %.0f bad records/s for %d s while the prompts flow", options.fuzzRate(),
                options.fuzzFor().toSeconds()));
        long start = System.nanoTime();
        int rounds;
        try (FuzzSender sender = new FuzzSender(bootstrap, ledger)) {
            rounds = sender.run(corpus, options.fuzzRate(), options.fuzzFor());
        }
        long end = System.nanoTime();
        log(ledger.sent().size() + " bad records sent in " + rounds + " rounds of the corpus");
        return new FuzzRun(ledger, rounds, options.fuzzRate(), baselineStart, start, end);
    }

    /** A record of {@code tokens} as a token batch, decoded once; empty for the others the fuzz phase wrote there. */
    private static Optional<TokenBatch> decoded(byte[] value) {
        try {
            return Optional.of(TokenBatch.fromBytes(value));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private List<Fault> plan() {
        List<String> gateways = names(PipelineService.Role.GATEWAY);
        List<String> routers = names(PipelineService.Role.ROUTER);
        List<String> experts = names(PipelineService.Role.EXPERT);
        return options.full() ? Fault.fullMatrix(gateways, routers, experts)
                : Fault.shortMatrix(gateways, routers, experts);
    }

    private List<String> names(PipelineService.Role role) {
        return deployment.services(role).stream().map(PipelineService::name).toList();
    }

    /**
     * Like local mode's warm-up: a started service has not yet joined its groups, so ready means a
     * prompt came back ok. One is sent every few seconds until one does.
     */
    private Duration warmUp(String bootstrap, String promptsTopic, ResultLog answers, Map<String, Object> fields) {
        long start = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
            KafkaCluster.await(() -> {
                if (answers.results().stream().anyMatch(r -> r.ok() && r.id().startsWith(WARM_UP_PREFIX))) {
                    return true;
                }
                String id = WARM_UP_PREFIX + "first-" + UUID.randomUUID();
                producer.send(new ProducerRecord<>(promptsTopic, id, PromptLoad.request(id, "warm up", fields)));
                Sleep.of(Duration.ofSeconds(3));
                return false;
            }, WARM_UP_TIMEOUT, "a warm-up prompt to " + promptsTopic + " to come back ok");
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private boolean wholeModels() {
        return options.wholeModelRate() > 0;
    }

    private Verdict.WholeModelRun wholeModelRun(List<FaultInjector.Outcome> outcomes, long loadStop) {
        Map<String, Long> sent = wholeModelLoad.accepted();
        List<ResultLog.Arrival> arrived = wholeModelResults.results();
        return new Verdict.WholeModelRun(new RunFigures(sent, arrived, outcomes, loadStop),
                StreamCheck.check(arrived, wholeModelResults.streamed(), sent.keySet()));
    }

    private String wholeModelFacts(Verdict.WholeModelRun run) {
        RunFigures.Counts total = run.figures().total();
        // By the window of the fault before they were sent: a request queued behind a stalled step may be
        // degraded by the next fault, which the per-window counts show.
        String notOk = run.figures().faults().stream().filter(f -> f.counts().ok() < f.counts().requests())
                .map(f -> f.outcome().fault().label() + " " + (f.counts().requests() - f.counts().ok()))
                .collect(Collectors.joining(", "));
        return String.format("%.1f requests/s of %d tokens to the dense workers: %d accepted, %d ok, %d degraded,"
                        + " %d error, %d lost, %d duplicated; %d streams checked%s", options.wholeModelRate(),
                WHOLE_MODEL_TOKENS, total.requests(), total.ok(), total.degraded(), total.error(), total.lost(),
                run.figures().duplicated().size(), run.streams().checked(),
                notOk.isEmpty() ? "" : "; not ok, by the fault window they were sent in: " + notOk);
    }

    /** Before the next fault: every service still meant to run is ready, and every partition fully replicated. */
    private void awaitHealthy() {
        for (PipelineService service : deployment.services()) {
            if (service.process().alive()) {
                service.awaitReady(READY_TIMEOUT);
            }
        }
        deployment.cluster().awaitFullIsr(READY_TIMEOUT);
    }

    /** Waits until a result of a prompt sent after the fault arrives: ok, or any for a rank down for good. */
    private Duration awaitProgress(FaultInjector.Outcome outcome) {
        boolean anyStatus = outcome.fault().action() == Fault.Action.KILL_FOR_GOOD;
        long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Long> sent = load.accepted();
            for (ResultLog.Arrival r : results.results()) {
                Long at = sent.get(r.id());
                if (at != null && at >= outcome.atNanos() && (anyStatus || r.ok())) {
                    return Duration.ofNanos(r.arrivedNanos() - outcome.atNanos());
                }
            }
            Sleep.of(Duration.ofMillis(250));
        }
        return null;
    }

    /** Waits until every prompt accepted before {@code until} has a result, or for the progress time-out. */
    private Duration awaitAnswered(long until) {
        long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && !answered(until)) {
            Sleep.of(Duration.ofMillis(250));
        }
        return Duration.ofNanos(System.nanoTime() - until);
    }

    /** Whether every prompt accepted until {@code sentUntil} has a result, whole-model requests included. */
    private boolean answered(long sentUntil) {
        return answered(load, results, sentUntil) && (!wholeModels() || answered(wholeModelLoad, wholeModelResults,
                sentUntil));
    }

    private static boolean answered(PromptLoad prompts, ResultLog answers, long sentUntil) {
        Set<String> arrived = answers.results().stream().map(ResultLog.Arrival::id).collect(Collectors.toSet());
        return prompts.accepted().entrySet().stream()
                .allMatch(prompt -> prompt.getValue() > sentUntil || arrived.contains(prompt.getKey()));
    }

    /**
     * Quiet: every accepted prompt has a result and nothing arrived for a few seconds, or nothing at all
     * arrives any more. Either way at least the gateway's request time-out (plus a margin) after the last
     * prompt, so that a time-out emitted late, a second result among them, is seen.
     */
    private Duration awaitQuiet(long loadStop) {
        long lateWindow = deployment.gatewaySettings().requestTimeoutMs() * 1_000_000L + QUIET.toNanos();
        long limit = loadStop + lateWindow + PROGRESS_TIMEOUT.toNanos();
        while (System.nanoTime() < limit) {
            List<ResultLog.Arrival> arrived = results.results();
            long last = arrived.isEmpty() ? loadStop : arrived.get(arrived.size() - 1).arrivedNanos();
            long now = System.nanoTime();
            boolean silent = now - last > QUIET.toNanos();
            if (now > loadStop + lateWindow && silent && answered(Long.MAX_VALUE)) {
                break;
            }
            Sleep.of(Duration.ofMillis(500));
        }
        return Duration.ofNanos(System.nanoTime() - loadStop);
    }

    /** Polls until no partition has records past its last stable offset; returns those still open at the limit. */
    private Map<org.apache.kafka.common.TopicPartition, Long> awaitTransactionsClosed(TransactionProbe probe) {
        long start = System.nanoTime();
        Map<org.apache.kafka.common.TopicPartition, Long> open = null;
        while (System.nanoTime() - start < TRANSACTIONS_TIMEOUT.toNanos()) {
            open = probe.openPartitions();
            if (open != null && open.isEmpty()) {
                log(String.format("every transaction closed (%.1f s after quiet)", (System.nanoTime() - start) / 1e9));
                return open;
            }
            Sleep.of(Duration.ofSeconds(1));
        }
        log("transactions still open after " + TRANSACTIONS_TIMEOUT.toSeconds() + " s: " + open);
        return open == null ? Map.of() : open;
    }

    private Map<String, String> facts(RunFigures figures, Duration quiet, long loadStop) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("deployment", "3 KRaft nodes (RF 3, min ISR 2), " + deployment.services().stream()
                .map(PipelineService::name).toList() + " from docker-compose.yml");
        // Bound by this build's gateway classes: the deployment's own when it runs from this checkout.
        facts.put("gateway deadline", deployment.gatewaySettings().deadlineMs() + " ms; request time-out "
                + deployment.gatewaySettings().requestTimeoutMs() + " ms");
        facts.put("routing", deployment.settings().routing() + ", wire " + deployment.settings().wireType());
        facts.put("load", String.format("%.0f prompts/s, %d accepted, %d refused by Kafka", options.promptsPerSecond(),
                load.accepted().size(), load.refused().size()));
        facts.put("prompts sent over", String.format("%.0f s", (loadStop - firstSend()) / 1e9));
        Duration drain = figures.drain();
        facts.put("drain", drain == null ? "no results" : String.format(
                "last result %.1f s after the last prompt; quiet after %.1f s", drain.toMillis() / 1000.0,
                quiet.toMillis() / 1000.0));
        facts.put("duplicated", figures.duplicated().size() + " requests");
        List<ResultLog.DeadLetter> deadLetters = results.deadLetters();
        facts.put("dead letters", deadLetters.size() + (deadLetters.isEmpty() ? "" : " (first: "
                + deadLetters.get(0).service() + ", " + abbreviate(deadLetters.get(0).reason()) + ")"));
        facts.put("unexpected results", Integer.toString(figures.unexpected(WARM_UP_PREFIX).size()));
        facts.put("run time", String.format("%.0f s", (System.nanoTime() - begin) / 1e9));
        return facts;
    }

    private long firstSend() {
        return load.accepted().values().stream().mapToLong(Long::longValue).min().orElse(0);
    }

    private static String abbreviate(String text) {
        return text.length() <= 100 ? text : text.substring(0, 97) + "...";
    }

    private void write(Report report) {
        String text = report.text();
        System.out.print(text);
        try {
            Files.createDirectories(options.out());
            Files.writeString(options.out().resolve("report.txt"), text, StandardCharsets.UTF_8);
            Files.writeString(options.out().resolve("report.json"), report.json(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + options.out() + ": " + e.getMessage(), e);
        }
        log("report in " + options.out());
    }

    /** The class path of this JVM: the harness's dependencies include Kafka's broker jars. */
    private static String kafkaClassPath() {
        return System.getProperty("java.class.path");
    }

    void log(String message) {
        System.err.printf("[%7.1f s] %s%n", (System.nanoTime() - begin) / 1e9, message);
    }

    /** Stops everything, keeps the tail of every process's log under the output folder. */
    @Override
    public void close() {
        Stream.of(load, wholeModelLoad).filter(Objects::nonNull).forEach(PromptLoad::close);
        Stream.of(results, wholeModelResults).filter(Objects::nonNull).forEach(ResultLog::close);
        if (deployment != null) {
            deployment.close();
            keepLogs(deployment.logs());
        }
        Signals.close();
    }

    private void keepLogs(List<Path> logs) {
        try {
            Path dir = Files.createDirectories(options.out().resolve("logs"));
            for (Path log : logs) {
                if (Files.exists(log)) {
                    byte[] bytes = Files.readAllBytes(log);
                    int from = Math.max(0, bytes.length - LOG_TAIL_BYTES);
                    Files.write(dir.resolve(log.getFileName()), Arrays.copyOfRange(bytes, from, bytes.length));
                }
            }
        } catch (IOException e) {
            System.err.println("could not keep the logs: " + e.getMessage());
        }
    }
}
