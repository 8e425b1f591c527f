package io.moestream.layer;

import io.moestream.expert.ExpertKernel;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.AvoidedExperts;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One MoE layer: gate, the configured routing policy, expert compute grouped by expert (by an
 * {@link ExpertExecutor}: in this process, or on the expert services for the dense worker), combine
 * with the policy's weights, plus shared experts. The single-layer pipeline splits exactly these
 * steps across services, so this is also the reference its outputs are checked against.
 */
public final class MoeLayer {

    private final int layer;
    private final int hidden;
    private final GateProjection gate;
    private final Router router;
    private final ExpertExecutor experts;
    private final SharedExperts shared;
    private final double routedScalingFactor;

    /**
     * A layer computed in this process.
     *
     * @param experts computes the routed experts, numbered as the gate rows
     * @param shared the shared experts, or {@code null} for a layer without them
     * @param sharedKernel computes the shared experts, numbered {@code 0..count-1}; ignored without them
     */
    public MoeLayer(int hidden, GateProjection gate, Router router, ExpertKernel experts, SharedExperts shared,
                    ExpertKernel sharedKernel) {
        this(0, hidden, gate, router, new LocalExperts(Map.of(0, new LocalExperts.LayerKernels(experts,
                shared == null ? null : sharedKernel))), shared, 1.0);
    }

    /**
     * Decoder layer {@code layer}, whose experts {@code experts} computes, and whose routed experts'
     * weights are all multiplied by {@code routedScalingFactor} (DeepSeek-V2's
     * {@code routed_scaling_factor}), shared experts not. Only the whole-model decoder builds such
     * layers: the single-layer pipeline's reassembly ({@link BatchReassembly}) combines with the
     * routing weights alone, so its layers are built with 1.
     *
     * @param shared the shared experts, or {@code null} for a layer without them
     */
    public MoeLayer(int layer, int hidden, GateProjection gate, Router router, ExpertExecutor experts,
                    SharedExperts shared, double routedScalingFactor) {
        if (!(routedScalingFactor > 0) || Double.isInfinite(routedScalingFactor)) {
            throw new IllegalArgumentException("the routed scaling factor must be a positive number, got "
                    + routedScalingFactor);
        }
        if (gate.experts() != router.placement().experts()) {
            throw new IllegalArgumentException("the gate has " + gate.experts() + " experts but the placement "
                    + router.placement().experts());
        }
        this.layer = layer;
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
        double[][] logits = gate.logits(x, tokens);
        int[] unavailable = experts.unavailable();
        int topK = router.config().topK();
        AvoidedExperts avoided = AvoidedExperts.possible(gate.experts(), unavailable, topK)
                ? AvoidedExperts.of(logits, unavailable, topK) : AvoidedExperts.NONE;
        RoutingResult routing = router.route(avoided.isEmpty() ? logits : AvoidedExperts.masked(logits, unavailable),
                sourceRank);
        ExpertDispatch dispatch = routing.dispatch();
        List<ExpertCall> calls = new ArrayList<>();
        List<double[]> weights = new ArrayList<>();
        for (int e = 0; e < dispatch.experts(); e++) {
            if (dispatch.tokens(e).length > 0) {
                calls.add(new ExpertCall(e, dispatch.tokens(e)));
                weights.add(scaled(dispatch.weights(e)));
            }
        }
        if (shared != null) {
            int[] all = new int[tokens];
            for (int t = 0; t < tokens; t++) {
                all[t] = t;
            }
            double[] scale = shared.scales(x, tokens, hidden);
            for (int s = 0; s < shared.count(); s++) {
                calls.add(new ExpertCall(-1 - s, all));
                weights.add(scale);
            }
        }
        float[][] outputs = experts.compute(layer, x, hidden, calls);
        float[] out = new float[tokens * hidden];
        for (int c = 0; c < calls.size(); c++) {
            int[] rows = calls.get(c).tokens();
            double[] w = weights.get(c);
            for (int i = 0; i < rows.length; i++) {
                Combine.addScaled(out, rows[i] * hidden, outputs[c], i * hidden, hidden, w[i]);
            }
        }
        return new LayerOutput(out, routing, avoided);
    }

    private double[] scaled(double[] weights) {
        if (routedScalingFactor == 1.0) {
            return weights;
        }
        double[] scaled = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            scaled[i] = weights[i] * routedScalingFactor;
        }
        return scaled;
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
