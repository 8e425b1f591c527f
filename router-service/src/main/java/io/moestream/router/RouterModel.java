package io.moestream.router;

import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.MoeLayerLoader;
import io.moestream.model.MoeLayerWeights;
import io.moestream.pipeline.MoeSettings;
import java.util.Set;

/** Reads what the router needs of the model: the layer's gate and shared-expert gate, no experts. */
final class RouterModel {

    private RouterModel() {
    }

    static MoeLayerWeights load(MoeSettings settings) {
        ModelConfig config = ModelConfig.read(settings.modelDir()).orElseThrow(() -> new IllegalStateException(
                "no " + ModelConfig.FILE + " in moe.model.dir " + settings.modelDir()));
        try (Checkpoint checkpoint = Checkpoint.open(settings.modelDir())) {
            return MoeLayerLoader.load(checkpoint, config, settings.modelLayer(), Set.of());
        }
    }
}
