package io.moestream.cli;

import io.moestream.local.LocalStack;
import io.moestream.routing.Placement;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import tools.jackson.databind.JsonNode;

/**
 * The demo's whole-model part through Kafka: under each policy, the prompts and held-out sequences of the
 * in-process part ({@link WholeModelDemo}) sent to the running stack's {@code prompts} as any Kafka client sends
 * them, and what came back: the text, the perplexity, time to first token, inter-token latency, and per MoE layer
 * how evenly the kept slots fell on the experts and ranks.
 *
 * <p>The demo's stack already serves the whole model: its router service runs a dense worker per rank under the
 * router's live routing, as {@code ./moe local} does. So the policies are switched live with a record on
 * {@code control}, as the pipeline part switches them, rather than by a {@code WholeModelStack} per policy,
 * whose routing is fixed: that would start expert services and load the model again for every policy.
 */
final class WholeModelKafka {

    private static final String LOAD = "moe_worker_layer_expert_load_total";

    /**
     * One prompt's greedy continuation through Kafka.
     *
     * @param firstDifference the first token that differs from the in-process continuation under the same policy,
     *        or -1 when none does
     */
    record Text(String domain, String text, int[] tokens, int firstDifference) {
    }

    /**
     * The kept slots of one MoE layer summed over every step of a policy's requests. The workers' straggler and
     * balancedness gauges hold their last step only, so these come from their per-expert load counters.
     *
     * @param straggler the busiest expert's kept slots over the mean expert's (1 is balanced)
     * @param balancedness the mean rank's kept slots over the busiest rank's (1 is balanced), as SGLang and vLLM
     *        report it
     */
    record LayerBalance(int layer, double straggler, double balancedness) {
    }

    /** Nearest-rank percentiles, in milliseconds. */
    record Latency(double p50, double p99) {

        static Latency of(double[] ms) {
            return new Latency(Percentile.of(ms, 0.50), Percentile.of(ms, 0.99));
        }
    }

    /**
     * One policy's figures.
     *
     * @param inProcessPerplexity the in-process perplexity of the same sequences under the same policy
     * @param timeToFirstTokenMs the results' {@code timeToFirstTokenMs}: from the request's arrival at its
     *        dense worker to its first token
     * @param interTokenMs the gaps between a request's consecutive tokens on {@code completion-stream}, stamped by
     *        the broker. Both are each request's own figures, not the workers' timers, whose Prometheus
     *        histograms only place a percentile within a bucket about a quarter wide
     * @param degraded requests answered {@code degraded}: experts out of reach were routed around
     */
    record PolicyFigures(String policy, List<Text> texts, double perplexity, double inProcessPerplexity,
                         Latency timeToFirstTokenMs, Latency interTokenMs, List<LayerBalance> layers, int degraded) {

        long textsAsInProcess() {
            return texts.stream().filter(t -> t.firstDifference() < 0).count();
        }
    }

    /**
     * @param newTokens the most tokens generated per prompt, as in process
     * @param sequences held-out sequences scored per policy, the in-process part's
     * @param predicted their tokens with a prediction
     */
    record Result(int newTokens, int sequences, long predicted, List<PolicyFigures> policies) {
    }

    private WholeModelKafka() {
    }

    /** @param policies by spec name, in the in-process part's order */
    static Result run(LocalStack stack, WholeModelDemo.Result inProcess, List<String> policies, double capacityFactor,
                      Placement placement, PrintWriter progress) {
        List<Map<String, Object>> generate = inProcess.prompts().stream().<Map<String, Object>>map(prompt -> Map.of(
                "tokens", prompt, "max_tokens", inProcess.newTokens(), "temperature", 0)).toList();
        List<Map<String, Object>> score = inProcess.mixedSequences().stream().<Map<String, Object>>map(s -> Map.of(
                "tokens", s.tokens(), "max_tokens", 0, "echo", true, "logprobs", 0)).toList();
        Set<Integer> moeLayers = inProcess.mixed().dropless().layers().byLayer().keySet();
        List<PolicyFigures> figures = new ArrayList<>();
        try (PipelineDriver control = new PipelineDriver(stack, List.of(), progress);
             CompletionDriver client = new CompletionDriver(stack, progress)) {
            progress.printf("moe demo: the whole model through Kafka, warming up (the prompts once, not measured)...%n");
            progress.flush();
            // The first requests would pay for the JIT compiling the dense workers' Kafka path.
            client.send("whole-warm-up", generate);
            for (int i = 0; i < policies.size(); i++) {
                String policy = policies.get(i);
                progress.printf(Locale.ROOT, "moe demo: the whole model through Kafka, %s (%d of %d)...%n", policy,
                        i + 1, policies.size());
                progress.flush();
                // The router's live routing serves its pipeline and its dense workers alike, so the pipeline's
                // probe shows that the workers' next step runs under the policy too.
                control.switchTo(policy, capacityFactor);
                PolicyFigures f = measure(stack.routerUrl(), client, policy, generate, score, inProcess, moeLayers,
                        placement);
                progress.printf(Locale.ROOT, "  %s: perplexity %.2f (in process %.2f), %d of %d texts as in process%n",
                        policy, f.perplexity(), f.inProcessPerplexity(), f.textsAsInProcess(), f.texts().size());
                progress.flush();
                figures.add(f);
            }
        }
        long predicted = inProcess.mixedSequences().stream().mapToLong(s -> s.tokens().length - 1).sum();
        return new Result(inProcess.newTokens(), score.size(), predicted, figures);
    }

    /** Sends the prompts, then the sequences to score, and reads the workers' meters before and after both. */
    private static PolicyFigures measure(String routerUrl, CompletionDriver client, String policy,
                                         List<Map<String, Object>> generate, List<Map<String, Object>> score,
                                         WholeModelDemo.Result inProcess, Set<Integer> moeLayers, Placement placement) {
        PrometheusScrape before = PrometheusScrape.of(routerUrl);
        CompletionDriver.Pass generated = client.send("whole-" + policy, generate);
        CompletionDriver.Pass scored = client.send("whole-" + policy + "-scored", score);
        PrometheusScrape after = PrometheusScrape.of(routerUrl);
        requireRoutedUnder(policy, generated);
        requireRoutedUnder(policy, scored);
        return new PolicyFigures(policy, texts(inProcess, policy, generated), perplexity(scored),
                inProcess.mixedCell(policy).totals().perplexity(), timeToFirstToken(generated), interToken(generated),
                layers(before, after, moeLayers, placement), degraded(generated) + degraded(scored));
    }

    /** A result under another policy would put its figures in the wrong row. */
    private static void requireRoutedUnder(String policy, CompletionDriver.Pass pass) {
        for (JsonNode result : pass.results()) {
            String routed = result.path("routing").path("policy").asString();
            if (!routed.equals(policy)) {
                throw new IllegalStateException("request " + result.path("id").asString() + " was routed under "
                        + routed + ", not " + policy);
            }
        }
    }

    private static int degraded(CompletionDriver.Pass pass) {
        return (int) Arrays.stream(pass.results()).filter(r -> "degraded".equals(r.path("status").asString())).count();
    }

    private static List<Text> texts(WholeModelDemo.Result inProcess, String policy, CompletionDriver.Pass generated) {
        List<Text> texts = new ArrayList<>();
        for (int p = 0; p < generated.results().length; p++) {
            JsonNode result = generated.results()[p];
            int[] tokens = result.path("tokens").valueStream().mapToInt(JsonNode::asInt).toArray();
            WholeModelDemo.Prompted prompted = inProcess.texts().get(p);
            texts.add(new Text(prompted.domain(), result.path("text").asString(), tokens,
                    Arrays.mismatch(tokens, prompted.byPolicy().get(policy).tokens())));
        }
        return texts;
    }

    /** exp of minus the mean log-prob over every predicted prompt token; the first of each has none. */
    private static double perplexity(CompletionDriver.Pass scored) {
        double sum = 0;
        long predicted = 0;
        for (JsonNode result : scored.results()) {
            JsonNode logprobs = result.path("logprobs").path("token_logprobs");
            for (int i = 1; i < logprobs.size(); i++) {
                sum += logprobs.get(i).asDouble();
                predicted++;
            }
        }
        return Math.exp(-sum / predicted);
    }

    private static Latency timeToFirstToken(CompletionDriver.Pass generated) {
        return Latency.of(Arrays.stream(generated.results()).filter(r -> r.has("timeToFirstTokenMs"))
                .mapToDouble(r -> r.path("timeToFirstTokenMs").asDouble()).toArray());
    }

    private static Latency interToken(CompletionDriver.Pass generated) {
        return Latency.of(generated.streamed().stream()
                .flatMapToDouble(times -> IntStream.range(1, times.length)
                        .mapToDouble(j -> times[j] - times[j - 1]))
                .toArray());
    }

    /** Layers whose experts' load the workers did not count (past WorkerMetrics' series limit) are left out. */
    private static List<LayerBalance> layers(PrometheusScrape before, PrometheusScrape after, Set<Integer> moeLayers,
                                             Placement placement) {
        List<LayerBalance> layers = new ArrayList<>();
        for (int layer : moeLayers) {
            double[] experts = new double[placement.experts()];
            double[] ranks = new double[placement.ranks()];
            for (int e = 0; e < experts.length; e++) {
                experts[e] = after.since(before, LOAD, "layer=" + layer, "expert=" + e);
                ranks[placement.rankOf(e)] += experts[e];
            }
            double total = Arrays.stream(experts).sum();
            if (total > 0) {
                layers.add(new LayerBalance(layer, Arrays.stream(experts).max().orElseThrow() / (total / experts.length),
                        total / ranks.length / Arrays.stream(ranks).max().orElseThrow()));
            }
        }
        return layers;
    }
}
