"""The independent check of the export: what torch computes from the exported BF16 weights
(widened to float32, dropless top-k, the whole sequence recomputed at each step, no cache), for
a few held-out token windows, one per domain. cli's TrainedModelTest runs ./moe score and
./moe generate on the committed model and compares.

/usr/bin/python3 training/fixture.py --model models/olmoe-corpus --data training/data \
    --out cli/src/test/resources/olmoe-corpus-expected.json
"""

import argparse
import hashlib
import json
import os

import torch

import export
from evaluate import windows
from train import DOMAINS

SCORED_TOKENS = 32
PROMPT_TOKENS = 16
NEW_TOKENS = 8


def log_probabilities(model, ids):
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    return torch.log_softmax(logits[0].double(), dim=-1)


def greedy(model, prompt, new_tokens, eos):
    """Greedy tokens, ending with EOS if it comes (as ./moe generate does), and the smallest gap
    between the best and second-best logit, which says how safe an exact comparison is."""
    sequence, tokens, margin = list(prompt), [], float("inf")
    for _ in range(new_tokens):
        last = log_probabilities(model, sequence)[-1]
        top = torch.topk(last, 2)
        margin = min(margin, float(top.values[0] - top.values[1]))
        token = int(top.indices[0])
        tokens.append(token)
        sequence.append(token)
        if token == eos:
            break
    return tokens, margin


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="models/olmoe-corpus")
    p.add_argument("--data", default="training/data")
    p.add_argument("--out", default="cli/src/test/resources/olmoe-corpus-expected.json")
    args = p.parse_args()
    torch.set_num_threads(2)
    model, cfg = export.load(args.model)
    sequences, logprobs, prompts, continuations, margins = [], [], [], [], []
    for domain in DOMAINS:
        # The second window: the first may open on a file's odd front matter.
        ids = windows(args.data, domain, cfg["max_position_embeddings"])[1][:SCORED_TOKENS].tolist()
        table = log_probabilities(model, ids)
        sequences.append(ids)
        logprobs.append([None] + [round(float(table[i - 1, ids[i]]), 6) for i in range(1, len(ids))])
        prompt = ids[:PROMPT_TOKENS]
        tokens, margin = greedy(model, prompt, NEW_TOKENS, cfg["eos_token_id"])
        prompts.append(prompt)
        continuations.append(tokens)
        margins.append(round(margin, 6))
    fixture = {
        "model": args.model,
        "domains": list(DOMAINS),
        "sequences": sequences,
        "logprobs": logprobs,
        "prompts": prompts,
        "max_new_tokens": NEW_TOKENS,
        "greedy": continuations,
        "greedy_smallest_top2_gap": margins,
        "weights_sha256": sha256(args.model),
    }
    with open(args.out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}; smallest top-1/top-2 logit gap in the greedy runs: {min(margins):.4f}")


def sha256(directory):
    """Ties the fixture to the weights it was computed from."""
    with open(os.path.join(directory, export.WEIGHTS), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


if __name__ == "__main__":
    main()
