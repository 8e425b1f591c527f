package io.moestream.cli;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.decoder.ContinuousBatch;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.Generator;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Sampling;
import io.moestream.layer.ExpertExecutor;
import io.moestream.local.LocalBroker;
import io.moestream.local.WholeModelStack;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.pipeline.Topics;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import io.moestream.text.ModelTokenizer;
import io.moestream.wire.WireRounding;
import io.moestream.wire.WireType;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.DoubleStream;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code moe bench-model}: a whole model through Kafka against the in-process engine, in one run. */
@Command(name = "bench-model",
        description = {
            "Serves a whole model through Kafka on an in-process broker (one expert service and one dense worker",
            "per rank, Java kernels on both sides) and runs the same prompts through the in-process engine with",
            "the same routing and wire rounding. After an unmeasured pass, in rounds that alternate the two, it",
            "reports: prefill tokens/s (every prompt in one step) and decode tokens/s (greedy, all prompts",
            "running) of both and their ratio, medians over the rounds with the ratio's range; the",
            "dense worker's decode step and the part of it spent in MoE layer round trips to the experts (p50",
            "per round trip); and the record bytes sent to and from the experts per token per MoE layer against",
            "the minimum, the kept slots' hidden states each way.",
            ""})
final class ModelBenchCommand implements Callable<Integer> {

    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "A whole-model checkpoint with its tokenizer."
            + " Default: the trained model, models/olmoe-corpus.")
    Path model;

    @Option(names = "--ranks", defaultValue = "2", paramLabel = "R", description = "Expert-parallel ranks.")
    int ranks;

    @Option(names = "--policy", defaultValue = "token-drop", paramLabel = "POLICY", description = "Routing policy.")
    String policy;

    @Option(names = "--capacity-factor", defaultValue = "1.0", paramLabel = "GAMMA", description = "Capacity factor.")
    double capacityFactor;

    @Option(names = "--wire-type", defaultValue = "bf16", paramLabel = "T", description = "f32, f16 or bf16.")
    String wireType;

    @Option(names = "--prompts", defaultValue = "8", paramLabel = "N", description = "Prompts of the bundled corpus.")
    int prompts;

    @Option(names = "--prompt-tokens", defaultValue = "64", paramLabel = "L", description = "Tokens of each prompt.")
    int promptTokens;

    @Option(names = "--max-tokens", defaultValue = "32", paramLabel = "T", description = "Tokens generated per prompt.")
    int maxTokens;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Measured rounds, each the "
            + "in-process engine then Kafka: the throughputs are their medians and the ratios the medians of each "
            + "round's, since one pass on a shared machine is noise.")
    int rounds;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1) {
            throw new UserError("--rounds must be at least 1, got " + rounds);
        }
        Path dir = model != null ? model : TrainedModelPaths.dir();
        WireType wire = SpecName.parse(WireType.class, "wire-type", wireType);
        Map<String, String> routingOptions = Map.of("policy", policy, "capacity-factor", Double.toString(capacityFactor));
        ModelTokenizer tokenizer = ModelTokenizer.load(dir).orElseThrow(() -> new UserError(dir + " has no "
                + ModelTokenizer.FILE + ": the bench sends text prompts"));
        List<int[]> inputs = prompts(tokenizer);
        PrintWriter out = spec.commandLine().getOut();
        Path state = Files.createTempDirectory("moe-bench-model");
        try (DecoderEngine engine = DecoderEngine.load(dir, new JavaBackend())) {
            RoutingConfig routing = RoutingSettings.apply(engine.defaultRouting(), routingOptions);
            int layers = moeLayers(engine);
            MoeSettings settings = new MoeSettings("bench.", dir, 0, ranks, List.of(), wire, routingOptions);
            ExpertExecutor experts = wire == WireType.F32 ? engine.localExperts()
                    : new WireRounding(engine.localExperts(), wire);
            DecoderModel reference = engine.model(routing, settings.placement(engine.config().moe().numExperts()),
                    experts);
            // The engine alone first, before the stack's threads exist: the baseline a single process gets.
            prefillInProcess(reference, inputs);
            generateInProcess(reference, inputs);
            List<Phase[]> alone = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                alone.add(new Phase[] {prefillInProcess(reference, inputs), generateInProcess(reference, inputs)});
            }
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (LocalBroker broker = new LocalBroker(0).start();
                 WholeModelStack stack = WholeModelStack.start(broker.bootstrapServers(), settings, state,
                         Map.of("moe.expert.backend", "java", "logging.level.root", "WARN"), registry);
                 Client client = new Client(broker.bootstrapServers(), stack.topics())) {
                prefillInProcess(reference, inputs);
                generateInProcess(reference, inputs);
                measure(client, registry, inputs, 0);
                // The measured rounds start from empty meters: the unmeasured one warmed the JITs and the clients.
                registry.clear();
                // Both sides alternate with the stack up, so that neither has the machine to itself.
                List<Round> measured = new ArrayList<>();
                long kept = 0;
                for (int round = 1; round <= rounds; round++) {
                    Phase inPrefill = prefillInProcess(reference, inputs);
                    Phase inGeneration = generateInProcess(reference, inputs);
                    Pass pass = measure(client, registry, inputs, round);
                    kept += pass.keptSlots();
                    measured.add(new Round(inPrefill, inGeneration, pass));
                }
                report(out, dir, routing, wire, inputs, layers, measured, alone, meters(registry, kept),
                        engine.config().hiddenSize());
            }
        }
        out.flush();
        return 0;
    }

    private List<int[]> prompts(ModelTokenizer tokenizer) {
        List<int[]> inputs = new ArrayList<>();
        for (String text : io.moestream.text.Corpus.bundled().texts()) {
            int[] ids = tokenizer.encode(text);
            if (ids.length >= promptTokens) {
                inputs.add(Arrays.copyOf(ids, promptTokens));
            }
            if (inputs.size() == prompts) {
                return inputs;
            }
        }
        throw new UserError("the bundled corpus has only " + inputs.size() + " prompts of " + promptTokens
                + " tokens or more; ask for fewer --prompts or --prompt-tokens");
    }

    /** Time and tokens of one phase. */
    record Phase(long nanos, long tokens) {
        double tokensPerSecond() {
            return tokens / (nanos / 1e9);
        }
    }

    private static Phase prefillInProcess(DecoderModel model, List<int[]> inputs) {
        ContinuousBatch<Integer> batch = new ContinuousBatch<>(model, 0);
        long tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            batch.add(i, new ContinuousBatch.Request(inputs.get(i), Sampling.GREEDY, 0, 0, Set.of(), 0, true));
            tokens += inputs.get(i).length;
        }
        long start = System.nanoTime();
        batch.step();
        return new Phase(System.nanoTime() - start, tokens);
    }

    /** Prefill and decode of every prompt, as the generated tokens and the time from start to last token. */
    private Phase generateInProcess(DecoderModel model, List<int[]> inputs) {
        Generator.Run run = new Generator(model, Sampling.GREEDY, maxTokens, Set.of(), 0)
                .generate(inputs, (s, t) -> { }, r -> { });
        long generated = run.generations().stream().mapToLong(g -> g.tokens().length).sum();
        return new Phase(run.prefillNanos() + run.decodeNanos(), generated);
    }

    /** What one pass through Kafka gave: prefill and generation from the first request sent to the last result read. */
    record Pass(Phase prefill, Phase generation, long keptSlots) {
    }

    /** One measured round: the in-process engine's prefill and generation, then the same through Kafka. */
    record Round(Phase inPrefill, Phase inGeneration, Pass kafka) {

        double prefillRatio() {
            return kafka.prefill().tokensPerSecond() / inPrefill.tokensPerSecond();
        }

        double generationRatio() {
            return kafka.generation().tokensPerSecond() / inGeneration.tokensPerSecond();
        }
    }

    /** The dense workers' meters over every measured round: their steps, the round trips to the experts, the bytes. */
    record Meters(Steps decodeSteps, Phase allSteps, double roundTripP50Ms, double roundTripSeconds, long roundTrips,
                  double bytesOut, double bytesIn, long keptSlots) {
    }

    private Pass measure(Client client, MeterRegistry registry, List<int[]> inputs, int pass) {
        long start = System.nanoTime();
        long promptTokenCount = 0;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String id = "prefill-" + pass + "-" + i;
            ids.add(id);
            client.send(id, "{\"tokens\": " + Arrays.toString(inputs.get(i)) + ", \"max_tokens\": 0, \"echo\": true,"
                    + " \"logprobs\": 0}");
            promptTokenCount += inputs.get(i).length;
        }
        long kept = client.await(ids).kept();
        Phase prefill = new Phase(System.nanoTime() - start, promptTokenCount);
        ids.clear();
        start = System.nanoTime();
        for (int i = 0; i < inputs.size(); i++) {
            String id = "generate-" + pass + "-" + i;
            ids.add(id);
            client.send(id, "{\"tokens\": " + Arrays.toString(inputs.get(i)) + ", \"max_tokens\": " + maxTokens
                    + ", \"temperature\": 0}");
        }
        Client.Done done = client.await(ids);
        Phase generation = new Phase(System.nanoTime() - start, done.generated());
        return new Pass(prefill, generation, kept + done.kept());
    }

    private static Meters meters(MeterRegistry registry, long keptSlots) {
        Timer roundTrip = registry.find("moe.worker.expert.round.trip").timers().stream().findFirst().orElseThrow();
        double p50 = Double.NaN;
        for (var percentile : roundTrip.takeSnapshot().percentileValues()) {
            if (percentile.percentile() == 0.5) {
                p50 = percentile.value(TimeUnit.MILLISECONDS);
            }
        }
        double roundTripNanos = registry.find("moe.worker.expert.round.trip").timers().stream()
                .mapToDouble(t -> t.totalTime(TimeUnit.NANOSECONDS)).sum();
        long roundTrips = registry.find("moe.worker.expert.round.trip").timers().stream().mapToLong(Timer::count).sum();
        return new Meters(steps(registry, "decode"),
                new Phase(steps(registry, "prefill").nanos() + steps(registry, "decode").nanos(),
                        tokens(registry, "prefill") + tokens(registry, "decode")),
                p50, roundTripNanos / 1e9, roundTrips, bytes(registry, "out"), bytes(registry, "in"), keptSlots);
    }

    /** Dense worker steps: their summed time and how many. */
    record Steps(long nanos, long count) {
    }

    private static Steps steps(MeterRegistry registry, String phase) {
        return new Steps((long) registry.find("moe.worker.step").tag("phase", phase).timers().stream()
                .mapToDouble(t -> t.totalTime(TimeUnit.NANOSECONDS)).sum(),
                registry.find("moe.worker.step").tag("phase", phase).timers().stream().mapToLong(Timer::count).sum());
    }

    private static long tokens(MeterRegistry registry, String phase) {
        return (long) registry.find("moe.worker.tokens").tag("phase", phase).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private static double bytes(MeterRegistry registry, String direction) {
        return registry.find("moe.worker.wire.bytes").tag("direction", direction).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private void report(PrintWriter out, Path dir, RoutingConfig routing, WireType wire, List<int[]> inputs, int layers,
                        List<Round> measured, List<Phase[]> alone, Meters f, int hidden) {
        out.printf(Locale.ROOT, "moe bench-model: %s, %d ranks, policy %s at capacity factor %s, wire %s,"
                + " %d prompts of %d tokens, %d generated each; medians of %d rounds%n%n", dir, ranks, policy,
                capacityFactor, wire.name().toLowerCase(Locale.ROOT), inputs.size(), promptTokens, maxTokens,
                measured.size());
        out.printf(Locale.ROOT, "%-44s %10s %11s %7s %11s %11s %7s%n", "", "Kafka", "in process", "ratio",
                "ratio range", "in process", "ratio");
        out.printf(Locale.ROOT, "%-44s %10s %11s %7s %11s %11s %7s%n", "", "", "same time", "", "", "alone", "");
        row(out, "prefill tokens/s (all prompts at once)", measured, r -> r.kafka().prefill(), Round::inPrefill,
                Round::prefillRatio, median(alone.stream().mapToDouble(a -> a[0].tokensPerSecond())));
        row(out, "generated tokens/s (prefill and decode)", measured, r -> r.kafka().generation(),
                Round::inGeneration, Round::generationRatio, median(alone.stream().mapToDouble(a -> a[1].tokensPerSecond())));
        out.printf(Locale.ROOT, "(same time: rounds alternating with Kafka while the stack is up; alone: before it"
                + " started, the machine to itself)%n");
        double stepMs = f.decodeSteps().nanos() / 1e6 / f.decodeSteps().count();
        out.printf(Locale.ROOT, "%n%-44s %10.2f ms%n", "dense worker decode step (mean)", stepMs);
        out.printf(Locale.ROOT, "%-44s %10.2f ms p50, %.2f ms mean; %.0f%% of the workers' step time%n",
                "MoE layer round trip to the experts", f.roundTripP50Ms(), f.roundTripSeconds() * 1e3 / f.roundTrips(),
                100 * f.roundTripSeconds() * 1e9 / f.allSteps().nanos());
        long tokens = f.allSteps().tokens();
        double minimum = 2.0 * f.keptSlots() * hidden * wire.bytes();
        out.printf(Locale.ROOT, "%-44s %10.0f B out, %.0f B back per token per MoE layer; minimum %.0f B each way"
                        + " (kept slots x hidden x %d B): %.3fx%n", "record values to and from the experts",
                f.bytesOut() / tokens / layers, f.bytesIn() / tokens / layers, minimum / 2 / tokens / layers,
                wire.bytes(), (f.bytesOut() + f.bytesIn()) / minimum);
    }

    private static void row(PrintWriter out, String name, List<Round> measured, Function<Round, Phase> kafka,
                            Function<Round, Phase> inProcess, ToDoubleFunction<Round> ratio, double alone) {
        double[] ratios = measured.stream().mapToDouble(ratio).sorted().toArray();
        double throughKafka = median(measured.stream().mapToDouble(r -> kafka.apply(r).tokensPerSecond()));
        out.printf(Locale.ROOT, "%-44s %10.0f %11.0f %7.2f %5.2f-%.2f %11.0f %7.2f%n", name, throughKafka,
                median(measured.stream().mapToDouble(r -> inProcess.apply(r).tokensPerSecond())),
                median(Arrays.stream(ratios)), ratios[0], ratios[ratios.length - 1], alone, throughKafka / alone);
    }

    private static double median(DoubleStream values) {
        return Percentile.of(values.toArray(), 0.5);
    }

    private static int moeLayers(DecoderEngine engine) {
        int count = 0;
        for (int l = 0; l < engine.config().numHiddenLayers(); l++) {
            count += engine.config().moe().isMoeLayer(l) ? 1 : 0;
        }
        return count;
    }

    /** Requests in, results back, as any Kafka client. */
    private static final class Client implements AutoCloseable {
        private final Topics topics;
        private final KafkaProducer<byte[], byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> consumer;

        Client(String bootstrapServers, Topics topics) {
            this.topics = topics;
            Properties producerConfig = new Properties();
            producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
            Properties consumerConfig = new Properties();
            consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, topics.prefix() + "bench");
            consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(topics.results()));
        }

        void send(String id, String json) {
            producer.send(new ProducerRecord<>(topics.prompts(), id.getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8)));
        }

        /** What the results of some requests add up to: kept slots (every layer and step) and generated tokens. */
        record Done(long kept, long generated) {
        }

        /** Waits for the results of {@code ids}. */
        Done await(List<String> ids) {
            producer.flush();
            Set<String> waiting = new HashSet<>(ids);
            long kept = 0;
            long generated = 0;
            long end = System.nanoTime() + TIMEOUT.toNanos();
            while (!waiting.isEmpty()) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("no result for " + waiting + " within " + TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    var result = Json.MAPPER.readTree(record.value());
                    if (waiting.remove(result.get("id").asString())) {
                        if (!"ok".equals(result.path("status").asString())) {
                            throw new IllegalStateException("request " + result.get("id") + " failed: " + result);
                        }
                        kept += result.get("routing").get("kept").asLong();
                        generated += result.get("usage").get("completion_tokens").asLong();
                    }
                }
            }
            return new Done(kept, generated);
        }

        @Override
        public void close() {
            producer.close();
            consumer.close();
        }
    }
}
