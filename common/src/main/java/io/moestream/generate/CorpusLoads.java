package io.moestream.generate;

import io.moestream.layer.GateProjection;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.Corpus;
import java.util.List;
import java.util.function.Function;

/**
 * Measures how unbalanced a generated model routes real text: every prompt of a corpus is one
 * step, tokenized by the model's own tokenizer, embedded and routed dropless top-k through layer
 * 0's gate with the project's {@link Router}, and the experts' loads are summed over the corpus.
 * Layer 0 is what the layer-only pipeline serves, fed with token embeddings as here; in a whole
 * model the router reads the RMSNorm of the residual stream, which the generator keeps close to
 * the embedding (see {@link WeightPlan}), and every later layer's gate is built as layer 0's.
 *
 * <p>{@code ./moe generate-model} prints this measurement for the model it writes, and
 * {@code ./moe generate-model --measure-only} reprints the figures the presets are tuned to.
 */
public final class CorpusLoads {

    private CorpusLoads() {
    }

    /**
     * The loads of the model {@code spec} generates, drawing only the embedding rows the corpus
     * uses, so that even full width takes seconds. Identical to routing the written checkpoint's
     * F32 tables; a full-scale checkpoint stores them in BF16, which moves a logit by a fraction
     * of a percent. Prompts are tokenized as the model's tokenizer.json tokenizes them, BOS
     * included where the family adds it.
     */
    public static LoadReport measure(ModelSpec spec, Corpus corpus) {
        SkewModel model = spec.skewModel();
        GeneratedTokenizer tokenizer = GeneratedTokenizer.of(spec);
        int hidden = spec.hidden();
        Function<String, float[]> encoder = prompt -> {
            int[] ids = tokenizer.encode(prompt);
            float[] states = new float[ids.length * hidden];
            for (int t = 0; t < ids.length; t++) {
                model.embeddingRow(ids[t], states, t * hidden);
            }
            return states;
        };
        return measure(corpus, encoder, hidden, model.gate(), spec.preset().topK());
    }

    /**
     * The loads of any gate on any corpus.
     *
     * @param encoder a prompt to its hidden states {@code [tokens][hidden]}, such as
     *        {@link io.moestream.text.PromptEncoder#encode}
     * @param gate the router weight {@code [experts][hidden]}, row-major
     */
    public static LoadReport measure(Corpus corpus, Function<String, float[]> encoder, int hidden, float[] gate,
                                     int topK) {
        int experts = gate.length / hidden;
        GateProjection projection = new GateProjection(hidden, experts, gate);
        Router router = new Router(RoutingConfig.builder(Policy.DROPLESS, topK).build(),
                Placement.contiguous(experts, 1));
        long[] load = new long[experts];
        int tokens = 0;
        for (String prompt : corpus.texts()) {
            float[] states = encoder.apply(prompt);
            int n = states.length / hidden;
            List<Integer> stepLoad = router.route(projection.logits(states, n), 0).stats().load();
            for (int e = 0; e < experts; e++) {
                load[e] += stepLoad.get(e);
            }
            tokens += n;
        }
        return new LoadReport(tokens, topK, load);
    }
}
