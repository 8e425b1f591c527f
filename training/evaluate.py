"""Held-out perplexity and expert load of an exported model, per domain (see TRAINING.md).

/usr/bin/python3 training/evaluate.py --model models/olmoe-corpus --data training/data --out training/eval.json

The weights are the exported BF16 ones, widened to float32. Each domain's held-out stream is cut
into consecutive windows of max_position_embeddings tokens, each scored on its own (its first
token is context only). Routing is dropless top-k. Load per layer: how many of the domain's
routing slots each expert got; busiest/mean is the largest count over the mean count, over the
whole domain ("overall") and averaged over the windows, each window one routing step ("per
window"), which is what a capacity per step meets.
"""

import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

import export
from train import DOMAINS


def windows(data, domain, length):
    ids = np.fromfile(os.path.join(data, f"{domain}.heldout.bin"), dtype="<u2").astype(np.int64)
    return [torch.from_numpy(ids[i:i + length]) for i in range(0, len(ids) - 1, length) if len(ids[i:i + length]) > 1]


def evaluate(model, cfg, data, limit=None):
    experts, layers = cfg["num_experts"], cfg["num_hidden_layers"]
    result = {}
    for domain in DOMAINS:
        nll, predicted = 0.0, 0
        overall = np.zeros((layers, experts))
        per_window = [[] for _ in range(layers)]
        for window in windows(data, domain, cfg["max_position_embeddings"])[:limit]:
            with torch.no_grad():
                logits, routing = model(window.unsqueeze(0))
            nll += F.cross_entropy(logits[0, :-1], window[1:], reduction="sum").item()
            predicted += len(window) - 1
            for layer, (_, chosen) in enumerate(routing):
                counts = np.bincount(chosen.reshape(-1).numpy(), minlength=experts)
                overall[layer] += counts
                per_window[layer].append(counts.max() / counts.mean())
        result[domain] = {
            "heldout_tokens_predicted": predicted,
            "nll": nll / predicted,
            "perplexity": math.exp(nll / predicted),
            "busiest_over_mean": {
                "overall": [float(c.max() / c.mean()) for c in overall],
                "per_window_mean": [float(np.mean(w)) for w in per_window],
            },
            "expert_share": [[float(x) for x in c / c.sum()] for c in overall],
        }
        print(f"{domain:11s} perplexity {result[domain]['perplexity']:8.2f} over {predicted:,} tokens; "
              f"busiest/mean per layer {' '.join(f'{x:.2f}' for x in result[domain]['busiest_over_mean']['overall'])}",
              flush=True)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="models/olmoe-corpus")
    p.add_argument("--data", default="training/data")
    p.add_argument("--out", default="training/eval.json")
    p.add_argument("--limit", type=int, help="at most this many windows per domain (a quick look)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model, cfg = export.load(args.model)
    result = evaluate(model, cfg, args.data, args.limit)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
