package io.moestream.decoder;

import io.moestream.model.DecoderConfig;
import io.moestream.model.LatentAttentionConfig;
import io.moestream.model.LatentAttentionWeights;

/**
 * DeepSeek-V2's multi-head latent attention, as transformers' {@code DeepseekV2Attention} computes
 * it: queries from {@code q_proj}, or {@code q_b_proj(q_a_layernorm(q_a_proj(x)))}; keys and values
 * of every head from one {@code kv_lora_rank} latent, {@code kv_b_proj(kv_a_layernorm(latent))}; each
 * head's key is its own {@code k_nope} followed by the one rotary key {@code k_pe} all heads share.
 * The rotary embedding turns adjacent pairs {@code (2i, 2i+1)} of the rope parts.
 *
 * <p>The keys and values handed on are decompressed, per head, so that {@link Attention} caches and
 * attends over them as over any family's: per token and layer that is
 * {@code heads * (qk_nope_head_dim + qk_rope_head_dim + v_head_dim)} floats, where caching the latent
 * would take {@code kv_lora_rank + qk_rope_head_dim}, at the price of more work per step.
 */
final class LatentQkv implements QkvProjection {

    /** transformers builds {@code q_a_layernorm} and {@code kv_a_layernorm} with the default eps, not {@code rms_norm_eps}. */
    private static final double LATENT_NORM_EPS = 1e-6;

    private final int heads;
    private final LatentAttentionConfig mla;
    private final Linear q;
    private final Linear qA;
    private final float[] qANorm;
    private final Linear qB;
    private final Linear kvA;
    private final float[] kvANorm;
    private final Linear kvB;
    private final Rope rope;

    LatentQkv(DecoderConfig config, LatentAttentionWeights weights, ComputeBackend backend, Rope rope) {
        int d = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.mla = config.latentAttention();
        int queries = heads * mla.qkHeadDim();
        boolean compressed = mla.compressesQueries();
        this.q = compressed ? null : backend.linear(weights.q(), queries, d);
        this.qA = compressed ? backend.linear(weights.qA(), mla.qLoraRank(), d) : null;
        this.qANorm = weights.qANorm();
        this.qB = compressed ? backend.linear(weights.qB(), queries, mla.qLoraRank()) : null;
        this.kvA = backend.linear(weights.kvA(), mla.kvLoraRank() + mla.qkRopeHeadDim(), d);
        this.kvANorm = weights.kvANorm();
        this.kvB = backend.linear(weights.kvB(), heads * (mla.qkNopeHeadDim() + mla.vHeadDim()), mla.kvLoraRank());
        this.rope = rope;
    }

    @Override
    public int heads() {
        return heads;
    }

    @Override
    public int keyValueHeads() {
        return heads;
    }

    @Override
    public int keyDim() {
        return mla.qkHeadDim();
    }

    @Override
    public int valueDim() {
        return mla.vHeadDim();
    }

    @Override
    public float[][] project(float[] h, int tokens, int[] positionOf) {
        int qk = mla.qkHeadDim();
        int nope = mla.qkNopeHeadDim();
        int ropeDim = mla.qkRopeHeadDim();
        int vd = mla.vHeadDim();
        int rank = mla.kvLoraRank();
        float[] queries = queries(h, tokens);
        float[] compressed = apply(kvA, h, tokens);
        float[] latent = new float[tokens * rank];
        for (int t = 0; t < tokens; t++) {
            RmsNorm.applyRow(compressed, t * (rank + ropeDim), kvANorm, LATENT_NORM_EPS, latent, t * rank);
        }
        float[] kv = apply(kvB, latent, tokens);
        float[] keys = new float[tokens * heads * qk];
        float[] values = new float[tokens * heads * vd];
        for (int t = 0; t < tokens; t++) {
            double[] angles = rope.angles(positionOf[t]);
            rope.rotatePairs(queries, t * heads * qk + nope, heads, qk, angles);
            int kPe = t * (rank + ropeDim) + rank;
            rope.rotatePairs(compressed, kPe, 1, ropeDim, angles);
            for (int head = 0; head < heads; head++) {
                int from = (t * heads + head) * (nope + vd);
                int key = (t * heads + head) * qk;
                System.arraycopy(kv, from, keys, key, nope);
                System.arraycopy(compressed, kPe, keys, key + nope, ropeDim);
                System.arraycopy(kv, from + nope, values, (t * heads + head) * vd, vd);
            }
        }
        return new float[][] {queries, keys, values};
    }

    private float[] queries(float[] h, int tokens) {
        if (q != null) {
            return apply(q, h, tokens);
        }
        float[] down = apply(qA, h, tokens);
        RmsNorm.apply(down, tokens, qANorm, LATENT_NORM_EPS, down);
        return apply(qB, down, tokens);
    }

    private static float[] apply(Linear projection, float[] x, int rows) {
        float[] y = new float[rows * projection.out()];
        projection.forward(x, rows, y);
        return y;
    }

    @Override
    public void close() {
        for (Linear projection : new Linear[] {q, qA, qB, kvA, kvB}) {
            if (projection != null) {
                projection.close();
            }
        }
    }
}
