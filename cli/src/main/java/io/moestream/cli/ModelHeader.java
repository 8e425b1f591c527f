package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.model.DecoderConfig;
import io.moestream.routing.Placement;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** The lines that open a whole-model command's report: which model, on what, under which routing. */
final class ModelHeader {

    private ModelHeader() {
    }

    static void print(PrintWriter out, Path model, DecoderEngine engine, Placement placement, RoutingConfig routing) {
        DecoderConfig c = engine.config();
        out.printf(Locale.ROOT, "model    %s: %s, %d layers (%d MoE), hidden %d, %d experts (top-%d), vocab %,d%n", model,
                c.moe().modelType(), c.numHiddenLayers(), c.numHiddenLayers() - c.moe().denseLayers().size(),
                c.hiddenSize(), c.moe().numExperts(), c.moe().topK(), c.vocabSize());
        out.printf("backend  %s%n", engine.backend());
        out.printf(Locale.ROOT, "routing  %s, capacity factor %s, weights %s, %d rank%s%n", SpecName.of(routing.policy()),
                routing.hasCapacity() ? routing.capacityFactor() : "none (nothing dropped)", SpecName.of(routing.weights()),
                placement.ranks(), placement.ranks() == 1 ? "" : "s");
    }
}
