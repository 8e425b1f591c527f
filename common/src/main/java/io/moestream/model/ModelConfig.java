package io.moestream.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What loading and running an MoE layer needs to know about a model, read from its config.json
 * ({@link #read}) or given as options ({@link #builder}) when there is none.
 *
 * @param modelType config.json's {@code model_type}; {@code null} when built from options
 * @param family how the checkpoint names its MoE tensors
 * @param hiddenSize {@code d}, the model width
 * @param numExperts {@code E}, routed experts per MoE layer
 * @param topK experts each token is routed to ({@code num_experts_per_tok})
 * @param expertFfnSize {@code F}, the inner size of one routed expert
 * @param normTopkProb whether the top-k gate probabilities are renormalised to sum to 1 (always for Mixtral)
 * @param sharedExpert the layer's shared expert, if any
 * @param sharedExpertFfnSize inner size of the shared expert; 0 when there is none
 * @param numHiddenLayers decoder layers; 0 when unknown, and then any layer index is accepted
 * @param vocabSize rows of the embedding table; 0 when unknown
 * @param denseLayers layers whose FFN is a plain MLP, not MoE (DeepSeek-V2's first_k_dense_replace,
 *        Qwen's mlp_only_layers and decoder_sparse_step)
 */
public record ModelConfig(
        String modelType,
        NamingFamily family,
        int hiddenSize,
        int numExperts,
        int topK,
        int expertFfnSize,
        boolean normTopkProb,
        SharedExpertKind sharedExpert,
        int sharedExpertFfnSize,
        int numHiddenLayers,
        int vocabSize,
        Set<Integer> denseLayers) {

    public static final String FILE = "config.json";

    public ModelConfig {
        require(family != null && sharedExpert != null && denseLayers != null,
                "family, sharedExpert and denseLayers are required");
        require(hiddenSize >= 1 && numExperts >= 1 && expertFfnSize >= 1,
                "hidden size, expert count and expert FFN size must be positive, got hidden=" + hiddenSize
                        + " experts=" + numExperts + " ffn=" + expertFfnSize);
        require(topK >= 1 && topK <= numExperts, "top-k must be in 1.." + numExperts + ", got " + topK);
        require((sharedExpert == SharedExpertKind.NONE) == (sharedExpertFfnSize == 0) && sharedExpertFfnSize >= 0,
                "a shared expert needs a positive FFN size and no shared expert needs 0, got " + sharedExpert
                        + " with " + sharedExpertFfnSize);
        require(family == NamingFamily.MLP || sharedExpert == SharedExpertKind.NONE,
                family + " checkpoints have no shared expert");
        require(numHiddenLayers >= 0 && vocabSize >= 0, "layer count and vocabulary size cannot be negative");
        denseLayers = Collections.unmodifiableSet(new TreeSet<>(denseLayers));
    }

    /** The configuration in {@code modelDirectory}/config.json, or empty when the file is absent. */
    public static Optional<ModelConfig> read(Path modelDirectory) {
        Path file = modelDirectory.resolve(FILE);
        return Files.isRegularFile(file) ? Optional.of(fromJson(file)) : Optional.empty();
    }

    /** Parses a transformers config.json of a supported {@code model_type}. */
    public static ModelConfig fromJson(Path configJson) {
        return ConfigJson.parse(configJson);
    }

    /** Options for a model without config.json; the sizes and top-k have no defaults. */
    public static Builder builder(NamingFamily family) {
        return new Builder(family);
    }

    /** A builder holding this configuration, to override some of it. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Whether {@code layer} exists (as far as known) and is an MoE layer. */
    public boolean isMoeLayer(int layer) {
        return layer >= 0 && (numHiddenLayers == 0 || layer < numHiddenLayers) && !denseLayers.contains(layer);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Builds a {@link ModelConfig}; unset options are no shared expert, no dense layers, unknown counts. */
    public static final class Builder {
        private String modelType;
        private final NamingFamily family;
        private int hiddenSize;
        private int numExperts;
        private int topK;
        private int expertFfnSize;
        private boolean normTopkProb;
        private SharedExpertKind sharedExpert = SharedExpertKind.NONE;
        private int sharedExpertFfnSize;
        private int numHiddenLayers;
        private int vocabSize;
        private Set<Integer> denseLayers = Set.of();

        private Builder(NamingFamily family) {
            this.family = family;
        }

        private Builder(ModelConfig c) {
            this(c.family);
            modelType = c.modelType;
            hiddenSize = c.hiddenSize;
            numExperts = c.numExperts;
            topK = c.topK;
            expertFfnSize = c.expertFfnSize;
            normTopkProb = c.normTopkProb;
            sharedExpert = c.sharedExpert;
            sharedExpertFfnSize = c.sharedExpertFfnSize;
            numHiddenLayers = c.numHiddenLayers;
            vocabSize = c.vocabSize;
            denseLayers = c.denseLayers;
        }

        public Builder modelType(String value) {
            modelType = value;
            return this;
        }

        public Builder hiddenSize(int value) {
            hiddenSize = value;
            return this;
        }

        public Builder numExperts(int value) {
            numExperts = value;
            return this;
        }

        public Builder topK(int value) {
            topK = value;
            return this;
        }

        public Builder expertFfnSize(int value) {
            expertFfnSize = value;
            return this;
        }

        public Builder normTopkProb(boolean value) {
            normTopkProb = value;
            return this;
        }

        /** A shared expert of {@code kind} with inner size {@code ffnSize} ({@code NONE, 0} for none). */
        public Builder sharedExpert(SharedExpertKind kind, int ffnSize) {
            sharedExpert = kind;
            sharedExpertFfnSize = ffnSize;
            return this;
        }

        public Builder numHiddenLayers(int value) {
            numHiddenLayers = value;
            return this;
        }

        public Builder vocabSize(int value) {
            vocabSize = value;
            return this;
        }

        public Builder denseLayers(Set<Integer> value) {
            denseLayers = value;
            return this;
        }

        public ModelConfig build() {
            return new ModelConfig(modelType, family, hiddenSize, numExperts, topK, expertFfnSize, normTopkProb,
                    sharedExpert, sharedExpertFfnSize, numHiddenLayers, vocabSize, denseLayers);
        }
    }
}
