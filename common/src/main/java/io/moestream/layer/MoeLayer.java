package io.moestream.layer;

import io.moestream.expert.ExpertKernel;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingResult;

/**
 * One MoE layer in process: gate, the configured routing policy, expert compute grouped by expert,
 * combine with the policy's weights, plus shared experts. The Kafka pipeline splits exactly these
 * steps across services, so this is also the reference its outputs are checked against.
 */
public final class MoeLayer {

    private final int hidden;
    private final GateProjection gate;
    private final Router router;
    private final ExpertKernel experts;
    private final SharedExperts shared;
    private final double routedScalingFactor;

    /**
     * @param experts computes the routed experts, numbered as the gate rows
     * @param shared the shared experts, or {@code null} for a layer without them
     */
    public MoeLayer(int hidden, GateProjection gate, Router router, ExpertKernel experts, SharedExperts shared) {
        this(hidden, gate, router, experts, shared, 1.0);
    }

    /**
     * A layer whose routed experts' weights are all multiplied by {@code routedScalingFactor}
     * (DeepSeek-V2's {@code routed_scaling_factor}), shared experts not. Only the whole-model decoder
     * builds such layers: the pipeline's reassembly ({@link BatchReassembly}) combines with the
     * routing weights alone, so its layers are built with 1.
     */
    public MoeLayer(int hidden, GateProjection gate, Router router, ExpertKernel experts, SharedExperts shared,
                    double routedScalingFactor) {
        if (!(routedScalingFactor > 0) || Double.isInfinite(routedScalingFactor)) {
            throw new IllegalArgumentException("the routed scaling factor must be a positive number, got "
                    + routedScalingFactor);
        }
        if (gate.experts() != router.placement().experts()) {
            throw new IllegalArgumentException("the gate has " + gate.experts() + " experts but the placement "
                    + router.placement().experts());
        }
        this.hidden = hidden;
        this.gate = gate;
        this.router = router;
        this.experts = experts;
        this.shared = shared;
        this.routedScalingFactor = routedScalingFactor;
    }

    public int hidden() {
        return hidden;
    }

    public Router router() {
        return router;
    }

    /**
     * @param x {@code [tokens][hidden]} row-major hidden states, all finite
     * @param sourceRank the rank the tokens sit on
     */
    public LayerOutput forward(float[] x, int tokens, int sourceRank) {
        checkInput(x, tokens);
        RoutingResult routing = router.route(gate.logits(x, tokens), sourceRank);
        float[] out = new float[tokens * hidden];
        ExpertDispatch dispatch = routing.dispatch();
        for (int e = 0; e < dispatch.experts(); e++) {
            int[] rows = dispatch.tokens(e);
            if (rows.length > 0) {
                computeExpert(e, x, rows, dispatch.weights(e), out);
            }
        }
        if (shared != null) {
            shared.addTo(x, tokens, hidden, out);
        }
        return new LayerOutput(out, routing);
    }

    /** Gathers the expert's rows into one batch, computes it, and adds each output with its weight. */
    private void computeExpert(int expert, float[] x, int[] rows, double[] weights, float[] out) {
        float[] batch = new float[rows.length * hidden];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(x, rows[i] * hidden, batch, i * hidden, hidden);
        }
        float[] y = new float[rows.length * hidden];
        experts.forward(expert, batch, rows.length, y);
        for (int i = 0; i < rows.length; i++) {
            Combine.addScaled(out, rows[i] * hidden, y, i * hidden, hidden, weights[i] * routedScalingFactor);
        }
    }

    private void checkInput(float[] x, int tokens) {
        if (tokens < 1 || x.length != (long) tokens * hidden) {
            throw new IllegalArgumentException("hidden states have " + x.length + " values, expected tokens * hidden = "
                    + tokens + " * " + hidden);
        }
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException("hidden state of token " + i / hidden + ", dimension " + i % hidden
                        + " is " + x[i] + ", expected a finite number");
            }
        }
    }
}
