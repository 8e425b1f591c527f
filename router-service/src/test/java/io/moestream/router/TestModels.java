package io.moestream.router;

import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.model.MoeLayerWeights;
import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny generated checkpoints and token batches for the router's tests. */
final class TestModels {

    private TestModels() {
    }

    static Path generate(Preset preset, Path dir) {
        ModelGenerator.generate(ModelSpec.of(preset, Scale.TINY).withVocabSize(512), dir);
        return dir;
    }

    /** The router's gate-only view of the model, loaded as the service loads it. */
    static MoeLayerWeights gate(Path dir) {
        return RouterModel.load(new MoeSettings(null, dir, 0, 1, null, null, Map.of()));
    }

    /** Standard-normal hidden states: varied enough that every policy has drops to make. */
    static TokenBatch batch(String id, int sourceRank, int tokens, int hidden, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] states = new float[tokens * hidden];
        for (int i = 0; i < states.length; i++) {
            states[i] = (float) gaussian(random);
        }
        return new TokenBatch(id, sourceRank, 1_700_000_000_000L,
                List.of(new RequestSpan("req-" + id, 0, tokens, 0, tokens)), hidden, states);
    }

    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
