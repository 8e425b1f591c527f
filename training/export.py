"""The trained model as a Hugging Face OLMoE checkpoint directory, and back.

Writes config.json (the key set of transformers' OlmoeConfig, as ./moe generate-model writes
it for olmoe-like), generation_config.json, model.safetensors in BF16 with HF tensor names
(experts one by one: model.layers.L.mlp.experts.J.{gate,up,down}_proj.weight), and copies
tokenizer.json / tokenizer_config.json from the corpus-tokens output. safetensors goes through
conformance/safetensors_io.py (numpy only), since python3-safetensors is not in Debian 12.
"""

import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
import safetensors_io  # noqa: E402

from olmoe import Olmoe  # noqa: E402

WEIGHTS = "model.safetensors"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
# olmoe.SparseMoe's stacked expert tensors and the HF projection each one holds, expert by expert.
STACKED = {"w_gate": "gate_proj", "w_up": "up_proj", "w_down": "down_proj"}


def hf_name(name):
    return name if name.startswith("lm_head") else "model." + name


def hf_config(cfg):
    """config.json: every key OlmoeConfig has, in the engine's olmoe reading."""
    return {
        "architectures": ["OlmoeForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": None,
        "clip_qkv": None,
        "eos_token_id": cfg["eos_token_id"],
        "hidden_act": "silu",
        "hidden_size": cfg["hidden_size"],
        "initializer_range": cfg["initializer_range"],
        "intermediate_size": cfg["intermediate_size"],
        "max_position_embeddings": cfg["max_position_embeddings"],
        "model_type": "olmoe",
        "norm_topk_prob": False,
        "num_attention_heads": cfg["num_attention_heads"],
        "num_experts": cfg["num_experts"],
        "num_experts_per_tok": cfg["num_experts_per_tok"],
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_key_value_heads": cfg["num_attention_heads"],
        "output_router_logits": False,
        "pad_token_id": cfg["pad_token_id"],
        "rms_norm_eps": cfg["rms_norm_eps"],
        "rope_scaling": None,
        "rope_theta": cfg["rope_theta"],
        "router_aux_loss_coef": cfg["router_aux_loss_coef"],
        "router_z_loss_coef": cfg["router_z_loss_coef"],
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "use_cache": True,
        "vocab_size": cfg["vocab_size"],
    }


def hf_tensors(model):
    """{HF name: torch tensor}, the stacked experts split per expert."""
    tensors = {}
    for name, p in model.state_dict().items():
        leaf = name.rsplit(".", 1)[-1]
        if leaf in STACKED:
            prefix = hf_name(name)[: -len(leaf)]
            for j in range(p.shape[0]):
                tensors[f"{prefix}experts.{j}.{STACKED[leaf]}.weight"] = p[j]
        else:
            tensors[hf_name(name)] = p
    return tensors


def save(model, cfg, directory, tokenizer_dir):
    os.makedirs(directory, exist_ok=True)
    tensors = {name: t.detach().to(torch.bfloat16).float().numpy() for name, t in hf_tensors(model).items()}
    safetensors_io.write(os.path.join(directory, WEIGHTS), tensors, "BF16")
    _write_json(os.path.join(directory, "config.json"), hf_config(cfg))
    _write_json(os.path.join(directory, "generation_config.json"),
                {"_from_model_config": True, "eos_token_id": cfg["eos_token_id"], "pad_token_id": cfg["pad_token_id"]})
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(tokenizer_dir, name), os.path.join(directory, name))


def load(directory):
    """The exported model with its BF16 weights widened to float32 (exactly), on the CPU."""
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    model = Olmoe(cfg)
    stored, _ = safetensors_io.read(os.path.join(directory, WEIGHTS))
    state = {}
    for name, p in model.state_dict().items():
        leaf = name.rsplit(".", 1)[-1]
        if leaf in STACKED:
            prefix = hf_name(name)[: -len(leaf)]
            value = np.stack([stored[f"{prefix}experts.{j}.{STACKED[leaf]}.weight"] for j in range(p.shape[0])])
        else:
            value = stored[hf_name(name)]
        state[name] = torch.from_numpy(value.astype(np.float32))
    model.load_state_dict(state)
    model.eval()
    return model, cfg


def _write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
