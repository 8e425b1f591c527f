package io.moestream.generate;

import io.moestream.model.NamingFamily;
import io.moestream.model.Projection;
import io.moestream.model.SharedExpertKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Every tensor of a generated whole decoder model, named and shaped as the family's transformers
 * checkpoints are, in the order transformers saves them: the embeddings; for each layer its
 * attention, its MoE block (router, routed experts, shared expert) or plain MLP, and its two
 * RMSNorms; then the final norm and {@code lm_head}. Each tensor draws from its own stream named
 * after it, so the same specification always gives the same values.
 *
 * <p><b>Values.</b> The embeddings and every MoE layer's router come from the {@link SkewModel}.
 * Every matrix that reads the residual stream or a block's inner state (q/k/v, the latent
 * projections, the experts' and MLPs' gate and up projections, {@code lm_head}) is uniform with
 * variance {@code 1/fan_in}, the form of PyTorch's Linear default, so it maps a unit-RMS input to
 * outputs of order one, and {@code lm_head} gives logits of unit spread. The matrices that write
 * back into the residual stream ({@code o_proj} and every {@code down_proj}) are smaller by
 * {@link #RESIDUAL_GAIN}{@code / sqrt(2 * layers)}, GPT-2's scaling: each of the {@code 2 * layers}
 * blocks adds an output of RMS at most about that fraction of the embedding's, in directions
 * unrelated to one another, so together they add of the order of {@code RESIDUAL_GAIN} of it
 * whatever the depth. The stream stays dominated by the token's embedding, its RMSNorm stays
 * close to the embedding, and each layer's router, built like layer 0's, routes as unbalanced as
 * layer 0's ({@code WholeModelRoutingTest} runs whole models through the decoder engine to check). RMSNorm weights are
 * {@code 1 +- }{@link #SPREAD} and biases {@code +-}{@link #SPREAD} rather than the exact ones and
 * zeros of a freshly initialised model, so an engine that skipped one would compute other logits.
 */
final class WeightPlan {

    /** Scale of the output projections, before the depth's {@code 1/sqrt(2 * layers)}. */
    static final double RESIDUAL_GAIN = 0.25;

    /** Half-width of the uniform spread of norm weights around 1 and of biases around 0. */
    static final float SPREAD = 0.1f;

    private final ModelSpec spec;
    private final SkewModel skew;
    private final int hidden;
    private final double outputScale;
    private final List<PlannedTensor> plan = new ArrayList<>();

    private WeightPlan(ModelSpec spec) {
        this.spec = spec;
        this.skew = spec.skewModel();
        this.hidden = spec.hidden();
        this.outputScale = RESIDUAL_GAIN / Math.sqrt(2.0 * spec.layers());
    }

    static List<PlannedTensor> of(ModelSpec spec) {
        WeightPlan weights = new WeightPlan(spec);
        weights.embeddings();
        for (int layer = 0; layer < spec.layers(); layer++) {
            weights.layer(layer);
        }
        weights.head();
        return weights.plan;
    }

    private void embeddings() {
        int rows = spec.vocabSize();
        plan.add(new PlannedTensor(NamingFamily.EMBED_TOKENS, new int[] {rows, hidden}, () -> {
            float[] table = new float[Math.multiplyExact(rows, hidden)];
            for (int v = 0; v < rows; v++) {
                skew.embeddingRow(v, table, v * hidden);
            }
            return table;
        }));
    }

    private void layer(int layer) {
        String prefix = "model.layers." + layer + ".";
        if (spec.latentAttention().isPresent()) {
            latentAttention(prefix + "self_attn.", spec.latentAttention().get());
        } else {
            attention(prefix + "self_attn.");
        }
        if (spec.denseLayers().contains(layer)) {
            swiGlu(spec.denseFfn(), projection -> prefix + "mlp." + projection.nameIn(NamingFamily.MLP) + ".weight");
        } else {
            moe(layer);
        }
        plan.add(norm(prefix + "input_layernorm.weight", hidden));
        plan.add(norm(prefix + "post_attention_layernorm.weight", hidden));
    }

    /** Grouped-query attention, with Qwen2-MoE's q/k/v biases and OLMoE's or Qwen3-MoE's q/k norms. */
    private void attention(String prefix) {
        int queryWidth = spec.heads() * spec.headDim();
        int keyValueWidth = spec.kvHeads() * spec.headDim();
        boolean bias = spec.preset() == Preset.QWEN_MOE_LIKE;
        for (String name : List.of("q_proj", "k_proj", "v_proj")) {
            int rows = name.equals("q_proj") ? queryWidth : keyValueWidth;
            plan.add(matrix(prefix + name + ".weight", rows, hidden, 1));
            if (bias) {
                plan.add(around(prefix + name + ".bias", rows, 0));
            }
        }
        plan.add(matrix(prefix + "o_proj.weight", hidden, queryWidth, outputScale));
        switch (spec.preset()) {
            // OLMoE normalises each projection whole, all heads together.
            case OLMOE_LIKE -> {
                plan.add(norm(prefix + "q_norm.weight", queryWidth));
                plan.add(norm(prefix + "k_norm.weight", keyValueWidth));
            }
            // Qwen3-MoE normalises each head, with one weight all heads share.
            case QWEN3_MOE_LIKE -> {
                plan.add(norm(prefix + "q_norm.weight", spec.headDim()));
                plan.add(norm(prefix + "k_norm.weight", spec.headDim()));
            }
            default -> {
            }
        }
    }

    /** DeepSeek-V2's multi-head latent attention without query compression ({@code q_lora_rank} null). */
    private void latentAttention(String prefix, LatentAttention mla) {
        int heads = spec.heads();
        plan.add(matrix(prefix + "q_proj.weight", heads * mla.qkHeadDim(), hidden, 1));
        plan.add(matrix(prefix + "kv_a_proj_with_mqa.weight", mla.kvLoraRank() + mla.qkRopeHeadDim(), hidden, 1));
        plan.add(norm(prefix + "kv_a_layernorm.weight", mla.kvLoraRank()));
        plan.add(matrix(prefix + "kv_b_proj.weight", heads * (mla.qkNopeHeadDim() + mla.vHeadDim()), mla.kvLoraRank(),
                1));
        plan.add(matrix(prefix + "o_proj.weight", hidden, heads * mla.vHeadDim(), outputScale));
    }

    private void moe(int layer) {
        Preset preset = spec.preset();
        NamingFamily names = preset.family();
        plan.add(new PlannedTensor(names.gate(layer), new int[] {preset.experts(), hidden}, () -> skew.gate(layer)));
        for (int e = 0; e < preset.experts(); e++) {
            int expert = e;
            swiGlu(spec.expertFfn(), projection -> names.expert(layer, expert, projection));
        }
        SharedExpertKind shared = preset.sharedExpert();
        if (shared != SharedExpertKind.NONE) {
            swiGlu(spec.sharedFfn(), projection -> shared.tensor(layer, projection));
            if (shared.gated()) {
                plan.add(matrix(shared.gateTensor(layer), 1, hidden, 1));
            }
        }
    }

    /** The three matrices of a SwiGLU FFN, the output one scaled for the residual stream. */
    private void swiGlu(int ffn, Function<Projection, String> name) {
        plan.add(matrix(name.apply(Projection.W1), ffn, hidden, 1));
        plan.add(matrix(name.apply(Projection.W3), ffn, hidden, 1));
        plan.add(matrix(name.apply(Projection.W2), hidden, ffn, outputScale));
    }

    private void head() {
        plan.add(norm("model.norm.weight", hidden));
        plan.add(matrix("lm_head.weight", spec.vocabSize(), hidden, 1));
    }

    /** A {@code [rows][fanIn]} matrix, uniform with variance {@code (scale^2)/fanIn}. */
    private PlannedTensor matrix(String name, int rows, int fanIn, double scale) {
        float bound = (float) (scale * Math.sqrt(3.0 / fanIn));
        return new PlannedTensor(name, new int[] {rows, fanIn}, () -> uniform(name, Math.multiplyExact(rows, fanIn),
                0, bound));
    }

    /** An RMSNorm weight, {@code [size]}, near 1. */
    private PlannedTensor norm(String name, int size) {
        return around(name, size, 1);
    }

    /** A vector, {@code [size]}, uniform in {@code center +- SPREAD}. */
    private PlannedTensor around(String name, int size, float center) {
        return new PlannedTensor(name, new int[] {size}, () -> uniform(name, size, center, SPREAD));
    }

    private float[] uniform(String name, int count, float center, float bound) {
        SplittableRandom random = Seeds.stream(spec.seed(), name);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = center + Seeds.uniform(random, bound);
        }
        return values;
    }
}
