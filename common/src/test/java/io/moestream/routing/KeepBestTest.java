package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The selection under every capacity decision, against a full sort. */
class KeepBestTest {

    /**
     * {@code distinct} values spread over arrays of up to 3000, with the sorting fallback taking over
     * after 0, 1, 3 or the production number of partition rounds; few distinct values also make the
     * partitions barely shrink the range, the case the fallback is for.
     */
    @ParameterizedTest(name = "{0} distinct values")
    @ValueSource(ints = {1, 2, 3, 17, Integer.MAX_VALUE})
    void kthLargestIsTheValueAtThatRankOfADescendingSort(int distinct) {
        SplittableRandom random = new SplittableRandom(distinct);
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + random.nextInt(trial < 200 ? 100 : 3000);
            double[] values = new double[n];
            Arrays.setAll(values, i -> distinct == Integer.MAX_VALUE ? random.nextDouble() : random.nextInt(distinct));
            double[] ascending = values.clone();
            Arrays.sort(ascending);
            int rank = random.nextInt(n);
            int sortAfterRounds = new int[] {0, 1, 3, 64}[trial % 4];
            assertThat(KeepBest.kthLargest(values.clone(), rank, sortAfterRounds))
                    .as("rank %d, sorting after %d rounds, of %s", rank, sortAfterRounds, Arrays.toString(values))
                    .isEqualTo(ascending[n - 1 - rank]);
        }
    }
}
