package io.moestream.decoder;

import io.moestream.model.DecoderConfig;
import io.moestream.routing.Placement;

import java.util.stream.IntStream;

/** The routings the decoder tests run a loaded model under. */
final class Models {

    private Models() {
    }

    /** The model's own routing, without capacity, as transformers runs it: tokens are routed independently. */
    static DecoderModel dropless(DecoderEngine engine) {
        return engine.model(engine.defaultRouting(), Placement.contiguous(engine.config().moe().numExperts(), 1));
    }

    /** The model's routing under {@code token-drop} with {@code capacityFactor}, its experts spread over {@code ranks}. */
    static DecoderModel tokenDrop(DecoderEngine engine, double capacityFactor, int ranks) {
        return engine.model(engine.defaultRouting().toBuilder().capacityFactor(capacityFactor).build(),
                Placement.contiguous(engine.config().moe().numExperts(), ranks));
    }

    static int moeLayers(DecoderConfig config) {
        return (int) IntStream.range(0, config.numHiddenLayers()).filter(config.moe()::isMoeLayer).count();
    }
}
