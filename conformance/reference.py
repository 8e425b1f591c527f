"""Independent float64 reference for whole MoE decoder models in Hugging Face layout.

Follows the semantics of transformers' modeling_mixtral.py, modeling_olmoe.py,
modeling_qwen2_moe.py, modeling_qwen3_moe.py and modeling_deepseek_v2.py (eager attention, no KV
cache), written from those files' behaviour, not from any engine in this repository. Weights stored as BF16 or F16
are widened exactly; all arithmetic runs in `compute_dtype` (float64 unless a caller asks for
float32 to estimate what single precision costs).
"""

import json
import math
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

import safetensors_io


def load_checkpoint(directory):
    """Reads config.json and model.safetensors, or the shards named by model.safetensors.index.json."""
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    index_path = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            shard_tensors, _ = safetensors_io.read(os.path.join(directory, shard))
            for name in shard_tensors:
                if weight_map.get(name) != shard:
                    raise ValueError(f"{shard}: tensor {name} is not mapped to this shard in {index_path}")
            tensors.update(shard_tensors)
        missing = sorted(set(weight_map) - set(tensors))
        if missing:
            raise ValueError(f"{index_path}: mapped tensors absent from their shards: {missing}")
    else:
        tensors, _ = safetensors_io.read(os.path.join(directory, "model.safetensors"))
    return config, tensors


@dataclass(frozen=True)
class Family:
    """What differs between the four model types; everything else is shared."""
    moe_prefix: str                       # module holding gate and experts, under model.layers.{i}
    expert_projections: tuple             # names of (gate, up, down) inside experts.{j}
    num_experts_key: str
    expert_intermediate_key: str
    qk_norm: Optional[str]                # None, "whole" (over all heads) or "per_head"
    attention_bias: Callable              # config -> (q/k/v have bias, o has bias)
    normalizes_top_k: Callable            # config -> renormalise the top-k probabilities?
    is_moe_layer: Callable                # (config, layer index) -> MoE block or dense MLP?
    shared_expert: Optional[str]          # None, "gated" (Qwen2-MoE) or "fused" (DeepSeek-V2)
    latent_attention: bool = False        # DeepSeek-V2's multi-head latent attention
    routed_scaling: Callable = lambda c: 1.0  # config -> factor on the routed experts' weights


def _every_layer(config, i):
    return True


def _qwen_sparse_layout(config, i):
    # Qwen2MoeDecoderLayer / Qwen3MoeDecoderLayer choose the sparse block this way.
    return (i not in (config.get("mlp_only_layers") or [])
            and config["num_experts"] > 0
            and (i + 1) % config.get("decoder_sparse_step", 1) == 0)


def _deepseek_layout(config, i):
    # DeepSeek's DeepseekV2DecoderLayer; transformers' port tests only the first condition, which
    # agrees whenever moe_layer_freq is 1, as in every published DeepSeek-V2 config.
    return (config.get("n_routed_experts") is not None
            and i >= config.get("first_k_dense_replace", 0)
            and i % config.get("moe_layer_freq", 1) == 0)


def _configured_attention_bias(config):
    bias = bool(config.get("attention_bias", False))
    return bias, bias


FAMILIES = {
    "mixtral": Family(
        moe_prefix="block_sparse_moe", expert_projections=("w1", "w3", "w2"),
        num_experts_key="num_local_experts", expert_intermediate_key="intermediate_size",
        qk_norm=None, attention_bias=lambda c: (False, False),
        normalizes_top_k=lambda c: True, is_moe_layer=_every_layer, shared_expert=None),
    "olmoe": Family(
        moe_prefix="mlp", expert_projections=("gate_proj", "up_proj", "down_proj"),
        num_experts_key="num_experts", expert_intermediate_key="intermediate_size",
        qk_norm="whole", attention_bias=_configured_attention_bias,
        normalizes_top_k=lambda c: bool(c.get("norm_topk_prob", False)),
        is_moe_layer=_every_layer, shared_expert=None),
    "qwen2_moe": Family(
        moe_prefix="mlp", expert_projections=("gate_proj", "up_proj", "down_proj"),
        num_experts_key="num_experts", expert_intermediate_key="moe_intermediate_size",
        qk_norm=None, attention_bias=lambda c: (True, False),
        normalizes_top_k=lambda c: bool(c.get("norm_topk_prob", False)),
        is_moe_layer=_qwen_sparse_layout, shared_expert="gated"),
    "qwen3_moe": Family(
        moe_prefix="mlp", expert_projections=("gate_proj", "up_proj", "down_proj"),
        num_experts_key="num_experts", expert_intermediate_key="moe_intermediate_size",
        qk_norm="per_head", attention_bias=_configured_attention_bias,
        normalizes_top_k=lambda c: bool(c.get("norm_topk_prob", False)),
        is_moe_layer=_qwen_sparse_layout, shared_expert=None),
    # norm_topk_prob true is refused (MoeDecoder): DeepSeek's own code then renormalises and skips
    # routed_scaling_factor, transformers' port ignores it and scales. They agree when it is false.
    "deepseek_v2": Family(
        moe_prefix="mlp", expert_projections=("gate_proj", "up_proj", "down_proj"),
        num_experts_key="n_routed_experts", expert_intermediate_key="moe_intermediate_size",
        qk_norm=None, attention_bias=lambda c: (False, False),
        normalizes_top_k=lambda c: False, is_moe_layer=_deepseek_layout, shared_expert="fused",
        latent_attention=True, routed_scaling=lambda c: float(c.get("routed_scaling_factor", 1.0))),
}


class RouterStats:
    """Smallest gap, over every routed token, between the k-th and (k+1)-th router logit."""

    def __init__(self):
        self.min_margin = math.inf
        self.picks = None  # how often each expert index was chosen, all MoE layers together

    def observe(self, router_logits, chosen):
        top_k = chosen.shape[1]
        if self.picks is None:
            self.picks = np.zeros(router_logits.shape[1], dtype=np.int64)
        np.add.at(self.picks, chosen.ravel(), 1)
        if router_logits.shape[1] > top_k:
            descending = -np.sort(-router_logits, axis=1)
            gaps = descending[:, top_k - 1] - descending[:, top_k]
            self.min_margin = min(self.min_margin, float(gaps.min()))


def rms_norm(x, weight, eps):
    return weight * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


class _Weights:
    """Looks tensors up by HF name, checks their shapes, and remembers which were used."""

    def __init__(self, tensors, dtype):
        self._tensors = tensors
        self._dtype = dtype
        self.used = set()

    def get(self, name, shape):
        if name not in self._tensors:
            raise KeyError(f"checkpoint has no tensor {name}")
        tensor = self._tensors[name]
        if tuple(tensor.shape) != tuple(shape):
            raise ValueError(f"tensor {name} has shape {list(tensor.shape)}, expected {list(shape)}")
        self.used.add(name)
        return tensor.astype(self._dtype)


class _GatedMlp:
    """down(silu(gate(x)) * up(x)): the experts, the shared expert and the dense MLP alike."""

    def __init__(self, weights, prefix, names, hidden, intermediate):
        gate, up, down = names
        self.gate = weights.get(f"{prefix}.{gate}.weight", (intermediate, hidden))
        self.up = weights.get(f"{prefix}.{up}.weight", (intermediate, hidden))
        self.down = weights.get(f"{prefix}.{down}.weight", (hidden, intermediate))

    def __call__(self, x):
        return (silu(x @ self.gate.T) * (x @ self.up.T)) @ self.down.T


class _SparseMoe:
    def __init__(self, weights, family, config, prefix, hidden):
        experts = config[family.num_experts_key]
        intermediate = config[family.expert_intermediate_key]
        self.top_k = config["num_experts_per_tok"]
        self.normalize = family.normalizes_top_k(config)
        self.routed_scaling = family.routed_scaling(config)
        self.router = weights.get(f"{prefix}.gate.weight", (experts, hidden))
        self.experts = [_GatedMlp(weights, f"{prefix}.experts.{j}", family.expert_projections,
                                  hidden, intermediate) for j in range(experts)]
        self.shared_expert = None
        self.shared_expert_gate = None
        if family.shared_expert == "gated":
            self.shared_expert = _GatedMlp(weights, f"{prefix}.shared_expert",
                                           ("gate_proj", "up_proj", "down_proj"),
                                           hidden, config["shared_expert_intermediate_size"])
            self.shared_expert_gate = weights.get(f"{prefix}.shared_expert_gate.weight", (1, hidden))
        elif family.shared_expert == "fused" and config.get("n_shared_experts"):
            # DeepseekV2MoE: the n_shared_experts experts are one MLP, n times as wide, never gated.
            self.shared_expert = _GatedMlp(weights, f"{prefix}.shared_experts",
                                           ("gate_proj", "up_proj", "down_proj"), hidden,
                                           config["n_shared_experts"] * intermediate)

    def __call__(self, x, stats):
        router_logits = x @ self.router.T
        probabilities = softmax(router_logits)
        # A stable sort of the negated logits puts equal logits in ascending expert order.
        chosen = np.argsort(-router_logits, axis=1, kind="stable")[:, :self.top_k]
        stats.observe(router_logits, chosen)
        weights = np.take_along_axis(probabilities, chosen, axis=1)
        if self.normalize:
            weights = weights / weights.sum(axis=1, keepdims=True)
        weights = weights * self.routed_scaling
        out = np.zeros_like(x)
        for t in range(x.shape[0]):
            for slot in range(self.top_k):
                out[t] += weights[t, slot] * self.experts[chosen[t, slot]](x[t:t + 1])[0]
        if self.shared_expert_gate is not None:
            gate = 1.0 / (1.0 + np.exp(-(x @ self.shared_expert_gate.T)))
            out += gate * self.shared_expert(x)
        elif self.shared_expert is not None:
            out += self.shared_expert(x)
        return out


class _DenseMlp(_GatedMlp):
    def __call__(self, x, stats):
        return super().__call__(x)


class _Attention:
    def __init__(self, weights, family, config, prefix, dims):
        hidden, heads, kv_heads, head_dim = dims
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.eps = config["rms_norm_eps"]
        self.qk_norm = family.qk_norm
        self.clip_qkv = config.get("clip_qkv")
        qkv_bias, o_bias = family.attention_bias(config)

        def projection(name, out_dim, in_dim, bias):
            w = weights.get(f"{prefix}.{name}.weight", (out_dim, in_dim))
            b = weights.get(f"{prefix}.{name}.bias", (out_dim,)) if bias else None
            return w, b

        self.q = projection("q_proj", heads * head_dim, hidden, qkv_bias)
        self.k = projection("k_proj", kv_heads * head_dim, hidden, qkv_bias)
        self.v = projection("v_proj", kv_heads * head_dim, hidden, qkv_bias)
        self.o = projection("o_proj", hidden, heads * head_dim, o_bias)
        if self.qk_norm == "whole":
            self.q_norm = weights.get(f"{prefix}.q_norm.weight", (heads * head_dim,))
            self.k_norm = weights.get(f"{prefix}.k_norm.weight", (kv_heads * head_dim,))
        elif self.qk_norm == "per_head":
            self.q_norm = weights.get(f"{prefix}.q_norm.weight", (head_dim,))
            self.k_norm = weights.get(f"{prefix}.k_norm.weight", (head_dim,))

    @staticmethod
    def _apply(projection, x):
        w, b = projection
        return x @ w.T if b is None else x @ w.T + b

    def __call__(self, x, cos, sin):
        length = x.shape[0]
        q, k, v = self._apply(self.q, x), self._apply(self.k, x), self._apply(self.v, x)
        if self.qk_norm == "whole":
            q, k = rms_norm(q, self.q_norm, self.eps), rms_norm(k, self.k_norm, self.eps)
        if self.clip_qkv is not None:
            q, k, v = (np.clip(t, -self.clip_qkv, self.clip_qkv) for t in (q, k, v))
        q = q.reshape(length, self.heads, self.head_dim)
        k = k.reshape(length, self.kv_heads, self.head_dim)
        v = v.reshape(length, self.kv_heads, self.head_dim)
        if self.qk_norm == "per_head":
            q, k = rms_norm(q, self.q_norm, self.eps), rms_norm(k, self.k_norm, self.eps)
        q = q * cos[:, None, :] + rotate_half(q) * sin[:, None, :]
        k = k * cos[:, None, :] + rotate_half(k) * sin[:, None, :]
        group = self.heads // self.kv_heads
        future = np.triu(np.ones((length, length), dtype=bool), k=1)
        out = np.empty_like(q)
        for h in range(self.heads):
            kv = h // group  # repeat_kv: query head h reads key/value head h // group
            scores = (q[:, h, :] @ k[:, kv, :].T) / math.sqrt(self.head_dim)
            scores[future] = -np.inf
            out[:, h, :] = softmax(scores) @ v[:, kv, :]
        return self._apply(self.o, out.reshape(length, self.heads * self.head_dim))


def rotate_pairs(x, cos, sin):
    """transformers' DeepSeek-V2 apply_rotary_emb: dimensions (2i, 2i+1) form a complex number,
    multiplied by exp(1j * angle_i); x is [length, heads, d], cos/sin [length, d] of [freqs, freqs]."""
    half = x.shape[-1] // 2
    even, odd = x[..., 0::2], x[..., 1::2]
    c, s = cos[:, None, :half], sin[:, None, :half]
    out = np.empty_like(x)
    out[..., 0::2] = even * c - odd * s
    out[..., 1::2] = even * s + odd * c
    return out


def deinterleave_rotate_half(x, cos, sin):
    """DeepSeek's own apply_rotary_pos_emb: view(d/2, 2).transpose moves the pairs' first elements
    to the first half, then rotate-half. Its output is in that permuted order; scores only see q.k,
    which a permutation shared by q and k leaves unchanged, so it must agree with rotate_pairs."""
    x = np.concatenate([x[..., 0::2], x[..., 1::2]], axis=-1)
    return x * cos[:, None, :] + rotate_half(x) * sin[:, None, :]


def rotate_halves(x, cos, sin):
    """The Llama layout, here only as a mistake for check.py to catch."""
    return x * cos[:, None, :] + rotate_half(x) * sin[:, None, :]


MLA_ROPE = {"pairs": rotate_pairs, "deinterleave": deinterleave_rotate_half, "halves": rotate_halves}


class _LatentAttention:
    """DeepseekV2Attention: multi-head latent attention. Queries come from q_proj (q_lora_rank
    null) or q_b_proj(q_a_layernorm(q_a_proj(x))); keys and values from a kv_lora_rank latent,
    kv_b_proj(kv_a_layernorm(...)), plus one rotary key part k_pe shared by every head."""

    def __init__(self, weights, config, prefix, rope):
        hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.nope = config["qk_nope_head_dim"]
        self.rope_dim = config["qk_rope_head_dim"]
        self.v_dim = config["v_head_dim"]
        self.kv_rank = config["kv_lora_rank"]
        self.q_rank = config.get("q_lora_rank")
        self.eps = config["rms_norm_eps"]
        self.rotate = MLA_ROPE[rope]
        qk = self.nope + self.rope_dim
        if self.q_rank is None:
            self.q = weights.get(f"{prefix}.q_proj.weight", (self.heads * qk, hidden))
        else:
            self.q_a = weights.get(f"{prefix}.q_a_proj.weight", (self.q_rank, hidden))
            # DeepseekV2RMSNorm(q_lora_rank) and (kv_lora_rank) keep the default eps of 1e-6.
            self.q_a_norm = weights.get(f"{prefix}.q_a_layernorm.weight", (self.q_rank,))
            self.q_b = weights.get(f"{prefix}.q_b_proj.weight", (self.heads * qk, self.q_rank))
        self.kv_a = weights.get(f"{prefix}.kv_a_proj_with_mqa.weight", (self.kv_rank + self.rope_dim, hidden))
        self.kv_a_norm = weights.get(f"{prefix}.kv_a_layernorm.weight", (self.kv_rank,))
        self.kv_b = weights.get(f"{prefix}.kv_b_proj.weight",
                                (self.heads * (self.nope + self.v_dim), self.kv_rank))
        self.o = weights.get(f"{prefix}.o_proj.weight", (hidden, self.heads * self.v_dim))
        # softmax_scale = qk_head_dim^-0.5; no mscale without rope_scaling.
        self.scale = 1.0 / math.sqrt(qk)

    def __call__(self, x, cos, sin):
        length = x.shape[0]
        if self.q_rank is None:
            q = x @ self.q.T
        else:
            q = rms_norm(x @ self.q_a.T, self.q_a_norm, 1e-6) @ self.q_b.T
        q = q.reshape(length, self.heads, self.nope + self.rope_dim)
        q_nope, q_pe = q[..., :self.nope], q[..., self.nope:]
        compressed = x @ self.kv_a.T
        latent, k_pe = compressed[:, :self.kv_rank], compressed[:, self.kv_rank:]
        kv = (rms_norm(latent, self.kv_a_norm, 1e-6) @ self.kv_b.T).reshape(
            length, self.heads, self.nope + self.v_dim)
        k_nope, v = kv[..., :self.nope], kv[..., self.nope:]
        q_pe = self.rotate(q_pe, cos, sin)
        k_pe = self.rotate(k_pe[:, None, :], cos, sin)[:, 0, :]  # one rotary key for all heads
        future = np.triu(np.ones((length, length), dtype=bool), k=1)
        out = np.empty((length, self.heads, self.v_dim), dtype=x.dtype)
        for h in range(self.heads):
            scores = (q_nope[:, h, :] @ k_nope[:, h, :].T + q_pe[:, h, :] @ k_pe.T) * self.scale
            scores[future] = -np.inf
            out[:, h, :] = softmax(scores) @ v[:, h, :]
        return out.reshape(length, self.heads * self.v_dim) @ self.o.T


def _refuse_unported_deepseek(config):
    """DeepSeek-V2 settings this reference does not follow, each refused by name."""
    if config.get("topk_method", "greedy") != "greedy":
        raise ValueError(f"config.json: topk_method {config['topk_method']!r}; only greedy is implemented")
    if config.get("scoring_func", "softmax") != "softmax":
        raise ValueError(f"config.json: scoring_func {config['scoring_func']!r}; only softmax is implemented")
    if config.get("norm_topk_prob", False):
        raise ValueError("config.json: norm_topk_prob true, where DeepSeek's code and transformers' disagree")
    if config.get("attention_bias", False) or config.get("mlp_bias", False):
        raise ValueError("config.json: attention_bias or mlp_bias true is not implemented")
    if config.get("num_key_value_heads", config["num_attention_heads"]) != config["num_attention_heads"]:
        raise ValueError("config.json: latent attention needs num_key_value_heads == num_attention_heads")


class MoeDecoder:
    """A whole *ForCausalLM model: logits for every position of one sequence."""

    def __init__(self, config, tensors, compute_dtype=np.float64, mla_rope="pairs"):
        model_type = config.get("model_type")
        if model_type not in FAMILIES:
            raise ValueError(f"config.json: model_type {model_type!r} is not one of {sorted(FAMILIES)}")
        if config.get("hidden_act", "silu") != "silu":
            raise ValueError(f"config.json: hidden_act {config['hidden_act']!r}; only silu is implemented")
        if config.get("rope_scaling") is not None:
            raise ValueError("config.json: rope_scaling is set; only the default rope is implemented")
        family = FAMILIES[model_type]
        if family.latent_attention:
            _refuse_unported_deepseek(config)
        weights = _Weights(tensors, compute_dtype)
        self.dtype = compute_dtype
        hidden = config["hidden_size"]
        heads = config["num_attention_heads"]
        kv_heads = config.get("num_key_value_heads") or heads
        head_dim = config.get("head_dim") or hidden // heads
        if model_type == "olmoe":
            head_dim = hidden // heads  # OlmoeAttention ignores any head_dim key
        if family.latent_attention:
            head_dim = config["qk_rope_head_dim"]  # DeepseekV2Config: rotary over the rope part only
        self.vocab = config["vocab_size"]
        self.eps = config["rms_norm_eps"]
        self.rope_theta = float(config["rope_theta"])
        self.head_dim = head_dim
        self.embed = weights.get("model.embed_tokens.weight", (self.vocab, hidden))
        self.layers = []
        for i in range(config["num_hidden_layers"]):
            prefix = f"model.layers.{i}"
            if family.latent_attention:
                attention = _LatentAttention(weights, config, f"{prefix}.self_attn", mla_rope)
            else:
                attention = _Attention(weights, family, config, f"{prefix}.self_attn",
                                       (hidden, heads, kv_heads, head_dim))
            if family.is_moe_layer(config, i):
                mlp = _SparseMoe(weights, family, config, f"{prefix}.{family.moe_prefix}", hidden)
            else:
                mlp = _DenseMlp(weights, f"{prefix}.mlp", ("gate_proj", "up_proj", "down_proj"),
                                hidden, config["intermediate_size"])
            self.layers.append((
                weights.get(f"{prefix}.input_layernorm.weight", (hidden,)), attention,
                weights.get(f"{prefix}.post_attention_layernorm.weight", (hidden,)), mlp))
        self.norm = weights.get("model.norm.weight", (hidden,))
        if config.get("tie_word_embeddings", False):
            self.lm_head = self.embed
        else:
            self.lm_head = weights.get("lm_head.weight", (self.vocab, hidden))
        unused = sorted(set(tensors) - weights.used)
        if unused:
            raise ValueError(f"checkpoint tensors this {model_type} model does not use: {unused}")

    def rope(self, length):
        """cos and sin of [freqs, freqs] for positions 0..length-1, inv_freq = theta^(-2i/head_dim)."""
        inv_freq = self.rope_theta ** (-np.arange(0, self.head_dim, 2, dtype=np.float64) / self.head_dim)
        freqs = np.outer(np.arange(length, dtype=np.float64), inv_freq)
        angles = np.concatenate([freqs, freqs], axis=-1)
        return np.cos(angles).astype(self.dtype), np.sin(angles).astype(self.dtype)

    def forward(self, ids, stats=None):
        stats = stats if stats is not None else RouterStats()
        for token in ids:
            if not 0 <= token < self.vocab:
                raise ValueError(f"token id {token} outside the vocabulary of {self.vocab}")
        x = self.embed[np.asarray(ids)]
        cos, sin = self.rope(len(ids))
        for input_norm, attention, post_norm, mlp in self.layers:
            x = x + attention(rms_norm(x, input_norm, self.eps), cos, sin)
            x = x + mlp(rms_norm(x, post_norm, self.eps), stats)
        return rms_norm(x, self.norm, self.eps) @ self.lm_head.T

    def greedy(self, prompt, new_tokens, stats=None):
        """Greedy continuation recomputing the whole sequence each step (no cache).
        Returns (tokens, log-probabilities of the chosen tokens, smallest top-1/top-2 gap)."""
        sequence = list(prompt)
        tokens, logprobs, min_margin = [], [], math.inf
        for _ in range(new_tokens):
            last = self.forward(sequence, stats)[-1].astype(np.float64)
            token = int(np.argmax(last))  # the first maximum: ties go to the lower id
            top_two = -np.sort(-last)[:2]
            min_margin = min(min_margin, float(top_two[0] - top_two[1]))
            log_norm = top_two[0] + math.log(float(np.sum(np.exp(last - top_two[0]))))
            tokens.append(token)
            logprobs.append(float(last[token] - log_norm))
            sequence.append(token)
        return tokens, logprobs, min_margin
