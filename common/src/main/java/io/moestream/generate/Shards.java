package io.moestream.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a checkpoint into files of at most a given size, keeping the tensors in order, as
 * transformers' {@code save_pretrained} does: a new shard starts when the next tensor would not fit,
 * and a tensor larger than the limit gets a shard of its own.
 */
final class Shards {

    private Shards() {
    }

    static List<List<PlannedTensor>> split(List<PlannedTensor> tensors, int bytesPerElement, long maxShardBytes) {
        if (maxShardBytes < 1) {
            throw new IllegalArgumentException("the shard size must be >= 1 byte, got " + maxShardBytes);
        }
        List<List<PlannedTensor>> shards = new ArrayList<>();
        List<PlannedTensor> current = new ArrayList<>();
        long currentBytes = 0;
        for (PlannedTensor tensor : tensors) {
            long bytes = tensor.elements() * bytesPerElement;
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(tensor);
            currentBytes += bytes;
        }
        shards.add(current);
        return shards;
    }

    /** The file name of shard {@code index} (from 0) of {@code count}, as transformers names them. */
    static String fileName(int index, int count) {
        return String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }
}
