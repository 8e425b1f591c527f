package io.moestream.expert;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostedExpertsTest {

    static final ExpertWeights ONE = new ExpertWeights(1, 1, new float[] {1}, new float[] {1}, new float[] {1});

    @Test
    void placesInIdOrderAndReleasesEachOnceOnClose() {
        List<String> released = new ArrayList<>();
        int[] placed = {0};
        HostedExperts<String> hosted = new HostedExperts<>(Map.of(5, ONE, 2, ONE, 9, ONE),
                w -> "r" + placed[0]++, released::add);
        assertThat(hosted.ids()).containsExactly(2, 5, 9);
        assertThat(hosted.checkedGet(5, new float[1], 1, new float[1])).isEqualTo("r1");
        hosted.close();
        hosted.close();
        assertThat(released).containsExactly("r0", "r1", "r2");
    }

    @Test
    void releasesWhatWasPlacedWhenALaterPlacementFails() {
        List<Integer> released = new ArrayList<>();
        int[] placed = {0};
        assertThatThrownBy(() -> new HostedExperts<Integer>(Map.of(0, ONE, 1, ONE, 2, ONE), w -> {
            if (placed[0] == 2) {
                throw new OutOfMemoryError("device full");
            }
            return placed[0]++;
        }, released::add)).isInstanceOf(OutOfMemoryError.class);
        assertThat(released).containsExactly(0, 1);
    }
}
