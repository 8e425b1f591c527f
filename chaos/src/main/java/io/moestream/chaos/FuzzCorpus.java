package io.moestream.chaos;

import io.moestream.model.ModelConfig;
import io.moestream.model.SharedExpertKind;
import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Bad records for every topic a user or a broken peer writes to ({@code layer-prompts}, {@code control}, {@code tokens},
 * {@code expert.<e>}, {@code expert-outputs}), generated rather than stored: truncated, oversized, wrong magic,
 * version or type, wrong dimensions, NaN and Inf, wrong ids, unknown policies, malformed JSON, empty and null
 * values and keys, and random bytes. A round is a function of the seed and its number alone; every round's keys,
 * batch ids and request ids are its own ({@code fuzz-<round>-...}), so that rounds can follow each other on a live
 * pipeline and every dead letter can be traced back to its record. chaos/FUZZ-CASES.md lists the cases.
 */
final class FuzzCorpus {

    static final String KEY_PREFIX = "fuzz-";

    /** Tokens of the well-formed batches, rows of the well-formed dispatches: small, any size would do. */
    private static final int TOKENS = 3;
    /** Past the broker's default {@code max.message.bytes} (1 MiB), which {@code layer-prompts} keeps. */
    static final int PAST_BROKER_LIMIT = 3 << 19;

    private final Topics topics;
    private final int hidden;
    private final int sharedExperts;
    private final int maxPromptTokens;
    private final long seed;

    /**
     * @param hidden the model's hidden size
     * @param sharedExperts the model's shared experts, which a well-formed manifest waits for too
     * @param maxPromptTokens the gateway's {@code moe.gateway.max-prompt-tokens}
     */
    FuzzCorpus(Topics topics, int hidden, int sharedExperts, int maxPromptTokens, long seed) {
        if (hidden < 1 || sharedExperts < 0 || maxPromptTokens < 1) {
            throw new IllegalArgumentException("hidden " + hidden + ", shared experts " + sharedExperts
                    + ", max prompt tokens " + maxPromptTokens);
        }
        this.topics = topics;
        this.hidden = hidden;
        this.sharedExperts = sharedExperts;
        this.maxPromptTokens = maxPromptTokens;
        this.seed = seed;
    }

    /** The corpus for the model in {@code modelDir}. */
    static FuzzCorpus forModel(Topics topics, Path modelDir, int maxPromptTokens, long seed) {
        ModelConfig model = ModelConfig.read(modelDir).orElseThrow(() -> new IllegalArgumentException(
                modelDir + " holds no " + ModelConfig.FILE));
        return new FuzzCorpus(topics, model.hiddenSize(), model.sharedExpert() == SharedExpertKind.NONE ? 0 : 1,
                maxPromptTokens, seed);
    }

    /** Round {@code round}'s cases, in a fixed order: the same for the same seed and round. */
    List<FuzzCase> round(int round) {
        Round r = new Round(round, new SplittableRandom(seed * 1_000_003L + round));
        r.prompts();
        r.control();
        r.tokens();
        r.expertTopic();
        r.expertOutputs();
        return List.copyOf(r.cases);
    }

    /** Adds a case of one topic. */
    private interface Case {
        void add(String name, byte[] value, String wrong);
    }

    private final class Round {

        final int number;
        final SplittableRandom random;
        final List<FuzzCase> cases = new ArrayList<>();

        Round(int number, SplittableRandom random) {
            this.number = number;
            this.random = random;
        }

        void prompts() {
            String topic = topics.layerPrompts();
            String id = key("prompts/x");
            json(topic, "prompts/malformed-json", "{\"id\": \"" + id + "\", \"prompt\": ", "malformed JSON (cut off)");
            String good = "{\"id\": \"" + id + "\", \"prompt\": \"Why do MoE layers straggle?\"}";
            json(topic, "prompts/truncated", good.substring(0, good.length() / 2), "a good prompt cut in half");
            json(topic, "prompts/not-an-object", "[\"Why do MoE layers straggle?\"]", "a JSON array, not an object");
            add("prompts/empty-value", topic, null, key("prompts/empty-value"), new byte[0], "an empty value", null);
            add("prompts/null-value", topic, null, key("prompts/null-value"), null, "no value (a tombstone)", null);
            add("prompts/null-key-neither", topic, null, null, utf8("{}"),
                    "no key, no id, neither prompt nor tokens", null);
            add("prompts/empty-key-both", topic, null, "", utf8("{\"prompt\": \"hi\", \"tokens\": [1]}"),
                    "an empty key, both prompt and tokens", null);
            prompt("prompts/prompt-not-string", "\"prompt\": 42", "the prompt is a number");
            prompt("prompts/empty-prompt", "\"prompt\": \"\"", "an empty prompt");
            prompt("prompts/blank-prompt", "\"prompt\": \"   \\t  \"", "a blank prompt");
            prompt("prompts/prompt-too-long", "\"prompt\": \"" + " hello".repeat(2 * (maxPromptTokens + 1)) + "\"",
                    "a prompt past moe.gateway.max-prompt-tokens (" + maxPromptTokens + ")");
            int[] many = new int[maxPromptTokens + 1];
            Arrays.fill(many, 1);
            prompt("prompts/too-many-tokens", "\"tokens\": " + Arrays.toString(many),
                    (maxPromptTokens + 1) + " token ids, past moe.gateway.max-prompt-tokens");
            prompt("prompts/token-out-of-vocabulary", "\"tokens\": [17, " + Integer.MAX_VALUE + "]",
                    "a token id past the vocabulary");
            prompt("prompts/negative-token", "\"tokens\": [-1]", "a negative token id");
            prompt("prompts/fractional-token", "\"tokens\": [1.5]", "a token id that is not an integer");
            prompt("prompts/huge-token", "\"tokens\": [1e400]", "a token id past any number");
            prompt("prompts/tokens-not-array", "\"tokens\": \"1 2 3\"", "token ids as a string");
            prompt("prompts/empty-tokens", "\"tokens\": []", "no token ids");
            prompt("prompts/return-outputs-not-boolean", "\"prompt\": \"hi\", \"returnOutputs\": \"yes\"",
                    "returnOutputs is a string");
            json(topic, "prompts/id-too-long", "{\"id\": \"" + "x".repeat(201) + "\", \"prompt\": \"hi\"}",
                    "an id of 201 characters (at most 200)");
            json(topic, "prompts/id-not-string", "{\"id\": 7, \"prompt\": \"hi\"}", "the id is a number");
            json(topic, "prompts/id-empty", "{\"id\": \"\", \"prompt\": \"hi\"}", "an empty id");
            json(topic, "prompts/nesting-bomb", "{\"id\": \"" + id + "\", \"prompt\": " + "[".repeat(5000)
                    + "]".repeat(5000) + "}", "JSON nested 5000 deep");
            byte[] invalidUtf8 = utf8("{\"id\": \"" + id + "\", \"prompt\": \"..\"}");
            invalidUtf8[invalidUtf8.length - 4] = (byte) 0xff;
            invalidUtf8[invalidUtf8.length - 3] = (byte) 0xfe;
            add("prompts/invalid-utf8", topic, null, key("prompts/invalid-utf8"), invalidUtf8,
                    "bytes that are not UTF-8 inside a JSON string", null);
            randomBytes("prompts/random-bytes", topic, null);
            byte[] huge = utf8("{\"id\": \"" + id + "\", \"prompt\": \"" + "a".repeat(PAST_BROKER_LIMIT) + "\"}");
            cases.add(new FuzzCase("prompts/past-broker-limit", topic, null, utf8(key("prompts/past-broker-limit")),
                    huge, "a record of " + huge.length + " bytes, past the topic's max.message.bytes", null,
                    FuzzCase.Expect.REFUSED_BY_BROKER));
        }

        void control() {
            String topic = topics.control();
            String routing = "routing";
            control("control/malformed-json", routing, "{\"policy\": ", "malformed JSON (cut off)");
            control("control/not-an-object", routing, "\"rectify\"", "a JSON string, not an object");
            control("control/unknown-policy", routing, "{\"policy\": \"sideways-" + number + "\"}",
                    "a policy that does not exist");
            control("control/unknown-option", routing, "{\"polcy\": \"rectify\"}", "an option that does not exist");
            control("control/infinite-capacity", routing, "{\"capacity-factor\": \"Infinity\"}",
                    "capacity factor Infinity");
            control("control/nan-capacity", routing, "{\"capacity-factor\": \"NaN\"}", "capacity factor NaN");
            control("control/capacity-not-number", routing, "{\"capacity-factor\": \"lots\"}",
                    "capacity factor that is no number");
            control("control/top-k-past-experts", routing, "{\"top-k\": 99}", "top-k past the model's experts");
            control("control/nested-option", routing, "{\"policy\": {\"name\": \"rectify\"}}",
                    "an option whose value is an object");
            add("control/empty-value", topic, null, routing, new byte[0], "an empty value under key routing", null);
            cases.add(new FuzzCase("control/null-key", topic, null, null, utf8("{\"policy\": \"rectify\"}"),
                    "no key, which a compacted topic does not take", null, FuzzCase.Expect.REFUSED_BY_BROKER));
            control("control/empty-key", "", "{\"policy\": \"rectify\"}", "an empty key");
            control("control/other-key", "routes", "{\"policy\": \"rectify\"}", "a key the router does not read");
            randomBytes("control/random-bytes", topic, routing);
        }

        void tokens() {
            String topic = topics.tokens();
            tokenCase("tokens/random-bytes", randomBytes(), "random bytes");
            tokenCase("tokens/empty-value", new byte[0], "an empty value");
            tokenCase("tokens/null-value", null, "no value (a tombstone)");
            byte[] good = batch("tokens/wire").toBytes(WireType.F32);
            wire("tokens/", good, dispatch("tokens/wire-e", 0, hidden).toBytes(WireType.F32), this::tokenCase);
            byte[] huge = batch("tokens/huge-length").toBytes(WireType.F32);
            int idLength = ByteBuffer.wrap(huge, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4 + idLength + 4 + 8 + 4 + 1,
                    Integer.MAX_VALUE);
            tokenCase("tokens/huge-length", huge, "declares 2^31-1 hidden-state values");
            tokenCase("tokens/wrong-hidden", new TokenBatch(key("tokens/wrong-hidden"), 0, now(),
                    spans(key("tokens/wrong-hidden")), hidden + 1, states(hidden + 1)).toBytes(WireType.F32),
                    "hidden size " + (hidden + 1) + ", the model's is " + hidden);
            tokenCase("tokens/nan-state", poisoned("tokens/nan-state", Float.NaN).toBytes(WireType.F32),
                    "a NaN hidden state");
            tokenCase("tokens/inf-state", poisoned("tokens/inf-state", Float.NEGATIVE_INFINITY)
                    .toBytes(WireType.BF16), "an -Inf hidden state (bf16)");
            String rank = key("tokens/unknown-source-rank");
            tokenCase("tokens/unknown-source-rank", new TokenBatch(rank, 99, now(), spans(rank), hidden,
                    states(hidden)).toBytes(WireType.F32), "source rank 99");
            String gap = key("tokens/spans-miss-tokens");
            tokenCase("tokens/spans-miss-tokens", new TokenBatch(gap, 0, now(), List.of(new RequestSpan(gap, 0,
                    TOKENS - 1, 0, TOKENS - 1)), hidden, states(hidden)).toBytes(WireType.F32),
                    "a token that belongs to no request");
            String none = key("tokens/no-requests");
            tokenCase("tokens/no-requests", new TokenBatch(none, 0, now(), List.of(), hidden, states(hidden))
                    .toBytes(WireType.F32), "tokens of no request at all");
            String forged = key("tokens/unknown-request");
            cases.add(new FuzzCase("tokens/unknown-request", topic, 0, utf8(forged),
                    batch("tokens/unknown-request").toBytes(WireType.F32),
                    "a well-formed batch for a request no gateway took (a broken peer)", forged,
                    FuzzCase.Expect.DEAD_LETTER));
        }

        void expertTopic() {
            String topic = topics.expert(0);
            expertCase("expert/random-bytes", randomBytes(), "random bytes");
            expertCase("expert/empty-value", new byte[0], "an empty value");
            expertCase("expert/null-value", null, "no value (a tombstone)");
            wire("expert/", dispatch("expert/wire", 0, hidden).toBytes(WireType.F32),
                    batch("expert/wire-t").toBytes(WireType.F32), this::expertCase);
            expertCase("expert/wrong-hidden", dispatch("expert/wrong-hidden", 0, hidden + 1).toBytes(WireType.F32),
                    "rows of hidden size " + (hidden + 1));
            ExpertRows nan = dispatch("expert/nan-row", 0, hidden);
            nan.rows()[hidden + 1] = Float.NaN;
            expertCase("expert/nan-row", nan.toBytes(WireType.F32), "a NaN in a row");
            ExpertRows inf = dispatch("expert/inf-row", 0, hidden);
            inf.rows()[0] = Float.POSITIVE_INFINITY;
            expertCase("expert/inf-row", inf.toBytes(WireType.F16), "an Inf in a row (f16)");
            expertCase("expert/not-hosted", dispatch("expert/not-hosted", 9_999, hidden).toBytes(WireType.F32),
                    "rows for expert 9999, which no rank hosts");
            expertCase("expert/wrong-topic", dispatch("expert/wrong-topic", 1, hidden).toBytes(WireType.F32),
                    "rows for expert 1 on expert 0's topic");
            String empty = key("expert/no-rows");
            expertCase("expert/no-rows", new ExpertRows(empty, 0, 0, new int[0], hidden, new float[0], 0)
                    .toBytes(WireType.F32), "a dispatch without rows");
            String forged = key("expert/unknown-batch");
            cases.add(new FuzzCase("expert/unknown-batch", topic, null, utf8(forged),
                    dispatch("expert/unknown-batch", 0, hidden).toBytes(WireType.F32),
                    "a well-formed dispatch of a batch no router routed: its outputs come back for no manifest",
                    forged, FuzzCase.Expect.DEAD_LETTER));
        }

        void expertOutputs() {
            String topic = topics.expertOutputs();
            outputCase("outputs/random-bytes", randomBytes(), "random bytes");
            outputCase("outputs/empty-value", new byte[0], "an empty value");
            outputCase("outputs/null-value", null, "no value (a tombstone)");
            byte[] unknownType = rows("outputs/unknown-type", hidden).toBytes(WireType.F32);
            unknownType[3] = 7;
            outputCase("outputs/unknown-type", unknownType, "record type 7");
            wire("outputs/manifest-", manifest("outputs/manifest-wire", new int[] {0, 1, 2}, 0.5).toBytes(),
                    batch("outputs/manifest-wire-t").toBytes(WireType.F32), this::outputCase);
            byte[] rows = rows("outputs/rows-truncated", hidden).toBytes(WireType.F32);
            outputCase("outputs/rows-truncated", Arrays.copyOf(rows, rows.length - hidden),
                    "expert rows cut short");
            outputCase("outputs/manifest-decreasing-slots", manifest("outputs/manifest-decreasing-slots",
                    new int[] {0, 2, 1, 2}, 0.5).toBytes(), "slot starts that go backwards");
            outputCase("outputs/manifest-nan-weight", manifest("outputs/manifest-nan-weight", new int[] {0, 1, 2},
                    Double.NaN).toBytes(), "a NaN combine weight");
            outputCase("outputs/rows-wrong-hidden", rows("outputs/rows-wrong-hidden", hidden + 1)
                    .toBytes(WireType.F32), "rows of hidden size " + (hidden + 1));
            ExpertRows nan = rows("outputs/rows-nan", hidden);
            nan.rows()[1] = Float.NaN;
            outputCase("outputs/rows-nan", nan.toBytes(WireType.F32), "a NaN output");
            ExpertRows inf = rows("outputs/rows-inf", hidden);
            inf.rows()[hidden] = Float.NEGATIVE_INFINITY;
            outputCase("outputs/rows-inf", inf.toBytes(WireType.BF16), "an -Inf output (bf16)");
            String stale = key("outputs/rows-without-manifest");
            cases.add(new FuzzCase("outputs/rows-without-manifest", topic, null, utf8(stale),
                    rows("outputs/rows-without-manifest", hidden).toBytes(WireType.F32),
                    "well-formed rows of a batch without a manifest (stale, duplicated or forged)", stale,
                    FuzzCase.Expect.DEAD_LETTER));
            String forged = key("outputs/manifest-unknown-request");
            cases.add(new FuzzCase("outputs/manifest-unknown-request", topic, null, utf8(forged),
                    manifest("outputs/manifest-unknown-request", new int[] {0, 1, 2}, 0.5).toBytes(),
                    "a well-formed manifest of a request no gateway took, whose experts never answer", forged,
                    FuzzCase.Expect.DEAD_LETTER));
        }

        /** Envelope and framing faults of one good record, each under {@code prefix}. */
        void wire(String prefix, byte[] good, byte[] otherType, Case to) {
            byte[] magic = good.clone();
            magic[0] = 'X';
            to.add(prefix + "wrong-magic", magic, "magic bytes XS instead of MS");
            byte[] version = good.clone();
            version[2] = 9;
            to.add(prefix + "wrong-version", version, "format version 9");
            to.add(prefix + "wrong-type", otherType, "a record of another type");
            to.add(prefix + "truncated", Arrays.copyOf(good, good.length / 2), "cut in half");
            to.add(prefix + "header-only", Arrays.copyOf(good, 4), "the envelope alone");
            to.add(prefix + "trailing-bytes", Arrays.copyOf(good, good.length + 3), "3 bytes past its end");
        }

        void tokenCase(String name, byte[] value, String wrong) {
            add(name, topics.tokens(), 0, key(name), value, wrong, null);
        }

        void expertCase(String name, byte[] value, String wrong) {
            add(name, topics.expert(0), null, key(name), value, wrong, null);
        }

        void outputCase(String name, byte[] value, String wrong) {
            add(name, topics.expertOutputs(), null, key(name), value, wrong, null);
        }

        void control(String name, String key, String json, String wrong) {
            add(name, topics.control(), null, key, utf8(json), wrong, null);
        }

        void prompt(String name, String fields, String wrong) {
            json(topics.layerPrompts(), name, "{\"id\": \"" + key(name) + "\", " + fields + "}", wrong);
        }

        void json(String topic, String name, String json, String wrong) {
            add(name, topic, null, key(name), utf8(json), wrong, null);
        }

        void randomBytes(String name, String topic, String key) {
            add(name, topic, null, key, randomBytes(), "random bytes", null);
        }

        byte[] randomBytes() {
            byte[] bytes = new byte[16 + random.nextInt(1024)];
            random.nextBytes(bytes);
            return bytes;
        }

        void add(String name, String topic, Integer partition, String key, byte[] value, String wrong,
                 String traceKey) {
            cases.add(new FuzzCase(name, topic, partition, key == null ? null : utf8(key), value, wrong, traceKey,
                    FuzzCase.Expect.DEAD_LETTER));
        }

        /** Unique to the round and the case: {@code fuzz-<round>-<name>}. */
        String key(String name) {
            return KEY_PREFIX + number + "-" + name.replace('/', '-');
        }

        /** A well-formed batch of {@link #TOKENS} tokens of one request, batch id and request id both the key. */
        TokenBatch batch(String name) {
            String id = key(name);
            return new TokenBatch(id, 0, now(), spans(id), hidden, states(hidden));
        }

        TokenBatch poisoned(String name, float value) {
            TokenBatch batch = batch(name);
            batch.states()[hidden + random.nextInt(hidden)] = value;
            return batch;
        }

        List<RequestSpan> spans(String id) {
            return List.of(new RequestSpan(id, 0, TOKENS, 0, TOKENS));
        }

        float[] states(int width) {
            float[] states = new float[TOKENS * width];
            for (int i = 0; i < states.length; i++) {
                states[i] = (float) (random.nextDouble() * 2 - 1);
            }
            return states;
        }

        ExpertRows dispatch(String name, int expert, int width) {
            return new ExpertRows(key(name), 0, expert, new int[] {0, 1}, width, Arrays.copyOf(states(width), 2 * width),
                    0);
        }

        /** Expert 0's outputs for the two tokens {@link #manifest} routes to it. */
        ExpertRows rows(String name, int width) {
            return new ExpertRows(key(name), 0, 0, new int[] {0, 1}, width, Arrays.copyOf(states(width), 2 * width),
                    1_000);
        }

        /** Tokens' slots by {@code slotStart}, all on expert 0, each of the given weight; one request span. */
        RoutingManifest manifest(String name, int[] slotStart, double weight) {
            String id = key(name);
            int tokens = slotStart.length - 1;
            int slots = slotStart[tokens];
            double[] weights = new double[slots];
            Arrays.fill(weights, weight);
            double[] sharedScale = new double[sharedExperts > 0 ? tokens : 0];
            Arrays.fill(sharedScale, 1);
            return new RoutingManifest(id, 0, now(), List.of(new RequestSpan(id, 0, tokens, 0, tokens)), tokens,
                    "token-drop", Double.NaN, -1, slotStart, new int[slots], new int[slots], weights,
                    new int[tokens], sharedExperts, sharedScale);
        }
    }

    /** Batch and manifest times: as the gateway stamps them, so that deadlines count from the send. */
    private static long now() {
        return System.currentTimeMillis();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
