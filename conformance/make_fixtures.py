"""Writes the conformance fixtures: tiny random checkpoints in each family's Hugging Face layout,
with the logits and greedy continuations the float64 reference computes for them.

    python3 conformance/make_fixtures.py

Each case draws seeds from its base seed until every decision the fixture records is robust:
every router's k-th logit beats the (k+1)-th by MIN_MARGIN, every greedy step's top-1 logit
beats the top-2 by MIN_MARGIN, no greedy token is the end-of-sequence id (so an engine that
stops at EOS still yields the same tokens), and no continuation is stuck on one or two tokens.
"""

import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402
import safetensors_io  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "common", "src", "test", "resources", "conformance")
TRANSFORMERS_VERSION = "4.51.3"
NEW_TOKENS = 6
# Required gap for every router and greedy decision: ten times the gap the brief asks for, so
# that an f32 engine within TOLERANCE of the reference cannot flip a decision.
MIN_MARGIN = 1e-2
# Max abs difference allowed between an engine's logits (or greedy log-probabilities) and these.
TOLERANCE = 1e-3
# Distinct tokens each greedy continuation must have, so that it exercises more than a fixed point.
MIN_DISTINCT = 3
TORCH_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


@dataclass(frozen=True)
class Case:
    name: str
    config: dict
    dtype: str
    shards: int
    prompt_lengths: tuple
    base_seed: int
    notes: str
    transformers_version: str = TRANSFORMERS_VERSION


def mixtral_config(vocab, hidden, intermediate, layers, heads, kv_heads, experts, top_k):
    return {
        "architectures": ["MixtralForCausalLM"], "model_type": "mixtral",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "head_dim": hidden // heads, "hidden_act": "silu", "max_position_embeddings": 32768,
        "initializer_range": 0.02, "rms_norm_eps": 1e-05, "use_cache": True,
        "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": False,
        "rope_theta": 1000000.0, "sliding_window": None, "attention_dropout": 0.0,
        "num_experts_per_tok": top_k, "num_local_experts": experts, "output_router_logits": False,
        "router_aux_loss_coef": 0.02, "router_jitter_noise": 0.0,
    }


def olmoe_config(vocab, hidden, intermediate, layers, heads, kv_heads, experts, top_k):
    # As allenai/OLMoE-1B-7B-0924 ships it: no bos_token_id, pad 1, eos the last id.
    return {
        "architectures": ["OlmoeForCausalLM"], "model_type": "olmoe",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "hidden_act": "silu", "max_position_embeddings": 4096, "initializer_range": 0.02,
        "rms_norm_eps": 1e-05, "use_cache": True, "pad_token_id": 1, "eos_token_id": vocab - 1,
        "tie_word_embeddings": False, "rope_theta": 10000.0, "rope_scaling": None,
        "attention_bias": False, "attention_dropout": 0.0, "clip_qkv": None,
        "num_experts_per_tok": top_k, "num_experts": experts, "output_router_logits": False,
        "router_aux_loss_coef": 0.01, "norm_topk_prob": False,
    }


def qwen2_moe_config(vocab, hidden, intermediate, moe_intermediate, shared_intermediate, layers,
                     heads, kv_heads, experts, top_k, mlp_only_layers):
    return {
        "architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "hidden_act": "silu", "max_position_embeddings": 8192, "initializer_range": 0.02,
        "rms_norm_eps": 1e-06, "use_cache": True, "bos_token_id": vocab - 2,
        "eos_token_id": vocab - 1, "tie_word_embeddings": False, "rope_theta": 1000000.0,
        "rope_scaling": None, "use_sliding_window": False, "sliding_window": None,
        "max_window_layers": layers, "attention_dropout": 0.0, "decoder_sparse_step": 1,
        "moe_intermediate_size": moe_intermediate,
        "shared_expert_intermediate_size": shared_intermediate,
        "num_experts_per_tok": top_k, "num_experts": experts, "norm_topk_prob": False,
        "output_router_logits": False, "router_aux_loss_coef": 0.001,
        "mlp_only_layers": mlp_only_layers,
    }


def qwen3_moe_config(vocab, hidden, intermediate, moe_intermediate, layers, heads, kv_heads,
                     head_dim, experts, top_k, decoder_sparse_step):
    return {
        "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "head_dim": head_dim, "hidden_act": "silu", "max_position_embeddings": 40960,
        "initializer_range": 0.02, "rms_norm_eps": 1e-06, "use_cache": True,
        "bos_token_id": vocab - 3, "eos_token_id": vocab - 1, "tie_word_embeddings": True,
        "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": False,
        "use_sliding_window": False, "sliding_window": None, "max_window_layers": layers,
        "attention_dropout": 0.0, "decoder_sparse_step": decoder_sparse_step,
        "moe_intermediate_size": moe_intermediate, "num_experts_per_tok": top_k,
        "num_experts": experts, "norm_topk_prob": True, "output_router_logits": False,
        "router_aux_loss_coef": 0.001, "mlp_only_layers": [],
    }


def deepseek_v2_config(vocab, hidden, intermediate, moe_intermediate, layers, heads, experts,
                       shared_experts, top_k, kv_lora_rank, q_lora_rank, qk_nope, qk_rope, v_head,
                       routed_scaling_factor, first_k_dense_replace):
    # The keys of deepseek-ai/DeepSeek-V2-Lite's config.json, with plain rope (rope_scaling null).
    return {
        "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate,
        "moe_intermediate_size": moe_intermediate, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": heads, "n_routed_experts": experts,
        "n_shared_experts": shared_experts, "num_experts_per_tok": top_k, "ep_size": 1,
        "routed_scaling_factor": routed_scaling_factor, "kv_lora_rank": kv_lora_rank,
        "q_lora_rank": q_lora_rank, "qk_nope_head_dim": qk_nope, "qk_rope_head_dim": qk_rope,
        "v_head_dim": v_head, "topk_method": "greedy", "n_group": 1, "topk_group": 1,
        "moe_layer_freq": 1, "first_k_dense_replace": first_k_dense_replace,
        "norm_topk_prob": False, "scoring_func": "softmax", "aux_loss_alpha": 0.001,
        "seq_aux": True, "hidden_act": "silu", "max_position_embeddings": 163840,
        "initializer_range": 0.02, "rms_norm_eps": 1e-06, "use_cache": True,
        "pretraining_tp": 1, "bos_token_id": vocab - 2, "eos_token_id": vocab - 1,
        "tie_word_embeddings": False, "rope_theta": 10000, "rope_scaling": None,
        "attention_bias": False, "attention_dropout": 0.0,
    }


CASES = [
    Case("mixtral-f32",
         mixtral_config(vocab=128, hidden=32, intermediate=48, layers=3, heads=4, kv_heads=2,
                        experts=4, top_k=2),
         "F32", 1, (5, 9, 1), 1000,
         "Mixtral: GQA 4 query heads over 2 key/value heads, 3 MoE layers, top-2 of 4, "
         "top-k weights always renormalised."),
    Case("olmoe-bf16",
         olmoe_config(vocab=160, hidden=32, intermediate=32, layers=2, heads=4, kv_heads=2,
                      experts=8, top_k=2),
         "BF16", 1, (5, 9, 1), 2000,
         "OLMoE: BF16 weights, q_norm/k_norm over the whole q (128) and k (64) projections, "
         "GQA 4 over 2, top-2 of 8 with norm_topk_prob false (weights not renormalised)."),
    Case("qwen2-moe-f16-sharded",
         qwen2_moe_config(vocab=192, hidden=32, intermediate=64, moe_intermediate=32,
                          shared_intermediate=48, layers=3, heads=4, kv_heads=2, experts=4,
                          top_k=2, mlp_only_layers=[1]),
         "F16", 2, (5, 9, 1), 3000,
         "Qwen2-MoE: F16 weights in 2 shards with model.safetensors.index.json, q/k/v bias, "
         "shared expert scaled by sigmoid(shared_expert_gate), layer 1 a dense MLP via "
         "mlp_only_layers, top-2 of 4 with norm_topk_prob false."),
    Case("qwen3-moe-f32",
         qwen3_moe_config(vocab=96, hidden=48, intermediate=96, moe_intermediate=32, layers=3,
                          heads=4, kv_heads=2, head_dim=16, experts=8, top_k=2,
                          decoder_sparse_step=2),
         "F32", 1, (5, 9, 1), 4000,
         "Qwen3-MoE: head_dim 16 with hidden 48 and 4 heads (q is 64 wide), per-head q/k "
         "RMSNorm, decoder_sparse_step 2 (layer 1 MoE, layers 0 and 2 dense), top-2 of 8 with "
         "norm_topk_prob true, tied embeddings (no lm_head.weight in the checkpoint)."),
    Case("deepseek-v2-bf16",
         deepseek_v2_config(vocab=112, hidden=32, intermediate=64, moe_intermediate=16, layers=3,
                            heads=4, experts=8, shared_experts=2, top_k=2, kv_lora_rank=16,
                            q_lora_rank=None, qk_nope=8, qk_rope=8, v_head=12,
                            routed_scaling_factor=2.5, first_k_dense_replace=1),
         "BF16", 1, (5, 9, 1), 5000,
         "DeepSeek-V2: BF16 weights, multi-head latent attention with q_lora_rank null (q_proj), "
         "kv_lora_rank 16, per head qk_nope 8 + qk_rope 8 (softmax scale 1/sqrt(16)) and "
         "v_head_dim 12, rotary on adjacent pairs of the rope part, one k_pe for all 4 heads; "
         "layer 0 dense (first_k_dense_replace 1, intermediate 64), layers 1-2 MoE top-2 of 8 "
         "(moe_intermediate 16) with routed_scaling_factor 2.5, norm_topk_prob false, and 2 "
         "shared experts fused into one ungated MLP of 32.",
         transformers_version="4.33.1"),
    Case("deepseek-v2-qlora-f32",
         deepseek_v2_config(vocab=80, hidden=32, intermediate=48, moe_intermediate=16, layers=2,
                            heads=2, experts=4, shared_experts=1, top_k=2, kv_lora_rank=12,
                            q_lora_rank=20, qk_nope=6, qk_rope=4, v_head=10,
                            routed_scaling_factor=1.0, first_k_dense_replace=0),
         "F32", 1, (5, 9, 1), 6000,
         "DeepSeek-V2 with query compression: q_lora_rank 20 (q_a_proj, q_a_layernorm, "
         "q_b_proj), kv_lora_rank 12, qk_nope 6 + qk_rope 4, v_head_dim 10, 2 heads; both "
         "layers MoE (first_k_dense_replace 0), top-2 of 4, one shared expert, "
         "routed_scaling_factor 1.",
         transformers_version="4.33.1"),
]


class _Init:
    """Seeded random weights scaled so the residual stream stays O(1), attention is not uniform,
    routers have a spread of a few units and logits a spread of a few units."""

    def __init__(self, rng):
        self.rng = rng

    def linear(self, out_dim, in_dim, gain=1.0):
        return self.rng.normal(0.0, gain / math.sqrt(in_dim), (out_dim, in_dim))

    def norm(self, size):
        return self.rng.uniform(0.6, 1.4, size)  # far from all-ones, so a skipped norm shows

    def bias(self, size):
        return self.rng.normal(0.0, 0.5, size)


def make_weights(config, rng):
    """All tensors in HF's module (state_dict) order."""
    family = reference.FAMILIES[config["model_type"]]
    init = _Init(rng)
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv_heads = config["num_key_value_heads"]
    experts_first = config["model_type"] == "deepseek_v2"  # DeepseekV2MoE registers experts, then gate
    head_dim = config.get("head_dim") or hidden // heads
    qkv_bias, o_bias = family.attention_bias(config)
    # Tied embeddings double as the output projection: at lm_head's scale, so that the logits of
    # the input token do not swamp the rest (the first RMSNorm rescales the input side anyway).
    embed_std = 2.5 / math.sqrt(hidden) if config["tie_word_embeddings"] else 1.0
    tensors = {"model.embed_tokens.weight": rng.normal(0.0, embed_std, (config["vocab_size"], hidden))}

    def gated_mlp(prefix, names, intermediate):
        gate, up, down = names
        tensors[f"{prefix}.{gate}.weight"] = init.linear(intermediate, hidden)
        if config["model_type"] == "mixtral":  # MixtralBlockSparseTop2MLP registers w1, w2, w3
            tensors[f"{prefix}.{down}.weight"] = init.linear(hidden, intermediate)
            tensors[f"{prefix}.{up}.weight"] = init.linear(intermediate, hidden)
        else:
            tensors[f"{prefix}.{up}.weight"] = init.linear(intermediate, hidden)
            tensors[f"{prefix}.{down}.weight"] = init.linear(hidden, intermediate)

    def gqa_attention(attn):
        for name, out_dim, gain in (("q_proj", heads * head_dim, 1.5), ("k_proj", kv_heads * head_dim, 1.5),
                                    ("v_proj", kv_heads * head_dim, 1.0)):
            tensors[f"{attn}.{name}.weight"] = init.linear(out_dim, hidden, gain)
            if qkv_bias:
                tensors[f"{attn}.{name}.bias"] = init.bias(out_dim)
        tensors[f"{attn}.o_proj.weight"] = init.linear(hidden, heads * head_dim)
        if o_bias:
            tensors[f"{attn}.o_proj.bias"] = init.bias(hidden)

    def latent_attention(attn):
        # DeepseekV2Attention's registration order.
        qk = config["qk_nope_head_dim"] + config["qk_rope_head_dim"]
        rank, q_rank = config["kv_lora_rank"], config["q_lora_rank"]
        if q_rank is None:
            tensors[f"{attn}.q_proj.weight"] = init.linear(heads * qk, hidden, 1.5)
        else:
            tensors[f"{attn}.q_a_proj.weight"] = init.linear(q_rank, hidden)
            tensors[f"{attn}.q_a_layernorm.weight"] = init.norm(q_rank)
            tensors[f"{attn}.q_b_proj.weight"] = init.linear(heads * qk, q_rank, 1.5)
        tensors[f"{attn}.kv_a_proj_with_mqa.weight"] = init.linear(rank + config["qk_rope_head_dim"], hidden, 1.5)
        tensors[f"{attn}.kv_a_layernorm.weight"] = init.norm(rank)
        tensors[f"{attn}.kv_b_proj.weight"] = init.linear(
            heads * (config["qk_nope_head_dim"] + config["v_head_dim"]), rank, 1.5)
        tensors[f"{attn}.o_proj.weight"] = init.linear(hidden, heads * config["v_head_dim"])

    for i in range(config["num_hidden_layers"]):
        attn = f"model.layers.{i}.self_attn"
        if family.latent_attention:
            latent_attention(attn)
        else:
            gqa_attention(attn)
        if family.qk_norm == "whole":
            tensors[f"{attn}.q_norm.weight"] = init.norm(heads * head_dim)
            tensors[f"{attn}.k_norm.weight"] = init.norm(kv_heads * head_dim)
        elif family.qk_norm == "per_head":
            tensors[f"{attn}.q_norm.weight"] = init.norm(head_dim)
            tensors[f"{attn}.k_norm.weight"] = init.norm(head_dim)

        if family.is_moe_layer(config, i):
            moe = f"model.layers.{i}.{family.moe_prefix}"
            experts = config[family.num_experts_key]
            intermediate = config[family.expert_intermediate_key]
            if not experts_first:
                tensors[f"{moe}.gate.weight"] = init.linear(experts, hidden, 2.5)
            for j in range(experts):
                gated_mlp(f"{moe}.experts.{j}", family.expert_projections, intermediate)
            if experts_first:
                tensors[f"{moe}.gate.weight"] = init.linear(experts, hidden, 2.5)
            if family.shared_expert == "gated":
                gated_mlp(f"{moe}.shared_expert", ("gate_proj", "up_proj", "down_proj"),
                          config["shared_expert_intermediate_size"])
                tensors[f"{moe}.shared_expert_gate.weight"] = init.linear(1, hidden, 1.5)
            elif family.shared_expert == "fused" and config.get("n_shared_experts"):
                gated_mlp(f"{moe}.shared_experts", ("gate_proj", "up_proj", "down_proj"),
                          config["n_shared_experts"] * intermediate)
        else:
            gated_mlp(f"model.layers.{i}.mlp", ("gate_proj", "up_proj", "down_proj"),
                      config["intermediate_size"])
        tensors[f"model.layers.{i}.input_layernorm.weight"] = init.norm(hidden)
        tensors[f"model.layers.{i}.post_attention_layernorm.weight"] = init.norm(hidden)
    tensors["model.norm.weight"] = init.norm(hidden)
    if not config["tie_word_embeddings"]:
        tensors["lm_head.weight"] = init.linear(config["vocab_size"], hidden, 2.5)
    return tensors


def write_checkpoint(directory, case, tensors):
    config = dict(case.config, torch_dtype=TORCH_DTYPES[case.dtype],
                  transformers_version=case.transformers_version)
    with open(os.path.join(directory, "config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")  # as PretrainedConfig writes it
    if case.shards == 1:
        safetensors_io.write(os.path.join(directory, "model.safetensors"), tensors, case.dtype)
        return
    # Shards are filled in state_dict order, as split_torch_state_dict_into_shards does.
    item = safetensors_io.itemsize(case.dtype)
    sizes = {name: t.size * item for name, t in tensors.items()}
    per_shard = math.ceil(sum(sizes.values()) / case.shards)
    groups, filled = [{}], 0
    for name, tensor in tensors.items():
        if filled + sizes[name] > per_shard and groups[-1] and len(groups) < case.shards:
            groups.append({})
            filled = 0
        groups[-1][name] = tensor
        filled += sizes[name]
    weight_map, total = {}, 0
    for n, group in enumerate(groups, start=1):
        shard = f"model-{n:05d}-of-{len(groups):05d}.safetensors"
        total += safetensors_io.write(os.path.join(directory, shard), group, case.dtype)
        weight_map.update({name: shard for name in group})
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")


def make_prompts(case, rng):
    special = {case.config.get(k) for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    ordinary = [t for t in range(case.config["vocab_size"]) if t not in special]
    return [[int(t) for t in rng.choice(ordinary, size=n)] for n in case.prompt_lengths]


def evaluate(model, prompts):
    """Prompt logits, greedy continuations and the smallest decision margins."""
    stats = reference.RouterStats()
    logits = np.concatenate([model.forward(p, stats) for p in prompts])
    greedy, logprobs, top1 = [], [], math.inf
    for p in prompts:
        tokens, lps, margin = model.greedy(p, NEW_TOKENS, stats)
        greedy.append(tokens)
        logprobs.append(lps)
        top1 = min(top1, margin)
    return logits, greedy, logprobs, top1, stats


def build(case, directory):
    """Draws seeds until the case's decisions are robust; leaves the checkpoint in directory."""
    for seed in range(case.base_seed, case.base_seed + 1000):
        rng = np.random.default_rng(seed)
        tensors = make_weights(case.config, rng)
        prompts = make_prompts(case, rng)
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        write_checkpoint(directory, case, tensors)
        config, stored = reference.load_checkpoint(directory)
        model = reference.MoeDecoder(config, stored)
        logits, greedy, logprobs, top1, stats = evaluate(model, prompts)
        eos = config.get("eos_token_id")
        robust = stats.min_margin > MIN_MARGIN and top1 > MIN_MARGIN
        if robust and all(eos not in g and len(set(g)) >= MIN_DISTINCT for g in greedy):
            return seed, config, stored, prompts, logits, greedy, logprobs, top1, stats
    raise RuntimeError(f"{case.name}: no seed in 1000 gives robust decisions")


def single_precision_gap(config, stored, prompts, logits, greedy):
    """What computing in float32 costs: max |logit difference| over the prompts, and whether the
    float32 greedy continuations are the same."""
    model = reference.MoeDecoder(config, stored, compute_dtype=np.float32)
    logits32 = np.concatenate([model.forward(p) for p in prompts]).astype(np.float64)
    same_greedy = all(model.greedy(p, NEW_TOKENS)[0] == g for p, g in zip(prompts, greedy))
    return float(np.max(np.abs(logits32 - logits))), same_greedy


def make_case(case):
    directory = os.path.join(FIXTURES, case.name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    with tempfile.TemporaryDirectory() as scratch:
        seed, config, stored, prompts, logits, greedy, logprobs, top1, stats = build(case, scratch)
        for name in sorted(os.listdir(scratch)):
            shutil.copy(os.path.join(scratch, name), directory)
    f32_gap, f32_same_greedy = single_precision_gap(config, stored, prompts, logits, greedy)
    if not f32_same_greedy or f32_gap * 10 > TOLERANCE:
        raise RuntimeError(f"{case.name}: float32 differs too much (gap {f32_gap}, "
                           f"same greedy {f32_same_greedy}) for tolerance {TOLERANCE}")
    safetensors_io.write(os.path.join(directory, "expected.safetensors"), {"logits": logits}, "F32")
    expected = {
        "prompts": prompts,
        "greedy": greedy,
        "greedy_logprobs": logprobs,
        "max_new_tokens": NEW_TOKENS,
        "tolerance": TOLERANCE,
        "min_top1_margin": top1,
        "min_router_margin": stats.min_margin,
        "dtype": case.dtype,
        "seed": seed,
        "float32_max_abs_diff": f32_gap,
        "expert_picks": [int(n) for n in stats.picks],
        "notes": (case.notes + " logits in expected.safetensors: F32 [sum of prompt lengths, "
                  "vocab], every position of every prompt, prompts concatenated in order; "
                  "computed in float64 from the stored weights, then rounded to F32. greedy: "
                  f"{NEW_TOKENS} tokens per prompt, each prompt on its own, full recompute per "
                  "step; greedy_logprobs: log-softmax of each chosen token in float64. tolerance "
                  "is the max abs difference allowed for logits and greedy_logprobs; "
                  "float32_max_abs_diff is what this reference computed in float32 differs by. "
                  "min_router_margin: smallest gap between the k-th and (k+1)-th router logit "
                  "over every token of every MoE layer in every forward above (prompts and "
                  "greedy steps); min_top1_margin: smallest top-1/top-2 logit gap over the "
                  "greedy steps. expert_picks: routed slots per expert index, all MoE layers "
                  "and forwards together."),
    }
    with open(os.path.join(directory, "expected.json"), "w") as f:
        f.write(json.dumps(expected, indent=2) + "\n")
    size = sum(os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory))
    print(f"{case.name}: seed {seed}, {size} bytes, router margin {stats.min_margin:.4g}, "
          f"top-1 margin {top1:.4g}, float32 gap {f32_gap:.3g}, picks {stats.picks.tolist()}")


def main():
    """Makes every case, or only those named on the command line."""
    print(f"numpy {np.__version__}")
    wanted = set(sys.argv[1:])
    for case in CASES:
        if not wanted or case.name in wanted:
            make_case(case)


if __name__ == "__main__":
    main()
