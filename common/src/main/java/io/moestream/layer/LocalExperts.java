package io.moestream.layer;

import io.moestream.expert.ExpertKernel;
import java.util.List;
import java.util.Map;

/**
 * Experts computed in this process by each MoE layer's kernels: routed experts by their id, shared
 * expert {@code -1 - s} by kernel id {@code s}.
 */
public final class LocalExperts implements ExpertExecutor {

    /** One MoE layer's kernels; {@code shared} is {@code null} for a layer without shared experts. */
    public record LayerKernels(ExpertKernel routed, ExpertKernel shared) {
    }

    private final Map<Integer, LayerKernels> byLayer;

    /** @param byLayer the kernels of each MoE layer, by decoder layer index */
    public LocalExperts(Map<Integer, LayerKernels> byLayer) {
        this.byLayer = Map.copyOf(byLayer);
    }

    @Override
    public float[][] compute(int layer, float[] x, int hidden, List<ExpertCall> calls) {
        LayerKernels kernels = byLayer.get(layer);
        if (kernels == null) {
            throw new IllegalArgumentException("layer " + layer + " has no experts here; MoE layers: "
                    + byLayer.keySet());
        }
        float[][] outputs = new float[calls.size()][];
        for (int c = 0; c < calls.size(); c++) {
            ExpertCall call = calls.get(c);
            float[] batch = ExpertExecutor.gather(x, hidden, call.tokens());
            float[] y = new float[batch.length];
            if (call.expert() >= 0) {
                kernels.routed().forward(call.expert(), batch, call.tokens().length, y);
            } else if (kernels.shared() != null) {
                kernels.shared().forward(-1 - call.expert(), batch, call.tokens().length, y);
            } else {
                throw new IllegalArgumentException("layer " + layer + " has no shared experts, asked for expert "
                        + call.expert());
            }
            outputs[c] = y;
        }
        return outputs;
    }
}
