package io.moestream.layer;

import io.moestream.expert.ExpertWeights;
import io.moestream.expert.JavaExpertKernel;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.Placement;
import io.moestream.routing.Policy;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingStats;
import io.moestream.routing.Slot;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Reassembly against the in-process layer: the test plays router and experts, computing the
 * dispatched rows with the reference kernel, and hands them over in shuffled order.
 */
class BatchReassemblyTest {

    static final int HIDDEN = 6;
    static final int FFN = 5;
    static final int EXPERTS = 4;
    static final int SHARED = 2;
    static final int TOKENS = 12;

    final RandomWeights random = new RandomWeights(7);
    final Map<Integer, ExpertWeights> experts = random.experts(EXPERTS, HIDDEN, FFN);
    final Map<Integer, ExpertWeights> sharedWeights = random.experts(SHARED, HIDDEN, FFN);
    final float[] gate = random.floats(EXPERTS * HIDDEN, 1.0);
    final float[] sharedGate = random.floats(HIDDEN, 1.0);
    final float[] x = random.floats(TOKENS * HIDDEN, 1.0);
    final JavaExpertKernel kernel = new JavaExpertKernel(experts);
    final JavaExpertKernel sharedKernel = new JavaExpertKernel(sharedWeights);
    final TokenBatch batch = new TokenBatch("g-r1-7", 1, 1000L,
            List.of(new RequestSpan("a", 0, 5, 3, 8), new RequestSpan("b", 5, 7, 0, 7)), HIDDEN, x);

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shuffledOutputsCombineToTheLayersOutput(Policy policy) {
        Step step = route(policy, true);
        BatchReassembly reassembly = new BatchReassembly(step.manifest, HIDDEN);
        List<ExpertRows> parts = new ArrayList<>(step.outputs);
        Collections.shuffle(parts, new Random(policy.ordinal()));
        for (ExpertRows part : parts) {
            assertThat(reassembly.isComplete()).isFalse();
            assertThat(reassembly.accept(part)).isTrue();
        }

        assertThat(reassembly.isComplete()).isTrue();
        assertThat(reassembly.missingExperts()).isEmpty();
        float[] combined = reassembly.combine();
        for (int i = 0; i < combined.length; i++) {
            assertThat(combined[i]).as("value %d", i).isCloseTo(step.expected.output()[i], within(1e-6f));
        }
    }

    @Test
    void aRedeliveredExpertIsIgnored() {
        Step step = route(Policy.DROPLESS, false);
        BatchReassembly reassembly = new BatchReassembly(step.manifest, HIDDEN);
        step.outputs.forEach(reassembly::accept);
        float[] once = reassembly.combine();

        assertThat(reassembly.accept(step.outputs.get(0))).isFalse();
        assertThat(reassembly.combine()).containsExactly(once);
    }

    @Test
    void countsPerRequestAddUpToTheStepsStatistics() {
        Step step = route(Policy.RECTIFY, true);
        BatchReassembly reassembly = new BatchReassembly(step.manifest, HIDDEN);
        step.outputs.forEach(reassembly::accept);

        BatchReassembly.Counts total = reassembly.countsByRequest().values().stream()
                .reduce(BatchReassembly.Counts.NONE, BatchReassembly.Counts::plus);
        RoutingStats stats = step.expected.routing().stats();
        assertThat(reassembly.countsByRequest()).containsOnlyKeys("a", "b");
        assertThat(total).isEqualTo(new BatchReassembly.Counts(stats.kept(), stats.dropped(), stats.rerouted(),
                stats.expanded(), stats.rectified(), stats.filled()));
    }

    @Test
    void missingExpertsSlotsCountAsDroppedAndAddNothing() {
        Step step = route(Policy.DROPLESS, true);
        int missing = step.outputs.stream().filter(r -> r.expert() >= 0).findFirst().orElseThrow().expert();
        BatchReassembly reassembly = new BatchReassembly(step.manifest, HIDDEN);
        step.outputs.stream().filter(r -> r.expert() != missing && r.expert() != -2).forEach(reassembly::accept);

        assertThat(reassembly.isComplete()).isFalse();
        assertThat(reassembly.missingExperts()).containsExactly(-2, missing);
        assertThatThrownBy(reassembly::combine).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("misses experts shared-1, " + missing);
        float[] partial = reassembly.combinePartial();
        int slotsOnMissing = 0;
        for (int t = 0; t < TOKENS; t++) {
            double[] expected = new double[HIDDEN];
            for (Slot slot : step.expected.routing().kept(t)) {
                if (slot.expert() == missing) {
                    slotsOnMissing++;
                    continue;
                }
                float[] y = expertOf(kernel, slot.expert(), t);
                for (int i = 0; i < HIDDEN; i++) {
                    expected[i] += slot.weight() * y[i];
                }
            }
            float[] s0 = expertOf(sharedKernel, 0, t);
            for (int i = 0; i < HIDDEN; i++) {
                expected[i] += step.manifest.sharedScale()[t] * s0[i];
                assertThat((double) partial[t * HIDDEN + i]).as("token %d dim %d", t, i)
                        .isCloseTo(expected[i], within(1e-5));
            }
        }
        BatchReassembly.Counts total = reassembly.countsByRequest().values().stream()
                .reduce(BatchReassembly.Counts.NONE, BatchReassembly.Counts::plus);
        assertThat(total.dropped()).isEqualTo(slotsOnMissing);
        assertThat(total.kept()).isEqualTo(step.expected.routing().stats().kept() - slotsOnMissing);
    }

    @Test
    void rowsThatDoNotMatchTheManifestAreRefusedNamingWhy() {
        Step step = route(Policy.DROPLESS, false);
        BatchReassembly reassembly = new BatchReassembly(step.manifest, HIDDEN);
        ExpertRows good = step.outputs.get(0);

        assertThatThrownBy(() -> reassembly.accept(new ExpertRows("other", 0, good.expert(), good.tokens(), HIDDEN,
                good.rows(), 0))).hasMessage("rows of batch other offered to batch g-r1-7");
        assertThatThrownBy(() -> reassembly.accept(new ExpertRows("g-r1-7", 0, 99, good.tokens(), HIDDEN, good.rows(), 0)))
                .hasMessage("batch g-r1-7: expert 99 has no slot in the manifest");
        assertThatThrownBy(() -> reassembly.accept(new ExpertRows("g-r1-7", 0, good.expert(), good.tokens(), 3,
                new float[good.tokens().length * 3], 0)))
                .hasMessage("batch g-r1-7: expert " + good.expert() + " sent rows of hidden size 3, expected 6");
        assertThatThrownBy(() -> reassembly.accept(new ExpertRows("g-r1-7", 0, good.expert(), new int[] {0}, HIDDEN,
                new float[HIDDEN], 0))).hasMessageContaining("that are not the " + good.tokens().length + " tokens");
        assertThat(reassembly.missingExperts()).hasSize(step.outputs.size());
    }

    /** The layer's forward and what router and experts would send for the same step. */
    record Step(LayerOutput expected, RoutingManifest manifest, List<ExpertRows> outputs) {
    }

    private Step route(Policy policy, boolean withShared) {
        RoutingConfig config = RoutingConfig.builder(policy, 2).capacityFactor(0.75).build();
        Router router = new Router(config, Placement.contiguous(EXPERTS, 2));
        SharedExperts shared = withShared ? new SharedExperts(SHARED, sharedGate) : null;
        MoeLayer layer = new MoeLayer(HIDDEN, new GateProjection(HIDDEN, EXPERTS, gate), router, kernel, shared,
                sharedKernel);
        LayerOutput expected = layer.forward(x, TOKENS, batch.sourceRank());

        List<ExpertRows> outputs = new ArrayList<>();
        ExpertDispatch dispatch = expected.routing().dispatch();
        for (int e = 0; e < EXPERTS; e++) {
            int[] tokens = dispatch.tokens(e);
            if (tokens.length > 0) {
                outputs.add(new ExpertRows(batch.batchId(), 0, e, tokens, HIDDEN, compute(kernel, e, tokens), 0));
            }
        }
        double[] scale = new double[withShared ? TOKENS : 0];
        if (withShared) {
            int[] every = new int[TOKENS];
            for (int t = 0; t < TOKENS; t++) {
                every[t] = t;
                scale[t] = 1 / (1 + Math.exp(-GateProjection.dot(x, t * HIDDEN, sharedGate, 0, HIDDEN)));
            }
            for (int s = 0; s < SHARED; s++) {
                outputs.add(new ExpertRows(batch.batchId(), 0, ExpertRows.sharedExpertId(s), every, HIDDEN,
                        compute(sharedKernel, s, every), 0));
            }
        }
        RoutingManifest manifest = RoutingManifest.of(batch, expected.routing(), policy.name(), 0.75,
                withShared ? SHARED : 0, scale);
        return new Step(expected, manifest, outputs);
    }

    private float[] compute(JavaExpertKernel k, int expert, int[] tokens) {
        float[] in = new float[tokens.length * HIDDEN];
        for (int i = 0; i < tokens.length; i++) {
            System.arraycopy(x, tokens[i] * HIDDEN, in, i * HIDDEN, HIDDEN);
        }
        float[] y = new float[in.length];
        k.forward(expert, in, tokens.length, y);
        return y;
    }

    private float[] expertOf(JavaExpertKernel k, int expert, int token) {
        return compute(k, expert, new int[] {token});
    }
}
