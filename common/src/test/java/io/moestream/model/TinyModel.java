package io.moestream.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A two-layer model of one supported type, small enough to write in a test: its config.json and
 * every tensor an MoE layer load reads, each tensor with its own exactly representable values.
 */
final class TinyModel {

    static final int HIDDEN = 6;
    static final int EXPERTS = 4;
    static final int FFN = 5;
    static final int TOP_K = 2;
    static final int LAYERS = 2;
    static final int VOCAB = 10;
    /** The FFN size of a dense layer, different from every MoE size so that a mix-up shows. */
    static final int DENSE_FFN = 7;
    static final int QWEN2_SHARED_FFN = 3;
    static final int DEEPSEEK_SHARED_EXPERTS = 2;

    final String modelType;
    final Map<String, Object> config = new LinkedHashMap<>();
    final Map<String, Tensor> tensors = new TreeMap<>();
    private float nextValue;

    private TinyModel(String modelType) {
        this.modelType = modelType;
    }

    static TinyModel of(String modelType) {
        TinyModel model = new TinyModel(modelType);
        model.config.put("model_type", modelType);
        model.config.put("hidden_size", HIDDEN);
        model.config.put("num_hidden_layers", LAYERS);
        model.config.put("vocab_size", VOCAB);
        model.config.put("num_experts_per_tok", TOP_K);
        switch (modelType) {
            case "mixtral" -> {
                model.config.put("num_local_experts", EXPERTS);
                model.config.put("intermediate_size", FFN);
            }
            case "olmoe" -> {
                model.config.put("num_experts", EXPERTS);
                model.config.put("intermediate_size", FFN);
                model.config.put("norm_topk_prob", false);
            }
            case "qwen2_moe", "qwen3_moe" -> {
                model.config.put("num_experts", EXPERTS);
                model.config.put("intermediate_size", DENSE_FFN);
                model.config.put("moe_intermediate_size", FFN);
                model.config.put("norm_topk_prob", modelType.equals("qwen3_moe"));
                model.config.put("decoder_sparse_step", 1);
                model.config.put("mlp_only_layers", new int[0]);
                if (modelType.equals("qwen2_moe")) {
                    model.config.put("shared_expert_intermediate_size", QWEN2_SHARED_FFN);
                }
            }
            case "deepseek_v2" -> {
                model.config.put("n_routed_experts", EXPERTS);
                model.config.put("intermediate_size", DENSE_FFN);
                model.config.put("moe_intermediate_size", FFN);
                model.config.put("n_shared_experts", DEEPSEEK_SHARED_EXPERTS);
                model.config.put("first_k_dense_replace", 1);
                model.config.put("moe_layer_freq", 1);
                model.config.put("norm_topk_prob", false);
            }
            default -> throw new IllegalArgumentException(modelType);
        }
        model.addTensors();
        return model;
    }

    /** The configuration this model's config.json describes. */
    ModelConfig modelConfig(Path dir) {
        return ModelConfig.read(writeConfig(dir)).orElseThrow();
    }

    private void addTensors() {
        NamingFamily family = NamingFamily.forModelType(modelType).orElseThrow();
        add(NamingFamily.EMBED_TOKENS, VOCAB, HIDDEN);
        for (int layer = 0; layer < LAYERS; layer++) {
            if (layer == 0 && modelType.equals("deepseek_v2")) {
                // DeepSeek-V2's first_k_dense_replace layers hold a plain MLP under the same mlp. prefix.
                for (Projection projection : Projection.values()) {
                    add("model.layers.0.mlp." + projection.nameIn(family) + ".weight", projection.shape(HIDDEN, DENSE_FFN));
                }
                continue;
            }
            add(family.gate(layer), EXPERTS, HIDDEN);
            for (int expert = 0; expert < EXPERTS; expert++) {
                for (Projection projection : Projection.values()) {
                    add(family.expert(layer, expert, projection), projection.shape(HIDDEN, FFN));
                }
            }
            if (modelType.equals("qwen2_moe")) {
                addShared(SharedExpertKind.QWEN2_MOE, layer, QWEN2_SHARED_FFN);
                add(SharedExpertKind.QWEN2_MOE.gateTensor(layer), 1, HIDDEN);
            } else if (modelType.equals("deepseek_v2")) {
                addShared(SharedExpertKind.DEEPSEEK_V2, layer, DEEPSEEK_SHARED_EXPERTS * FFN);
            }
        }
    }

    private void addShared(SharedExpertKind kind, int layer, int ffn) {
        for (Projection projection : Projection.values()) {
            add(kind.tensor(layer, projection), projection.shape(HIDDEN, ffn));
        }
    }

    void add(String name, int... shape) {
        float[] values = new float[(int) Tensor.size(shape)];
        for (int i = 0; i < values.length; i++) {
            // Multiples of 1/8 below 2^16: distinct across tensors and exact in F32.
            nextValue += 0.125f;
            values[i] = nextValue;
        }
        tensors.put(name, Tensor.of(values, shape));
    }

    float[] data(String name) {
        return tensors.get(name).data();
    }

    /** Writes config.json and model.safetensors into {@code dir}. */
    Path writeSingle(Path dir) {
        writeConfig(dir);
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), tensors, DType.F32);
        return dir;
    }

    /** Writes config.json and two shards with their index; {@code inSecond} picks the second shard's tensors. */
    Path writeSharded(Path dir, Predicate<String> inSecond) {
        writeConfig(dir);
        Map<String, Tensor> first = new TreeMap<>();
        Map<String, Tensor> second = new TreeMap<>();
        Map<String, String> weightMap = new TreeMap<>();
        tensors.forEach((name, tensor) -> {
            boolean later = inSecond.test(name);
            (later ? second : first).put(name, tensor);
            weightMap.put(name, shardName(later ? 2 : 1));
        });
        SafetensorsWriter.write(dir.resolve(shardName(1)), first, DType.F32);
        SafetensorsWriter.write(dir.resolve(shardName(2)), second, DType.F32);
        writeJson(dir.resolve(Checkpoint.INDEX_FILE), Map.of("metadata", Map.of("total_size", 0), "weight_map", weightMap));
        return dir;
    }

    static String shardName(int shard) {
        return "model-0000" + shard + "-of-00002.safetensors";
    }

    private Path writeConfig(Path dir) {
        writeJson(dir.resolve(ModelConfig.FILE), config);
        return dir;
    }

    static void writeJson(Path file, Object value) {
        try {
            Files.writeString(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
