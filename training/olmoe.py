"""A small OLMoE decoder in torch, with the maths of transformers' modeling_olmoe.py, which the
Java engine (io.moestream.decoder) and conformance/reference.py implement:

- pre-norm blocks: x + attn(rms(x)), then x + moe(rms(x)); final RMSNorm, untied lm_head;
- attention without biases; q_norm / k_norm are RMSNorms over the whole q and k projections
  (before the split into heads), then rotate-half RoPE (theta^(-2i/head_dim));
- router: softmax over all experts of gate(x), the top-k by logit, their probabilities used as
  they are (norm_topk_prob false); experts are SwiGLU MLPs, down(silu(gate(x)) * up(x)).

The experts of a layer are stored stacked ([E, I, H] and [E, H, I]) so that training loops over
experts rather than over tokens; export.py unstacks them into HF's per-expert tensor names.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F


class RmsNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden, self.heads = cfg["hidden_size"], cfg["num_attention_heads"]
        self.head_dim = hidden // self.heads
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.q_norm = RmsNorm(hidden, cfg["rms_norm_eps"])
        self.k_norm = RmsNorm(hidden, cfg["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        b, t, h = x.shape
        q = self.q_norm(self.q_proj(x)).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_norm(self.k_proj(x)).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, t, h))


class SparseMoe(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden, inter = cfg["hidden_size"], cfg["intermediate_size"]
        self.experts, self.top_k = cfg["num_experts"], cfg["num_experts_per_tok"]
        self.gate = nn.Linear(hidden, self.experts, bias=False)
        self.w_gate = nn.Parameter(torch.empty(self.experts, inter, hidden))
        self.w_up = nn.Parameter(torch.empty(self.experts, inter, hidden))
        self.w_down = nn.Parameter(torch.empty(self.experts, hidden, inter))

    def forward(self, x):
        """Returns (output, router logits [N, E], chosen experts [N, k]); dropless."""
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        logits = self.gate(x)
        probabilities = torch.softmax(logits, dim=-1)
        weights, chosen = torch.topk(probabilities, self.top_k, dim=-1)
        flat_expert = chosen.reshape(-1)
        order = torch.argsort(flat_expert)
        token_of_slot = order // self.top_k
        counts = torch.bincount(flat_expert, minlength=self.experts).tolist()
        out = torch.zeros_like(x)
        start = 0
        for e, count in enumerate(counts):
            if count == 0:
                continue
            slots = order[start:start + count]
            tokens = token_of_slot[start:start + count]
            start += count
            h = x[tokens]
            y = (F.silu(h @ self.w_gate[e].t()) * (h @ self.w_up[e].t())) @ self.w_down[e].t()
            w = weights.reshape(-1)[slots].unsqueeze(-1)
            out.index_add_(0, tokens, y * w)
        return out.view(shape), logits, chosen


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.mlp = SparseMoe(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        out, logits, chosen = self.mlp(self.post_attention_layernorm(x))
        return x + out, logits, chosen


class Olmoe(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)

    def init_weights(self, generator):
        """Normal(0, 0.02) everywhere, the residual outputs (o_proj, experts' down) scaled by
        1/sqrt(2 * layers) as GPT-2 does; norms start at one."""
        std = self.cfg["initializer_range"]
        residual_std = std / math.sqrt(2 * self.cfg["num_hidden_layers"])
        for name, p in self.named_parameters():
            if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
                nn.init.ones_(p)
            elif name.endswith("o_proj.weight") or name.endswith("w_down"):
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator) * residual_std)
            else:
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator) * std)

    def rope(self, length):
        head_dim = self.cfg["hidden_size"] // self.cfg["num_attention_heads"]
        inv_freq = self.cfg["rope_theta"] ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
        freqs = torch.outer(torch.arange(length, dtype=torch.float64), inv_freq)
        angles = torch.cat([freqs, freqs], dim=-1)
        return angles.cos().float(), angles.sin().float()

    def forward(self, ids):
        """Logits [B, T, V], and per layer (router logits [B*T, E], chosen experts [B*T, k])."""
        t = ids.shape[1]
        cos, sin = self.rope(t)
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.embed_tokens(ids)
        routing = []
        for layer in self.layers:
            x, logits, chosen = layer(x, cos, sin, mask)
            routing.append((logits, chosen))
        return self.lm_head(self.norm(x)), routing


def load_balancing_loss(logits, chosen, experts):
    """Switch / OLMoE auxiliary loss of one layer: E * sum_e f_e * P_e, with f_e the share of the
    N*k routing slots that went to expert e times k (transformers' load_balancing_loss_func sums
    over the k slots) and P_e the mean router probability; k when perfectly balanced."""
    probabilities = torch.softmax(logits, dim=-1)
    slots = F.one_hot(chosen, experts).float().sum(1)  # [N, E]
    return experts * (slots.mean(0) * probabilities.mean(0)).sum()


def router_z_loss(logits):
    """ST-MoE's z-loss: the mean squared log-sum-exp of the router logits."""
    return torch.logsumexp(logits, dim=-1).pow(2).mean()
