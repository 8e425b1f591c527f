package io.moestream.model;

/** Whether and how a family normalises queries and keys before the rotary embedding. */
public enum QkNorm {
    /** Mixtral, Qwen2-MoE. */
    NONE,
    /** OLMoE: one RMSNorm over the whole projection, all heads together ({@code [heads * head_dim]}). */
    WHOLE,
    /** Qwen3-MoE: one RMSNorm per head, its weight shared by the heads ({@code [head_dim]}). */
    PER_HEAD
}
