package io.moestream.expert.service;

import io.moestream.wire.ExpertRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes a poll's dispatches with each layer's kernel, whose only user it is (kernels want one owner
 * thread: the pipeline's listener and the dense workers' loop take turns). All rows for one expert of one layer in a poll go through one
 * kernel call: one GEMM of many rows runs far faster than many GEMMs of a few.
 */
final class ExpertCompute implements AutoCloseable {

    private final RankKernels kernels;
    private final ExpertMetrics metrics;

    /** One expert of one layer: the rows one kernel call computes. */
    private record LayerExpert(int layer, int expert) {
    }

    ExpertCompute(RankKernels kernels, ExpertMetrics metrics) {
        this.kernels = kernels;
        this.metrics = metrics;
    }

    /**
     * The outputs of {@code dispatches} (of hosted layers only), one for each in the same order, with the
     * batch id, layer, expert and tokens of its dispatch. Each carries its share of its expert's kernel time, by rows.
     */
    synchronized List<ExpertRows> compute(List<ExpertRows> dispatches) {
        Map<LayerExpert, List<Integer>> byExpert = new LinkedHashMap<>();
        for (int i = 0; i < dispatches.size(); i++) {
            ExpertRows dispatch = dispatches.get(i);
            byExpert.computeIfAbsent(new LayerExpert(dispatch.layer(), dispatch.expert()), e -> new ArrayList<>()).add(i);
        }
        ExpertRows[] outputs = new ExpertRows[dispatches.size()];
        byExpert.forEach((expert, indices) -> computeExpert(expert, indices.stream().map(dispatches::get).toList(),
                indices, outputs));
        return Arrays.asList(outputs);
    }

    private void computeExpert(LayerExpert key, List<ExpertRows> group, List<Integer> indices, ExpertRows[] outputs) {
        int hidden = group.get(0).hidden();
        int rows = group.stream().mapToInt(d -> d.tokens().length).sum();
        float[] x = concat(group, rows * hidden);
        float[] y = new float[x.length];
        long start = System.nanoTime();
        int expert = key.expert();
        kernels.kernel(key.layer()).forward(expert, x, rows, y);
        long busy = System.nanoTime() - start;
        metrics.computed(expert, rows, busy);
        int offset = 0;
        for (int g = 0; g < group.size(); g++) {
            ExpertRows dispatch = group.get(g);
            int length = dispatch.rows().length;
            long share = rows == 0 ? busy / group.size() : busy * dispatch.tokens().length / rows;
            outputs[indices.get(g)] = new ExpertRows(dispatch.batchId(), dispatch.layer(), expert, dispatch.tokens(), hidden,
                    Arrays.copyOfRange(y, offset, offset + length), share);
            offset += length;
        }
    }

    private static float[] concat(List<ExpertRows> group, int values) {
        if (group.size() == 1) {
            return group.get(0).rows();
        }
        float[] x = new float[values];
        int offset = 0;
        for (ExpertRows dispatch : group) {
            System.arraycopy(dispatch.rows(), 0, x, offset, dispatch.rows().length);
            offset += dispatch.rows().length;
        }
        return x;
    }

    @Override
    public void close() {
        kernels.close();
    }
}
