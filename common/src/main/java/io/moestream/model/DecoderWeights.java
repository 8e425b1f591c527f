package io.moestream.model;

import java.util.List;

/**
 * Every weight of a decoder model.
 *
 * @param embedTokens {@code [vocab][hidden]}
 * @param lmHead {@code [vocab][hidden]}; the same array as {@code embedTokens} when the model ties them
 */
public record DecoderWeights(DecoderConfig config, float[] embedTokens, List<DecoderLayerWeights> layers,
                             float[] finalNorm, float[] lmHead) {

    public DecoderWeights {
        layers = List.copyOf(layers);
    }
}
