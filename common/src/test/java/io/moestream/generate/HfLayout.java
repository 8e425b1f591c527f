package io.moestream.generate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The tensors transformers' modeling code of each family creates for a config.json, names and
 * shapes, written out from the families' Python modules and not from the generator, so a test can
 * hold a generated checkpoint against its own config.
 */
final class HfLayout {

    private final JsonNode config;
    private final Map<String, List<Integer>> tensors = new LinkedHashMap<>();

    private HfLayout(JsonNode config) {
        this.config = config;
    }

    /** Every tensor name with its shape. */
    static Map<String, List<Integer>> of(JsonNode config) {
        HfLayout layout = new HfLayout(config);
        layout.build();
        return layout.tensors;
    }

    /** Whether transformers builds layer {@code layer} of this config with a plain MLP instead of an MoE block. */
    static boolean isDense(JsonNode config, int layer) {
        return switch (config.get("model_type").stringValue()) {
            case "qwen2_moe", "qwen3_moe" -> {
                List<Integer> mlpOnly = new ArrayList<>();
                config.get("mlp_only_layers").forEach(node -> mlpOnly.add(node.intValue()));
                yield mlpOnly.contains(layer) || (layer + 1) % config.get("decoder_sparse_step").intValue() != 0;
            }
            case "deepseek_v2" -> layer < config.get("first_k_dense_replace").intValue()
                    || layer % config.get("moe_layer_freq").intValue() != 0;
            default -> false;
        };
    }

    private void build() {
        String type = config.get("model_type").stringValue();
        int d = integer("hidden_size");
        int vocab = integer("vocab_size");
        put("model.embed_tokens.weight", vocab, d);
        for (int layer = 0; layer < integer("num_hidden_layers"); layer++) {
            String prefix = "model.layers." + layer + ".";
            if (type.equals("deepseek_v2")) {
                latentAttention(prefix + "self_attn.", d);
            } else {
                attention(prefix + "self_attn.", type, d);
            }
            if (isDense(config, layer)) {
                swiGlu(prefix + "mlp.", List.of("gate_proj", "up_proj", "down_proj"), d, integer("intermediate_size"));
            } else {
                moe(prefix, type, d);
            }
            put(prefix + "input_layernorm.weight", d);
            put(prefix + "post_attention_layernorm.weight", d);
        }
        put("model.norm.weight", d);
        if (!config.get("tie_word_embeddings").booleanValue()) {
            put("lm_head.weight", vocab, d);
        }
    }

    private void attention(String prefix, String type, int d) {
        int heads = integer("num_attention_heads");
        int kvHeads = integer("num_key_value_heads");
        int headDim = config.has("head_dim") ? integer("head_dim") : d / heads;
        put(prefix + "q_proj.weight", heads * headDim, d);
        put(prefix + "k_proj.weight", kvHeads * headDim, d);
        put(prefix + "v_proj.weight", kvHeads * headDim, d);
        put(prefix + "o_proj.weight", d, heads * headDim);
        switch (type) {
            case "qwen2_moe" -> {
                put(prefix + "q_proj.bias", heads * headDim);
                put(prefix + "k_proj.bias", kvHeads * headDim);
                put(prefix + "v_proj.bias", kvHeads * headDim);
            }
            case "olmoe" -> {
                put(prefix + "q_norm.weight", heads * headDim);
                put(prefix + "k_norm.weight", kvHeads * headDim);
            }
            case "qwen3_moe" -> {
                put(prefix + "q_norm.weight", headDim);
                put(prefix + "k_norm.weight", headDim);
            }
            default -> {
            }
        }
    }

    /** modeling_deepseek.py's DeepseekV2Attention with q_lora_rank None. */
    private void latentAttention(String prefix, int d) {
        int heads = integer("num_attention_heads");
        int rank = integer("kv_lora_rank");
        int nope = integer("qk_nope_head_dim");
        int rope = integer("qk_rope_head_dim");
        int v = integer("v_head_dim");
        put(prefix + "q_proj.weight", heads * (nope + rope), d);
        put(prefix + "kv_a_proj_with_mqa.weight", rank + rope, d);
        put(prefix + "kv_a_layernorm.weight", rank);
        put(prefix + "kv_b_proj.weight", heads * (nope + v), rank);
        put(prefix + "o_proj.weight", d, heads * v);
    }

    private void moe(String prefix, String type, int d) {
        boolean mixtral = type.equals("mixtral");
        String module = prefix + (mixtral ? "block_sparse_moe." : "mlp.");
        int experts = integer(switch (type) {
            case "mixtral" -> "num_local_experts";
            case "deepseek_v2" -> "n_routed_experts";
            default -> "num_experts";
        });
        int ffn = integer(type.equals("mixtral") || type.equals("olmoe") ? "intermediate_size" : "moe_intermediate_size");
        put(module + "gate.weight", experts, d);
        List<String> names = mixtral ? List.of("w1", "w3", "w2") : List.of("gate_proj", "up_proj", "down_proj");
        for (int e = 0; e < experts; e++) {
            swiGlu(module + "experts." + e + ".", names, d, ffn);
        }
        if (type.equals("qwen2_moe")) {
            swiGlu(module + "shared_expert.", names, d, integer("shared_expert_intermediate_size"));
            put(module + "shared_expert_gate.weight", 1, d);
        }
        if (type.equals("deepseek_v2")) {
            swiGlu(module + "shared_experts.", names, d, integer("n_shared_experts") * ffn);
        }
    }

    /** Gate, up and down projections: {@code [ffn, d]}, {@code [ffn, d]}, {@code [d, ffn]}. */
    private void swiGlu(String prefix, List<String> names, int d, int ffn) {
        put(prefix + names.get(0) + ".weight", ffn, d);
        put(prefix + names.get(1) + ".weight", ffn, d);
        put(prefix + names.get(2) + ".weight", d, ffn);
    }

    private int integer(String key) {
        JsonNode node = config.get(key);
        if (node == null || !node.isInt()) {
            throw new AssertionError("config.json has no integer " + key + ": " + node);
        }
        return node.intValue();
    }

    private void put(String name, Integer... shape) {
        tensors.put(name, List.of(shape));
    }
}
