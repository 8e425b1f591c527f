package io.moestream.expert.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moestream.expert.ExpertKernel;
import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.kernels.BackendStatus;
import io.moestream.kernels.KernelBackend;
import io.moestream.wire.ExpertRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ExpertComputeTest {

    private static final int HIDDEN = 8;
    private static final int FFN = 12;

    /** Records the kernel calls, so that the test can see how rows were grouped. */
    private static final class CountingKernel implements ExpertKernel {
        final ExpertKernel inner;
        final List<String> calls = new ArrayList<>();

        CountingKernel(ExpertKernel inner) {
            this.inner = inner;
        }

        @Override
        public void forward(int expert, float[] x, int rows, float[] y) {
            calls.add(expert + "x" + rows);
            inner.forward(expert, x, rows, y);
        }

        @Override
        public String description() {
            return "counting";
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private final Map<Integer, ExpertWeights> weights = Map.of(0, expert(1), 3, expert(2), -1, expert(3));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void onePollMakesOneKernelCallPerExpertAndKeepsEachDispatchApart() {
        CountingKernel kernel = new CountingKernel(new JavaExpertKernel(weights));
        List<ExpertRows> dispatches = List.of(Dispatches.random("a", 0, 3, HIDDEN, 1),
                Dispatches.random("a", 3, 2, HIDDEN, 2), Dispatches.random("b", 0, 5, HIDDEN, 3),
                Dispatches.random("b", -1, 4, HIDDEN, 4));

        List<ExpertRows> outputs;
        try (ExpertCompute compute = new ExpertCompute(layerZero(kernel), metrics())) {
            outputs = compute.compute(dispatches);
        }

        assertThat(kernel.calls).containsExactly("0x8", "3x2", "-1x4");
        try (JavaExpertKernel reference = new JavaExpertKernel(weights)) {
            for (int i = 0; i < dispatches.size(); i++) {
                ExpertRows in = dispatches.get(i);
                ExpertRows out = outputs.get(i);
                float[] expected = new float[in.rows().length];
                reference.forward(in.expert(), in.rows(), in.tokens().length, expected);
                assertThat(out.batchId()).isEqualTo(in.batchId());
                assertThat(out.expert()).isEqualTo(in.expert());
                assertThat(out.tokens()).isEqualTo(in.tokens());
                assertThat(out.rows()).containsExactly(expected);
            }
        }
        assertThat(registry.get("moe.expert.rows").tag("expert", "0").counter().count()).isEqualTo(8);
        assertThat(registry.get("moe.expert.busy").tag("expert", "0").timer().count()).isEqualTo(1);
    }

    @Test
    void eachOutputCarriesItsShareOfTheKernelTimeByRows() {
        List<ExpertRows> dispatches = List.of(Dispatches.random("a", 0, 1, HIDDEN, 1),
                Dispatches.random("b", 0, 3, HIDDEN, 2));

        List<ExpertRows> outputs;
        try (ExpertCompute compute = new ExpertCompute(layerZero(new JavaExpertKernel(weights)), metrics())) {
            outputs = compute.compute(dispatches);
        }

        long busy = (long) registry.get("moe.expert.busy").timer().totalTime(java.util.concurrent.TimeUnit.NANOSECONDS);
        assertThat(outputs.get(0).computeNanos() + outputs.get(1).computeNanos()).isBetween(busy - 1, busy);
        assertThat(outputs.get(1).computeNanos()).isBetween(3 * outputs.get(0).computeNanos(),
                3 * outputs.get(0).computeNanos() + 3);
    }

    @Test
    void eachLayersRowsGoThroughThatLayersKernel() {
        Map<Integer, ExpertWeights> layerTwo = Map.of(0, expert(7), 3, expert(8), -1, expert(9));
        ExpertRows first = Dispatches.random("a", 3, 2, HIDDEN, 1);
        ExpertRows second = new ExpertRows("a", 2, 3, first.tokens(), HIDDEN, first.rows(), 0);

        List<ExpertRows> outputs;
        try (ExpertCompute compute = new ExpertCompute(new RankKernels(new TreeMap<>(Map.of(0,
                new JavaExpertKernel(weights), 2, new JavaExpertKernel(layerTwo))), status()), metrics())) {
            outputs = compute.compute(List.of(first, second));
        }

        try (JavaExpertKernel zero = new JavaExpertKernel(weights); JavaExpertKernel two = new JavaExpertKernel(layerTwo)) {
            float[] expectedZero = new float[first.rows().length];
            float[] expectedTwo = new float[first.rows().length];
            zero.forward(3, first.rows(), 2, expectedZero);
            two.forward(3, first.rows(), 2, expectedTwo);
            assertThat(outputs.get(0).layer()).isZero();
            assertThat(outputs.get(0).rows()).containsExactly(expectedZero);
            assertThat(outputs.get(1).layer()).isEqualTo(2);
            assertThat(outputs.get(1).rows()).containsExactly(expectedTwo);
            assertThat(expectedTwo).isNotEqualTo(expectedZero);
        }
    }

    private static RankKernels layerZero(ExpertKernel kernel) {
        return new RankKernels(new TreeMap<>(Map.of(0, kernel)), status());
    }

    private static BackendStatus status() {
        return new BackendStatus(KernelBackend.JAVA, KernelBackend.JAVA, "test");
    }

    private ExpertMetrics metrics() {
        return new ExpertMetrics(registry, 0, status());
    }

    private static ExpertWeights expert(long seed) {
        Random random = new Random(seed);
        return new ExpertWeights(HIDDEN, FFN, values(random, FFN * HIDDEN), values(random, FFN * HIDDEN),
                values(random, HIDDEN * FFN));
    }

    private static float[] values(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * 0.3);
        }
        return values;
    }
}
