package io.moestream.generate;

/**
 * The sizes of DeepSeek-V2's multi-head latent attention without a query compression
 * ({@code q_lora_rank} null, as in V2-Lite): keys and values pass through a rank-{@code kvLoraRank}
 * latent, and each head's query and key are a part without position ({@code qkNopeHeadDim}) and a
 * rotary part ({@code qkRopeHeadDim}).
 */
record LatentAttention(int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim) {

    /** DeepSeek-V2-Lite's. */
    static final LatentAttention DEEPSEEK_V2_LITE = new LatentAttention(512, 128, 64, 128);

    /** The latent rank shrinks with the width, the per-head sizes as a head does. */
    LatentAttention at(Scale scale) {
        return new LatentAttention(scale.apply(kvLoraRank), scale.applyHeadDim(qkNopeHeadDim),
                scale.applyHeadDim(qkRopeHeadDim), scale.applyHeadDim(vHeadDim));
    }

    /** The width of one head's query and key. */
    int qkHeadDim() {
        return qkNopeHeadDim + qkRopeHeadDim;
    }
}
