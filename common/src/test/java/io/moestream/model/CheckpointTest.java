package io.moestream.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.moestream.model.SafetensorsErrorsTest.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {

    @TempDir
    Path dir;

    final TinyModel model = TinyModel.of("mixtral");

    /** Layer 1 in the second shard, everything else in the first. */
    static boolean layerOne(String name) {
        return name.startsWith("model.layers.1.");
    }

    @Test
    void aSingleFileCheckpoint() {
        model.writeSingle(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(checkpoint.names()).containsExactlyInAnyOrderElementsOf(model.tensors.keySet());
            assertThat(checkpoint.has("model.layers.0.block_sparse_moe.gate.weight")).isTrue();
            Tensor embedding = checkpoint.tensor(NamingFamily.EMBED_TOKENS, TinyModel.VOCAB, TinyModel.HIDDEN);
            assertThat(embedding.data()).containsExactly(model.data(NamingFamily.EMBED_TOKENS));
        }
    }

    @Test
    void aShardedCheckpointReadsFromEveryShard() {
        model.writeSharded(dir, CheckpointTest::layerOne);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(checkpoint.names()).containsExactlyInAnyOrderElementsOf(model.tensors.keySet());
            for (String name : model.tensors.keySet()) {
                assertThat(checkpoint.tensor(name).data()).as(name).containsExactly(model.data(name));
            }
        }
    }

    @Test
    void onlyTheShardsNeededAreOpened() throws IOException {
        model.writeSharded(dir, CheckpointTest::layerOne);
        // A host of layer 0 may not even have the other shard; here it is garbage.
        Path second = dir.resolve(TinyModel.shardName(2));
        Files.write(second, new byte[] {1, 2, 3});

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            String gate = "model.layers.0.block_sparse_moe.gate.weight";
            assertThat(checkpoint.tensor(gate).data()).containsExactly(model.data(gate));
            assertThat(checkpoint.has("model.layers.1.block_sparse_moe.gate.weight")).isTrue();
            assertFails(() -> checkpoint.tensor("model.layers.1.block_sparse_moe.gate.weight"), second, null, "truncated");
        }
    }

    @Test
    void aMissingTensorNamesTheIndex() {
        model.writeSharded(dir, CheckpointTest::layerOne);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertFails(() -> checkpoint.tensor("lm_head.weight"), dir.resolve(Checkpoint.INDEX_FILE), "lm_head.weight",
                    "no such tensor in the checkpoint");
        }
    }

    @Test
    void aMissingTensorNamesTheSingleFile() {
        model.writeSingle(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertFails(() -> checkpoint.tensor("lm_head.weight"), dir.resolve(Checkpoint.SINGLE_FILE), "lm_head.weight",
                    "no such tensor");
        }
    }

    @Test
    void anIndexThatPutsATensorInTheWrongShard() {
        SafetensorsWriter.write(dir.resolve("a.safetensors"), Map.of("x", Tensor.of(new float[1], 1)), DType.F32);
        TinyModel.writeJson(dir.resolve(Checkpoint.INDEX_FILE), Map.of("weight_map", Map.of("y", "a.safetensors")));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertFails(() -> checkpoint.tensor("y"), dir.resolve("a.safetensors"), "y", "its header does not list it");
        }
    }

    @Test
    void anIndexMayNotReachOutsideTheDirectory() {
        TinyModel.writeJson(dir.resolve(Checkpoint.INDEX_FILE), Map.of("weight_map", Map.of("x", "../../etc/passwd")));
        assertFails(() -> Checkpoint.open(dir), dir.resolve(Checkpoint.INDEX_FILE), "x", "must name a shard file in the same directory");
    }

    @Test
    void anIndexWithoutWeightMap() {
        TinyModel.writeJson(dir.resolve(Checkpoint.INDEX_FILE), Map.of("metadata", Map.of()));
        assertFails(() -> Checkpoint.open(dir), dir.resolve(Checkpoint.INDEX_FILE), null, "has no weight_map");
    }

    @Test
    void aDirectoryWithoutWeights() {
        assertFails(() -> Checkpoint.open(dir), dir, null, "holds neither model.safetensors nor model.safetensors.index.json");
    }

    @Test
    void theSingleFileWinsOverAnIndex() {
        model.writeSingle(dir);
        TinyModel.writeJson(dir.resolve(Checkpoint.INDEX_FILE), Map.of("weight_map", Map.of("x", "absent.safetensors")));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(checkpoint.has("x")).isFalse();
            assertThat(checkpoint.has(NamingFamily.EMBED_TOKENS)).isTrue();
        }
    }

    @Test
    void aClosedCheckpointRefusesReads() {
        model.writeSharded(dir, CheckpointTest::layerOne);
        Checkpoint checkpoint = Checkpoint.open(dir);
        checkpoint.close();
        assertThatThrownBy(() -> checkpoint.tensor(NamingFamily.EMBED_TOKENS))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
