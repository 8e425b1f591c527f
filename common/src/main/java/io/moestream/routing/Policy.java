package io.moestream.routing;

/** The routing policies of ROUTING-SPEC section 2; {@link SpecName} gives their spec names. */
public enum Policy {
    DROPLESS,
    VANILLA,
    TOKEN_DROP,
    TOKEN_REROUTE,
    EXPANDED_DROP,
    RECTIFY,
    RECTIFY_IR,
    RECTIFY_FR;

    boolean intraGpuRectification() {
        return this == RECTIFY || this == RECTIFY_IR;
    }

    boolean fillInRectification() {
        return this == RECTIFY || this == RECTIFY_FR;
    }

    boolean rectifies() {
        return intraGpuRectification() || fillInRectification();
    }
}
