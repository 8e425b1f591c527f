package io.moestream.generate;

import io.moestream.model.NamingFamily;
import io.moestream.model.Projection;
import io.moestream.model.SharedExpertKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Every tensor of a generated checkpoint, named as the family's real checkpoints name them, in the
 * order transformers saves them: embeddings, then layer 0's router, routed experts and shared
 * expert. The embeddings and router come from the {@link SkewModel}; every expert matrix is drawn
 * uniformly with standard deviation {@code 1/sqrt(fan_in)} (PyTorch's Linear default has the same
 * form), so an expert maps a unit-RMS token to an output of order one. Each tensor draws from
 * its own stream named after it.
 */
final class WeightPlan {

    /** The only layer a generated model has. */
    static final int LAYER = 0;

    private WeightPlan() {
    }

    static List<PlannedTensor> of(ModelSpec spec) {
        SkewModel skew = spec.skewModel();
        Preset preset = spec.preset();
        int d = spec.hidden();
        List<PlannedTensor> plan = new ArrayList<>();
        plan.add(new PlannedTensor(NamingFamily.EMBED_TOKENS, new int[] {spec.vocabSize(), d}, () -> {
            float[] table = new float[Math.multiplyExact(spec.vocabSize(), d)];
            for (int v = 0; v < spec.vocabSize(); v++) {
                skew.embeddingRow(v, table, v * d);
            }
            return table;
        }));
        NamingFamily names = preset.family();
        plan.add(new PlannedTensor(names.gate(LAYER), new int[] {preset.experts(), d}, skew::gate));
        for (int e = 0; e < preset.experts(); e++) {
            int expert = e;
            addExpert(plan, spec, d, spec.expertFfn(), projection -> names.expert(LAYER, expert, projection));
        }
        SharedExpertKind shared = preset.sharedExpert();
        if (shared != SharedExpertKind.NONE) {
            addExpert(plan, spec, d, spec.sharedFfn(), projection -> shared.tensor(LAYER, projection));
            if (shared.gated()) {
                plan.add(uniform(spec, shared.gateTensor(LAYER), 1, d));
            }
        }
        return plan;
    }

    private static void addExpert(List<PlannedTensor> plan, ModelSpec spec, int hidden, int ffn,
                                  Function<Projection, String> name) {
        plan.add(uniform(spec, name.apply(Projection.W1), ffn, hidden));
        plan.add(uniform(spec, name.apply(Projection.W3), ffn, hidden));
        plan.add(uniform(spec, name.apply(Projection.W2), hidden, ffn));
    }

    /** A {@code [rows][fanIn]} matrix, uniform in {@code +-sqrt(3 / fanIn)}: variance {@code 1/fanIn}. */
    private static PlannedTensor uniform(ModelSpec spec, String name, int rows, int fanIn) {
        return new PlannedTensor(name, new int[] {rows, fanIn}, () -> {
            SplittableRandom random = Seeds.stream(spec.seed(), name);
            float bound = (float) Math.sqrt(3.0 / fanIn);
            float[] values = new float[Math.multiplyExact(rows, fanIn)];
            for (int i = 0; i < values.length; i++) {
                values[i] = Seeds.uniform(random, bound);
            }
            return values;
        });
    }
}
