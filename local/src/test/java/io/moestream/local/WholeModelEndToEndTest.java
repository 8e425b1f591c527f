package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.Generation;
import io.moestream.decoder.Generator;
import io.moestream.decoder.JavaBackend;
import io.moestream.decoder.Sampling;
import io.moestream.decoder.Scorer;
import io.moestream.decoder.SequenceScore;
import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.layer.ExpertExecutor;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.ModelTokenizer;
import io.moestream.wire.WireRounding;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Whole models through Kafka: a real broker, two expert services hosting every MoE layer, two dense workers,
 * requests written to {@code prompts} as any Kafka client writes them. Each family the engine supports,
 * under at least two policies, with F32, F16 and BF16 on the wire: the results must equal the in-process
 * engine's ({@code ./moe generate}, {@code ./moe score}) with the same routing steps, the expert rows rounded
 * to the wire type both ways, within 1e-4 in log-probability and token for token.
 */
class WholeModelEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int RANKS = 2;
    private static final double LOGPROB_TOLERANCE = 1e-4;

    @TempDir
    static Path dir;
    private static LocalBroker broker;

    record Case(String name, Preset preset, String policy, WireType wire, boolean sampleAndScore) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("trained OLMoE, token-drop, f32", null, "token-drop", WireType.F32, true),
                new Case("trained OLMoE, rectify, bf16", null, "rectify", WireType.BF16, true),
                new Case("Mixtral, dropless, f16", Preset.MIXTRAL_LIKE, "dropless", WireType.F16, false),
                new Case("Mixtral, token-reroute, f32", Preset.MIXTRAL_LIKE, "token-reroute", WireType.F32, false),
                new Case("Qwen2-MoE, expanded-drop, bf16", Preset.QWEN_MOE_LIKE, "expanded-drop", WireType.BF16, true),
                new Case("Qwen3-MoE, rectify-ir, f32", Preset.QWEN3_MOE_LIKE, "rectify-ir", WireType.F32, false),
                new Case("DeepSeek-V2, token-drop, bf16", Preset.DEEPSEEK_LIKE, "token-drop", WireType.BF16, true));
    }

    @BeforeAll
    static void startBroker() {
        broker = new LocalBroker(0).start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void completionsThroughKafkaEqualTheInProcessEngine(Case c) throws Exception {
        Path model = c.preset() == null ? Path.of("..", "models", "olmoe-corpus").toAbsolutePath()
                : generated(c.preset());
        Map<String, String> routingOptions = c.policy().equals("dropless") ? Map.of("policy", "dropless")
                : Map.of("policy", c.policy(), "capacity-factor", "1.0");
        String prefix = "w" + Math.abs(c.name().hashCode()) + ".";
        MoeSettings settings = new MoeSettings(prefix, model, 0, RANKS, List.of(), c.wire(), routingOptions);
        try (DecoderEngine engine = DecoderEngine.load(model, new JavaBackend());
             WholeModelStack stack = WholeModelStack.start(broker.bootstrapServers(), settings, dir.resolve(prefix),
                     Map.of("moe.expert.backend", "java"), new SimpleMeterRegistry());
             CompletionClient client = new CompletionClient(broker.bootstrapServers(), stack.topics())) {
            ModelTokenizer tokenizer = ModelTokenizer.load(model).orElseThrow();
            RoutingConfig routing = RoutingSettings.apply(engine.defaultRouting(), routingOptions);
            ExpertExecutor experts = c.wire() == WireType.F32 ? engine.localExperts()
                    : new WireRounding(engine.localExperts(), c.wire());
            DecoderModel reference = engine.model(routing, settings.placement(engine.config().moe().numExperts()),
                    experts);

            String prompt = c.preset() == null ? "The candle burns" : "moe stream";
            client.send("greedy", "{\"prompt\": \"" + prompt + "\", \"max_tokens\": 12, \"temperature\": 0}");
            JsonNode greedy = client.result("greedy", TIMEOUT);
            Generation expected = generate(reference, tokenizer.encode(prompt), Sampling.GREEDY, 12,
                    greedy.get("routing").get("sourceRank").asInt());
            assertEqual(greedy, expected);
            assertThat(greedy.get("text").asString()).isEqualTo(tokenizer.decode(expected.tokens()));
            assertStreamed(client, "greedy", expected);

            if (c.sampleAndScore()) {
                client.send("sampled", "{\"tokens\": [5, 17, 42, 7], \"max_tokens\": 10, \"temperature\": 0.8,"
                        + " \"top_p\": 0.9, \"seed\": 7}");
                JsonNode sampled = client.result("sampled", TIMEOUT);
                assertEqual(sampled, generate(reference, new int[] {5, 17, 42, 7}, new Sampling(0.8, 0.9, 7), 10,
                        sampled.get("routing").get("sourceRank").asInt()));

                int[] scored = tokenizer.encode(prompt + " and the wax melts");
                client.send("scored", "{\"tokens\": " + java.util.Arrays.toString(scored)
                        + ", \"max_tokens\": 0, \"echo\": true, \"logprobs\": 1}");
                JsonNode score = client.result("scored", TIMEOUT);
                SequenceScore expectedScore = new Scorer(reference, null, 0,
                        score.get("routing").get("sourceRank").asInt()).score(List.of(scored), r -> { },
                        (first, sequences, out) -> { }).get(0);
                JsonNode logprobs = score.get("logprobs").get("token_logprobs");
                assertThat(logprobs.size()).isEqualTo(scored.length);
                assertThat(logprobs.get(0).isNull()).isTrue();
                for (int i = 1; i < scored.length; i++) {
                    assertThat(logprobs.get(i).asDouble()).as("prompt position %d", i)
                            .isCloseTo(expectedScore.logprobs()[i], within(LOGPROB_TOLERANCE));
                }
                assertThat(score.get("tokens").size()).isZero();
            }
            assertThat(client.results("greedy")).as("results of one request").hasSize(1);
        }
    }

    private static void assertEqual(JsonNode result, Generation expected) {
        assertThat(result.get("status").asString()).isEqualTo("ok");
        int[] tokens = new int[result.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = result.get("tokens").get(i).asInt();
        }
        assertThat(tokens).as("generated tokens").containsExactly(expected.tokens());
        assertThat(result.get("finish_reason").asString()).isEqualTo(expected.finishReason().apiName());
        assertThat(result.get("usage").get("completion_tokens").asInt()).isEqualTo(expected.tokens().length);
    }

    private static void assertStreamed(CompletionClient client, String id, Generation expected) {
        long end = System.nanoTime() + TIMEOUT.toNanos();
        List<JsonNode> stream = client.stream(id);
        while (stream.size() < expected.tokens().length && System.nanoTime() < end) {
            stream = client.stream(id);
        }
        assertThat(stream).hasSize(expected.tokens().length);
        for (int i = 0; i < stream.size(); i++) {
            JsonNode token = stream.get(i);
            assertThat(token.get("index").asInt()).isEqualTo(i);
            assertThat(token.get("token").asInt()).isEqualTo(expected.tokens()[i]);
            assertThat(token.get("logprob").asDouble()).as("log-prob of token %d", i)
                    .isCloseTo(expected.logprobs()[i], within(LOGPROB_TOLERANCE));
        }
    }

    private static Generation generate(DecoderModel model, int[] prompt, Sampling sampling, int maxTokens, int rank) {
        return new Generator(model, sampling, maxTokens, model.config().eosTokenIds(), rank)
                .generate(List.of(prompt), (s, t) -> { }, r -> { }).generations().get(0);
    }

    private static Path generated(Preset preset) {
        Path model = dir.resolve(preset.name());
        if (!model.resolve("config.json").toFile().exists()) {
            ModelGenerator.generate(ModelSpec.of(preset, Scale.TINY).withVocabSize(512), model);
        }
        return model;
    }
}
