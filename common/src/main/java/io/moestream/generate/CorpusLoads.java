package io.moestream.generate;

import io.moestream.layer.GateProjection;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.text.Cl100k;
import io.moestream.text.Corpus;
import java.util.List;
import java.util.function.Function;

/**
 * Measures how unbalanced a generated model routes real text: every prompt of a corpus is one
 * step, embedded and routed dropless top-k through the layer's gate with the project's
 * {@link Router}, and the experts' loads are summed over the corpus.
 *
 * <p>{@code ./moe generate-model} prints this measurement for the model it writes, and
 * {@code ./moe generate-model --measure-only} reprints the figures the presets are tuned to.
 */
public final class CorpusLoads {

    private static final int BAR_WIDTH = 40;

    private CorpusLoads() {
    }

    /**
     * The loads of the model {@code spec} generates, drawing only the embedding rows the corpus
     * uses, so that even full width takes seconds. Identical to routing the written checkpoint's
     * F32 tables; a full-scale checkpoint stores them in BF16, which moves a logit by a fraction
     * of a percent.
     */
    public static LoadReport measure(ModelSpec spec, Corpus corpus) {
        SkewModel model = spec.skewModel();
        int hidden = spec.hidden();
        Function<String, float[]> encoder = prompt -> {
            int[] ids = Cl100k.tokenize(prompt);
            float[] states = new float[ids.length * hidden];
            for (int t = 0; t < ids.length; t++) {
                if (ids[t] >= spec.vocabSize()) {
                    throw new IllegalArgumentException("token id " + ids[t] + " is outside the model's vocabulary of "
                            + spec.vocabSize());
                }
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
