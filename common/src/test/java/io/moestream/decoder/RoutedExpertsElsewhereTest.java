package io.moestream.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moestream.layer.ExpertCall;
import io.moestream.routing.Placement;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An engine loaded without its routed experts (the dense worker's) generates exactly what the whole engine does
 * when another process computes those experts, here the whole engine's own kernels, and cannot compute them itself.
 */
class RoutedExpertsElsewhereTest {

    static Stream<ConformanceCase> cases() {
        return ConformanceCase.all();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void anEngineWithoutRoutedExpertsGeneratesAsTheWholeOneWithTheExpertsElsewhere(ConformanceCase fixture) {
        try (DecoderEngine whole = DecoderEngine.load(fixture.directory(), new JavaBackend());
             DecoderEngine dense = DecoderEngine.loadWithoutRoutedExperts(fixture.directory(), new JavaBackend())) {
            DecoderModel reference = Models.tokenDrop(whole, 1.0, 2);
            DecoderModel split = dense.model(reference.routing(),
                    Placement.contiguous(dense.config().moe().numExperts(), 2), whole.localExperts());
            List<Generation> expected = generate(reference, fixture.prompts());
            List<Generation> actual = generate(split, fixture.prompts());
            for (int p = 0; p < expected.size(); p++) {
                assertThat(actual.get(p).tokens()).as("prompt %d", p).containsExactly(expected.get(p).tokens());
                assertThat(actual.get(p).logprobs()).as("prompt %d", p).containsExactly(expected.get(p).logprobs());
            }
            int moeLayer = dense.layers().stream().filter(DecoderLayer::isMoe).findFirst().orElseThrow().index();
            int hidden = dense.config().hiddenSize();
            assertThatThrownBy(() -> dense.localExperts().compute(moeLayer, new float[hidden], hidden,
                    List.of(new ExpertCall(0, new int[] {0})))).isInstanceOf(RuntimeException.class);
        }
    }

    private static List<Generation> generate(DecoderModel model, List<int[]> prompts) {
        return new Generator(model, Sampling.GREEDY, 4, Set.of(), 0).generate(prompts, (s, t) -> { }, r -> { })
                .generations();
    }
}
