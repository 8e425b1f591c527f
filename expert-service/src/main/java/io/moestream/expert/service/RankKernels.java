package io.moestream.expert.service;

import io.moestream.expert.ExpertKernel;
import io.moestream.kernels.BackendStatus;
import io.moestream.kernels.ExpertKernels;
import io.moestream.kernels.KernelBackend;
import io.moestream.kernels.SelectedKernel;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One kernel for each MoE layer a rank hosts, all on the same backend: a layer's experts are one
 * kernel's, numbered by wire id, as the single-layer kernels are.
 */
final class RankKernels implements AutoCloseable {

    private final SortedMap<Integer, ExpertKernel> byLayer;
    private final BackendStatus status;

    /** @param byLayer each hosted MoE layer's kernel, by decoder layer index */
    RankKernels(SortedMap<Integer, ExpertKernel> byLayer, BackendStatus status) {
        this.byLayer = Collections.unmodifiableSortedMap(new TreeMap<>(byLayer));
        this.status = status;
    }

    /** Places every hosted layer's experts on {@code backend}; closes what it placed when a later layer fails. */
    static RankKernels create(KernelBackend backend, RankExperts experts, int threads) {
        SortedMap<Integer, ExpertKernel> kernels = new TreeMap<>();
        BackendStatus status = null;
        try {
            for (var layer : experts.byLayer().entrySet()) {
                SelectedKernel selected = ExpertKernels.create(backend, layer.getValue(), threads);
                kernels.put(layer.getKey(), selected.kernel());
                status = status == null ? selected.status() : status;
            }
        } catch (RuntimeException | Error e) {
            kernels.values().forEach(ExpertKernel::close);
            throw e;
        }
        return new RankKernels(kernels, status);
    }

    /** The kernel of MoE layer {@code layer}, or {@code null} when the layer is not hosted here. */
    ExpertKernel kernel(int layer) {
        return byLayer.get(layer);
    }

    BackendStatus status() {
        return status;
    }

    /** The backend, as the first layer's kernel describes it. */
    String description() {
        return byLayer.get(byLayer.firstKey()).description();
    }

    @Override
    public void close() {
        byLayer.values().forEach(ExpertKernel::close);
    }
}
