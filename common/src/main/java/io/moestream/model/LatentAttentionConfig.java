package io.moestream.model;

/**
 * The sizes of DeepSeek-V2's multi-head latent attention, from config.json. Keys and values of every
 * head come out of one {@code kv_lora_rank} latent per token; each head's query and key are a part
 * without position ({@code qk_nope_head_dim}) and a rotary part ({@code qk_rope_head_dim}), the
 * latter's key shared by all heads.
 *
 * @param qLoraRank {@code q_lora_rank}: the rank of the query compression, 0 when it is null (one {@code q_proj})
 * @param kvLoraRank {@code kv_lora_rank}
 * @param qkNopeHeadDim {@code qk_nope_head_dim}
 * @param qkRopeHeadDim {@code qk_rope_head_dim}, even: the rotary embedding turns pairs
 * @param vHeadDim {@code v_head_dim}
 */
public record LatentAttentionConfig(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim) {

    public LatentAttentionConfig {
        if (qLoraRank < 0 || kvLoraRank < 1 || qkNopeHeadDim < 1 || vHeadDim < 1) {
            throw new IllegalArgumentException("kv_lora_rank, qk_nope_head_dim and v_head_dim must be positive and"
                    + " q_lora_rank null or positive, got kv_lora_rank " + kvLoraRank + ", qk_nope_head_dim "
                    + qkNopeHeadDim + ", v_head_dim " + vHeadDim + ", q_lora_rank " + qLoraRank);
        }
        if (qkRopeHeadDim < 2 || qkRopeHeadDim % 2 != 0) {
            throw new IllegalArgumentException("qk_rope_head_dim must be even and >= 2 for the rotary embedding, got "
                    + qkRopeHeadDim);
        }
    }

    /** Whether queries pass through a {@code q_lora_rank} latent ({@code q_a_proj}, {@code q_a_layernorm}, {@code q_b_proj}). */
    public boolean compressesQueries() {
        return qLoraRank > 0;
    }

    /** The width of one head's query and key: {@code qk_nope_head_dim + qk_rope_head_dim}. */
    public int qkHeadDim() {
        return qkNopeHeadDim + qkRopeHeadDim;
    }
}
