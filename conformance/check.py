"""Re-reads the committed conformance fixtures and checks them.

    python3 conformance/check.py

Per case: the files are well-formed safetensors; shapes agree with the prompts and config; the
reference, run again on the stored checkpoint, reproduces the stored logits, greedy tokens and
log-probabilities; each greedy continuation starts with the argmax of its prompt's last stored
logits; logits of a prompt prefix equal the first rows of the whole prompt's (causal mask); the
recorded margins hold; for DeepSeek-V2, DeepSeek's own rotary form (de-interleave, then
rotate-half) gives the logits of transformers' (complex products of adjacent pairs); and the fixture
would catch an engine that skipped a norm, a bias, the shared-expert gate or the shared experts,
misread norm_topk_prob, rope_theta or routed_scaling_factor, or rotated halves instead of adjacent
pairs (each such change moves the logits far past the tolerance). Exits non-zero on the first
failure.
"""

import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures  # noqa: E402
import reference  # noqa: E402
import safetensors_io  # noqa: E402

# Stored logits are the float64 ones rounded to F32: half an F32 ulp of values below 64.
STORED_ROUNDING = 64 * 2.0 ** -24
# A mutation must move some logit by this many tolerances to count as caught.
CATCH_FACTOR = 100


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def check_layout(path):
    """Header length a multiple of 8, offsets contiguous from 0, body exactly covered."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    check(n % 8 == 0, f"{path}: header length {n} is not a multiple of 8")
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    spans = sorted(tuple(info["data_offsets"]) for info in header.values())
    end = 0
    for begin, stop in spans:
        check(begin == end, f"{path}: tensor data not contiguous at offset {begin}")
        end = stop
    check(8 + n + end == len(data), f"{path}: data ends at {end}, file body is {len(data) - 8 - n}")
    return list(header)


def prompt_slices(prompts):
    start = 0
    for p in prompts:
        yield p, slice(start, start + len(p))
        start += len(p)


def log_softmax_at(row, token):
    top = row.max()
    return float(row[token] - top - math.log(np.sum(np.exp(row - top))))


def check_case(directory):
    name = os.path.basename(directory)
    with open(os.path.join(directory, "expected.json")) as f:
        expected = json.load(f)
    for file in os.listdir(directory):
        if file.endswith(".safetensors"):
            check_layout(os.path.join(directory, file))
    config, tensors = reference.load_checkpoint(directory)
    stored = safetensors_io.read(os.path.join(directory, "expected.safetensors"))[0]["logits"]
    prompts, greedy, logprobs = expected["prompts"], expected["greedy"], expected["greedy_logprobs"]
    tolerance = expected["tolerance"]

    check(stored.shape == (sum(map(len, prompts)), config["vocab_size"]),
          f"{name}: logits shape {stored.shape}")
    check(len(greedy) == len(prompts) == len(logprobs), f"{name}: one continuation per prompt")
    for g, lp in zip(greedy, logprobs):
        check(len(g) == len(lp) == expected["max_new_tokens"], f"{name}: continuation length")
    check(config.get("tie_word_embeddings") == ("lm_head.weight" not in tensors),
          f"{name}: lm_head.weight present exactly when embeddings are untied")
    check(all(n.startswith("model.") or n == "lm_head.weight" for n in tensors),
          f"{name}: tensor names outside model.* and lm_head.weight")

    model = reference.MoeDecoder(config, tensors)
    stats = reference.RouterStats()
    logits = np.concatenate([model.forward(p, stats) for p in prompts])
    check(np.max(np.abs(logits - stored)) <= STORED_ROUNDING,
          f"{name}: stored logits differ from the reference by {np.max(np.abs(logits - stored))}")
    top1 = math.inf
    for (p, rows), g, lp in zip(prompt_slices(prompts), greedy, logprobs):
        tokens, recomputed, margin = model.greedy(p, len(g), stats)
        top1 = min(top1, margin)
        check(tokens == g, f"{name}: greedy {tokens} for prompt {p}, stored {g}")
        check(np.allclose(recomputed, lp, rtol=0, atol=1e-12), f"{name}: greedy log-probabilities")
        last = stored[rows][-1]
        check(g[0] == int(np.argmax(last)), f"{name}: first greedy token is not the argmax of the "
                                            f"last prompt position's logits for prompt {p}")
        check(abs(log_softmax_at(last, g[0]) - lp[0]) < 1e-5, f"{name}: first log-probability")
        if len(p) > 2:
            prefix = model.forward(p[:2])
            check(np.max(np.abs(prefix - logits[rows][:2])) < 1e-12,
                  f"{name}: a prefix's logits depend on later tokens (causal mask)")
    check(math.isclose(top1, expected["min_top1_margin"], rel_tol=1e-9), f"{name}: min_top1_margin")
    check(math.isclose(stats.min_margin, expected["min_router_margin"], rel_tol=1e-9),
          f"{name}: min_router_margin")
    check(min(top1, stats.min_margin) > 1e-3, f"{name}: a decision margin is below 1e-3")
    if reference.FAMILIES[config["model_type"]].latent_attention:
        deepseek = reference.MoeDecoder(config, tensors, mla_rope="deinterleave")
        gap = np.max(np.abs(np.concatenate([deepseek.forward(p) for p in prompts]) - logits))
        check(gap < 1e-12, f"{name}: DeepSeek's and transformers' rotary forms differ by {gap}")
    check_catches(name, config, tensors, prompts, logits, tolerance)
    print(f"{name}: ok (router margin {stats.min_margin:.4g}, top-1 margin {top1:.4g})")


def mutations(config, tensors):
    """(what an engine might get wrong, config, tensors, MoeDecoder options) with that mistake made."""
    def with_tensors(select, replace):
        return {n: (replace(t) if select(n) else t) for n, t in tensors.items()}

    yield ("RMSNorm weights ignored", config,
           with_tensors(lambda n: n.endswith("norm.weight"), np.ones_like), {})
    if any(n.endswith("q_norm.weight") for n in tensors):
        yield ("q_norm/k_norm skipped", config,
               with_tensors(lambda n: n.endswith(("q_norm.weight", "k_norm.weight")), np.ones_like), {})
    if any(n.endswith(".bias") for n in tensors):
        yield "q/k/v bias skipped", config, with_tensors(lambda n: n.endswith(".bias"), np.zeros_like), {}
    if any(n.endswith("shared_expert_gate.weight") for n in tensors):
        yield ("shared expert ungated", config,
               with_tensors(lambda n: n.endswith("shared_expert_gate.weight"), np.zeros_like), {})
    if any(".shared_experts." in n for n in tensors):
        yield ("shared experts skipped", config,
               with_tensors(lambda n: ".shared_experts." in n, np.zeros_like), {})
    # DeepSeek-V2's norm_topk_prob true is refused by the reference, so it is not a mistake to make.
    if "norm_topk_prob" in config and config["model_type"] != "deepseek_v2":
        yield ("norm_topk_prob inverted", dict(config, norm_topk_prob=not config["norm_topk_prob"]),
               tensors, {})
    if config.get("routed_scaling_factor", 1.0) != 1.0:
        yield "routed_scaling_factor ignored", dict(config, routed_scaling_factor=1.0), tensors, {}
    if reference.FAMILIES[config["model_type"]].latent_attention:
        yield "rotary on halves, not adjacent pairs", config, tensors, {"mla_rope": "halves"}
    yield "rope_theta misread", dict(config, rope_theta=config["rope_theta"] / 100), tensors, {}


def check_catches(name, config, tensors, prompts, logits, tolerance):
    for mistake, wrong_config, wrong_tensors, options in mutations(config, tensors):
        wrong = reference.MoeDecoder(wrong_config, wrong_tensors, **options)
        moved = np.max(np.abs(np.concatenate([wrong.forward(p) for p in prompts]) - logits))
        check(moved > CATCH_FACTOR * tolerance,
              f"{name}: '{mistake}' moves the logits only by {moved}")


def main():
    cases = sorted(os.listdir(make_fixtures.FIXTURES))
    check(cases == sorted(c.name for c in make_fixtures.CASES),
          f"fixture folders {cases} are not the cases of make_fixtures.py")
    for case in cases:
        check_case(os.path.join(make_fixtures.FIXTURES, case))
    total = sum(os.path.getsize(os.path.join(root, f))
                for root, _, files in os.walk(make_fixtures.FIXTURES) for f in files)
    print(f"all {len(cases)} cases ok, {total} bytes in all")


if __name__ == "__main__":
    main()
