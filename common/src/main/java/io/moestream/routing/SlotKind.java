package io.moestream.routing;

/** Why a kept slot exists (ROUTING-SPEC sections 2.4 to 2.6). */
public enum SlotKind {
    /** One of the token's own top-k choices. */
    PRIMARY,
    /** Moved by {@code token-reroute} to an expert outside the token's top-k. */
    REROUTED,
    /** Taken by {@code expanded-drop} on a local expert outside the token's top-k. */
    EXPANDED,
    /** Added by Intra-GPU Rectification on the token's own rank. */
    RECTIFIED,
    /** Added by Fill-in Rectification on the token's (k+1)-th choice. */
    FILLED
}
