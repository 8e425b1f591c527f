package io.moestream.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardsTest {

    private static PlannedTensor tensor(String name, int elements) {
        return new PlannedTensor(name, new int[] {elements}, () -> new float[elements]);
    }

    @Test
    void startsANewShardWhenTheNextTensorWouldNotFit() {
        List<PlannedTensor> tensors = List.of(tensor("a", 10), tensor("b", 10), tensor("c", 30), tensor("d", 5));

        List<List<String>> shards = Shards.split(tensors, 2, 40).stream()
                .map(shard -> shard.stream().map(PlannedTensor::name).toList())
                .toList();

        assertThat(shards).containsExactly(List.of("a", "b"), List.of("c"), List.of("d"));
    }

    @Test
    void aTensorLargerThanTheLimitGetsAShardOfItsOwn() {
        List<List<PlannedTensor>> shards = Shards.split(List.of(tensor("a", 1), tensor("huge", 100), tensor("b", 1)), 4, 8);

        assertThat(shards).hasSize(3);
        assertThat(shards.get(1)).extracting(PlannedTensor::name).containsExactly("huge");
    }

    @Test
    void everythingFitsInOneShardUnderTheLimit() {
        assertThat(Shards.split(List.of(tensor("a", 1), tensor("b", 1)), 4, 8)).hasSize(1);
        assertThatThrownBy(() -> Shards.split(List.of(), 4, 0)).hasMessage("the shard size must be >= 1 byte, got 0");
    }

    @Test
    void namesShardsAsTransformersDoes() {
        assertThat(Shards.fileName(0, 3)).isEqualTo("model-00001-of-00003.safetensors");
    }
}
