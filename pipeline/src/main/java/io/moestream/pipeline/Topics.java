package io.moestream.pipeline;

import io.moestream.wire.ExpertRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The pipeline's topics, all under one prefix (default {@code moe.}):
 *
 * <table>
 * <tr><th>topic</th><th>key</th><th>value</th><th>partitions</th><th>retention</th></tr>
 * <tr><td>layer-prompts</td><td>request id (optional)</td><td>prompt JSON</td><td>source ranks</td><td>1 day</td></tr>
 * <tr><td>tokens</td><td>batch id</td><td>{@link io.moestream.wire.TokenBatch}</td><td>source ranks (partition = rank)</td><td>1 hour</td></tr>
 * <tr><td>expert.&lt;e&gt;, expert.shared-&lt;s&gt;</td><td>batch id</td><td>{@link ExpertRows} dispatch</td><td>expert-service replicas</td><td>1 hour</td></tr>
 * <tr><td>expert-outputs</td><td>batch id</td><td>{@link io.moestream.wire.RoutingManifest} or {@link ExpertRows}</td><td>source ranks</td><td>1 hour</td></tr>
 * <tr><td>layer-results</td><td>request id</td><td>result JSON</td><td>source ranks</td><td>1 day</td></tr>
 * <tr><td>dead-letter</td><td>original key</td><td>{@link DeadLetter} JSON</td><td>1</td><td>7 days</td></tr>
 * <tr><td>control</td><td>setting name</td><td>routing settings JSON</td><td>1, compacted</td><td>forever</td></tr>
 * <tr><td>router-trace</td><td>batch id</td><td>a {@code ./moe replay} input line</td><td>1</td><td>1 day</td></tr>
 * <tr><td colspan="5">whole models (dense workers, docs/PIPELINE.md):</td></tr>
 * <tr><td>dense-expert.&lt;e&gt;, dense-expert.shared-&lt;s&gt;</td><td>step id</td><td>{@link ExpertRows} dispatch of every MoE layer</td><td>expert-service replicas</td><td>1 hour</td></tr>
 * <tr><td>prompts</td><td>request id</td><td>completion request JSON</td><td>source ranks</td><td>1 day</td></tr>
 * <tr><td>layer-outputs</td><td>step id</td><td>{@link ExpertRows} outputs</td><td>source ranks (partition = the worker's rank)</td><td>1 hour</td></tr>
 * <tr><td>completion-stream</td><td>request id</td><td>token JSON, one per generated token</td><td>source ranks (the request's partition)</td><td>1 day</td></tr>
 * <tr><td>results</td><td>request id</td><td>completion result JSON, one per request</td><td>source ranks (the request's partition)</td><td>1 day</td></tr>
 * </table>
 *
 * Whole models own {@code prompts} and {@code results}, the service's main job; the single-layer pipeline
 * (one MoE layer's hidden states: {@code ./moe demo}'s pipeline part and the chaos harness) reads
 * {@code layer-prompts} and writes {@code layer-results}.
 *
 * Hidden states are large and only in flight for milliseconds, hence the short retention of the
 * internal topics; a batch's manifest and outputs share its key, so one reassembly task sees them all.
 */
public final class Topics {

    public static final String DEFAULT_PREFIX = "moe.";

    /**
     * The header of a dense worker's dispatch that names the partition of {@link #layerOutputs()} its
     * outputs go to (the worker's rank, as a decimal string).
     */
    public static final String REPLY_PARTITION_HEADER = "moe-reply-partition";

    /**
     * The largest record the topics that carry hidden states accept: a 256-token step of a
     * Mixtral-small layer is already 1 MiB in f32, Kafka's default limit. Producers of these
     * records raise {@code max.request.size} to match.
     */
    public static final int MAX_RECORD_BYTES = 64 << 20;

    private static final long HOUR_MS = 3_600_000L;
    private static final long DAY_MS = 24 * HOUR_MS;

    private final String prefix;

    public Topics(String prefix) {
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }

    /** The single-layer pipeline's requests (one MoE layer's hidden states). */
    public String layerPrompts() {
        return prefix + "layer-prompts";
    }

    public String tokens() {
        return prefix + "tokens";
    }

    /** {@code expert.<e>} for a routed expert, {@code expert.shared-<s>} for a shared one (negative id). */
    public String expert(int expert) {
        return expert >= 0 ? prefix + "expert." + expert : prefix + "expert.shared-" + (-1 - expert);
    }

    /**
     * A dense worker's dispatches to {@code expert} for every MoE layer: topics of their own, so that the
     * pipeline's exactly-once reader of {@link #expert} never holds up a decode step with its transactions.
     */
    public String denseExpert(int expert) {
        return expert >= 0 ? prefix + "dense-expert." + expert : prefix + "dense-expert.shared-" + (-1 - expert);
    }

    public String expertOutputs() {
        return prefix + "expert-outputs";
    }

    /** The single-layer pipeline's reassembled results. */
    public String layerResults() {
        return prefix + "layer-results";
    }

    public String deadLetter() {
        return prefix + "dead-letter";
    }

    public String control() {
        return prefix + "control";
    }

    public String routerTrace() {
        return prefix + "router-trace";
    }

    /** Whole-model requests: {@code {"id", "prompt" | "tokens", "max_tokens", ...}}. */
    public String prompts() {
        return prefix + "prompts";
    }

    public String layerOutputs() {
        return prefix + "layer-outputs";
    }

    public String completionStream() {
        return prefix + "completion-stream";
    }

    /** Whole-model results: exactly one final record per request. */
    public String results() {
        return prefix + "results";
    }

    /** Every topic of a deployment, with the partitions and settings the table above gives. */
    public List<NewTopic> all(TopicLayout layout) {
        int ranks = layout.sourceRanks();
        List<NewTopic> topics = new ArrayList<>();
        topics.add(topic(layerPrompts(), ranks, DAY_MS));
        topics.add(hiddenStates(tokens(), ranks));
        addPerExpert(topics, layout, this::expert);
        topics.add(hiddenStates(expertOutputs(), ranks));
        // A result carries its outputs when asked (base64 hidden states), a dead letter its original record.
        topics.add(large(layerResults(), ranks, DAY_MS));
        topics.add(large(deadLetter(), 1, 7 * DAY_MS));
        topics.add(new NewTopic(control(), 1, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        topics.add(topic(routerTrace(), 1, DAY_MS));
        addPerExpert(topics, layout, this::denseExpert);
        topics.add(appendTimed(topic(prompts(), ranks, DAY_MS)));
        topics.add(hiddenStates(layerOutputs(), ranks));
        topics.add(appendTimed(topic(completionStream(), ranks, DAY_MS)));
        topics.add(appendTimed(large(results(), ranks, DAY_MS)));
        return topics;
    }

    /** A dispatch topic, named by {@code name}, for every routed and every shared expert. */
    private static void addPerExpert(List<NewTopic> topics, TopicLayout layout, IntFunction<String> name) {
        for (int e = 0; e < layout.experts(); e++) {
            topics.add(hiddenStates(name.apply(e), layout.expertReplicas()));
        }
        for (int s = 0; s < layout.sharedExperts(); s++) {
            topics.add(hiddenStates(name.apply(ExpertRows.sharedExpertId(s)), layout.expertReplicas()));
        }
    }

    private static NewTopic hiddenStates(String name, int partitions) {
        return large(name, partitions, HOUR_MS);
    }

    /** A topic whose records may be as large as a batch of hidden states: past the broker's default 1 MiB. */
    public static NewTopic large(String name, int partitions, long retentionMs) {
        return new NewTopic(name, partitions, (short) 1).configs(Map.of(
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_RECORD_BYTES)));
    }

    /**
     * The broker's clock, not the producers', stamps the records: a dense worker that takes a partition over
     * finds what its predecessor wrote for a request from the request's time (docs/PIPELINE.md, "Faults").
     */
    private static NewTopic appendTimed(NewTopic topic) {
        Map<String, String> configs = new java.util.HashMap<>(topic.configs());
        configs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        return topic.configs(configs);
    }

    private static NewTopic topic(String name, int partitions, long retentionMs) {
        return new NewTopic(name, partitions, (short) 1)
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs)));
    }
}
