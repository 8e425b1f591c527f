package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The merge sort behind greedy reroute's order, against the JDK's stable sort of boxed indices. */
class StableOrderTest {

    @ParameterizedTest(name = "{0} distinct keys")
    @ValueSource(ints = {1, 3, 50, Integer.MAX_VALUE})
    void ordersByDescendingKeyAndKeepsEqualKeysInIndexOrder(int distinct) {
        SplittableRandom random = new SplittableRandom(distinct);
        for (int trial = 0; trial < 200; trial++) {
            int n = random.nextInt(trial < 100 ? 20 : 2000);
            double[] key = new double[n + random.nextInt(5)];
            for (int i = 0; i < key.length; i++) {
                key[i] = distinct == Integer.MAX_VALUE ? random.nextDouble() : random.nextInt(distinct);
            }
            int[] expected = IntStream.range(0, n).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> key[i]).reversed())
                    .mapToInt(Integer::intValue).toArray();
            assertThat(StableOrder.byDescendingKey(key, n)).as("order of the first %d of %d keys", n, key.length)
                    .isEqualTo(expected);
        }
    }
}
