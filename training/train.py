"""Trains the small OLMoE model on the corpus-tokens output and exports it (see TRAINING.md).

Run with Debian's interpreter, which has python3-torch: /usr/bin/python3 training/train.py ...
(a pyenv python3 earlier on PATH has no torch).

Learning rate: linear warmup, constant, then a cosine decay to --min-lr-ratio over the last
--decay-share of the steps (warmup-stable-decay). The machine is shared, so the steps that fit
before a deadline are not known in advance: with --decay-at HH:MM (UTC), a run still in its
constant phase then starts its decay at once, over --decay-share / (1 - --decay-share) of the
steps done so far, and logs the --steps that reproduce it with no deadline. The schedule is a
function of the step and --steps alone, so that command reproduces the run; for the same reason
a run resumed before its decay may be given another --steps.

Batches are windows of context+1 tokens at offsets drawn uniformly over the five domains' train
streams laid end to end (each domain weighted by its size), from a generator seeded by (seed,
step): a run resumed from a checkpoint sees the same batches as one that never stopped. With
--domain-share, that share of each batch's sequences comes from the named domain alone (the
rest as before): a second stage that gives a small domain more weight.

--init-from starts a run from another run's weights (its optimizer state is not taken): the
second stage of the committed model (see TRAINING.md).
"""

import argparse
import csv
import json
import datetime
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import export
from olmoe import Olmoe, load_balancing_loss, router_z_loss

DOMAINS = ("code", "government", "literature", "recipes", "reference")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="training/data", help="corpus-tokens output directory")
    p.add_argument("--run", default="training/run", help="checkpoint and log directory")
    p.add_argument("--model-out", default="models/olmoe-corpus")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--experts", type=int, default=16)
    p.add_argument("--top-k", type=int, default=2)
    p.add_argument("--intermediate", type=int, default=128, help="each expert's hidden width")
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--batch", type=int, default=8, help="sequences per step")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--lr", type=float, default=2.5e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.1, help="cosine floor, a share of --lr")
    p.add_argument("--decay-share", type=float, default=0.2, help="share of the steps spent in the cosine decay")
    p.add_argument("--decay-at", help="UTC HH:MM: start the decay there if it has not started (see above)")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--aux-coef", type=float, default=0.01, help="load-balancing loss coefficient")
    p.add_argument("--z-coef", type=float, default=0.001, help="router z-loss coefficient")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--checkpoint-minutes", type=float, default=10)
    p.add_argument("--stop-at", help="UTC HH:MM: checkpoint and stop there even if steps remain")
    p.add_argument("--init-from", help="a checkpoint.pt whose weights this run starts from, at step 0")
    p.add_argument("--domain-share", default="",
                   help="DOMAIN=SHARE: that share of each batch's sequences from DOMAIN's train stream alone")
    p.add_argument("--export-only", action="store_true",
                   help="export the checkpoint in --run to --model-out and stop (a look at a run in progress)")
    return p.parse_args()


def model_config(args, vocab_size, eos, pad):
    return {
        "vocab_size": vocab_size,
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_experts": args.experts,
        "num_experts_per_tok": args.top_k,
        "intermediate_size": args.intermediate,
        "max_position_embeddings": args.context,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "initializer_range": 0.02,
        "router_aux_loss_coef": args.aux_coef,
        "router_z_loss_coef": args.z_coef,
        "eos_token_id": eos,
        "pad_token_id": pad,
    }


def decay_start(args, steps):
    return steps - round(args.decay_share * steps)


def learning_rate(args, step, steps):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    start = decay_start(args, steps)
    if step < start:
        return args.lr
    progress = (step - start) / max(1, steps - start)
    floor = args.lr * args.min_lr_ratio
    return floor + (args.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def shortened_steps(args, step):
    """The --steps whose decay starts at this step: step / (1 - decay share), rounded so that
    decay_start of it is exactly this step."""
    steps = round(step / (1 - args.decay_share))
    while decay_start(args, steps) < step:
        steps += 1
    while decay_start(args, steps) > step:
        steps -= 1
    return steps


def domain_share(args, bounds):
    """(sequences per batch, (lo, hi) of the domain's train stream) of --domain-share, or None."""
    if not args.domain_share:
        return None
    domain, share = args.domain_share.split("=")
    if domain not in bounds:
        raise SystemExit(f"--domain-share: no domain {domain!r}; the domains are {', '.join(DOMAINS)}")
    return round(float(share) * args.batch), bounds[domain]


def batch(stream, args, step, share=None):
    generator = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
    starts = torch.randint(0, len(stream) - args.context - 1, (args.batch,), generator=generator)
    if share is not None:
        count, (lo, hi) = share
        starts[:count] = torch.randint(lo, hi - args.context - 1, (count,), generator=generator)
    return stream[starts.unsqueeze(1) + torch.arange(args.context + 1)]


def losses(model, ids, experts):
    logits, routing = model(ids[:, :-1])
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    aux = torch.stack([load_balancing_loss(lg, ch, experts) for lg, ch in routing]).mean()
    z = torch.stack([router_z_loss(lg) for lg, _ in routing]).mean()
    return ce, aux, z


def save_checkpoint(path, model, optimizer, step, steps, elapsed):
    temporary = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step, "steps": steps,
                "elapsed": elapsed}, temporary)
    os.replace(temporary, path)


def past(stop_at):
    if stop_at is None:
        return False
    now = datetime.datetime.now(datetime.timezone.utc)
    hour, minute = map(int, stop_at.split(":"))
    return (now.hour, now.minute) >= (hour, minute)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.run, exist_ok=True)
    with open(os.path.join(args.data, "split.json")) as f:
        split = json.load(f)
    streams = [np.fromfile(os.path.join(args.data, f"{d}.train.bin"), dtype="<u2") for d in DOMAINS]
    stream = torch.from_numpy(np.concatenate(streams).astype(np.int64))
    ends = np.cumsum([len(s) for s in streams])
    share = domain_share(args, {d: (int(end - len(s)), int(end)) for d, s, end in zip(DOMAINS, streams, ends)})
    cfg = model_config(args, split["vocab_size"], split["eos_token_id"], split["eos_token_id"] + 1)
    model = Olmoe(cfg)
    model.init_weights(torch.Generator().manual_seed(args.seed))
    if args.init_from:
        model.load_state_dict(torch.load(args.init_from)["model"])
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    checkpoint = os.path.join(args.run, "checkpoint.pt")
    step, steps, elapsed = 0, args.steps, 0.0
    if os.path.exists(checkpoint):
        state = torch.load(checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, steps, elapsed = state["step"], state["steps"], state["elapsed"]
        if step < min(decay_start(args, steps), decay_start(args, args.steps)):
            # Still at the constant rate under either length, so the run is the one --steps alone gives.
            steps = args.steps
        print(f"resumed at step {step} of {steps} ({elapsed:.0f} s trained)", flush=True)
    if args.export_only:
        export.save(model, cfg, args.model_out, args.data)
        print(f"exported step {step} of {steps} to {args.model_out}", flush=True)
        return
    params = sum(p.numel() for p in model.parameters())
    print(f"{params:,} parameters, {len(stream):,} train tokens, {args.batch * args.context:,} tokens/step",
          flush=True)
    log_path = os.path.join(args.run, "loss.csv")
    new_log = not os.path.exists(log_path) or step == 0
    log = open(log_path, "w" if new_log else "a", newline="")
    writer = csv.writer(log)
    if new_log:
        writer.writerow(["step", "tokens", "lr", "loss", "aux_loss", "z_loss", "elapsed_s"])
    model.train()
    started, last_save = time.time() - elapsed, time.time()
    sums, counted = np.zeros(3), 0
    while step < steps and not past(args.stop_at):
        if past(args.decay_at) and step < decay_start(args, steps):
            steps = shortened_steps(args, step)
            print(f"--decay-at reached: decay starts at step {step}, the run ends at step {steps};"
                  f" reproduce with --steps {steps} and no --decay-at", flush=True)
        lr = learning_rate(args, step, steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        ce, aux, z = losses(model, batch(stream, args, step, share), args.experts)
        loss = ce + args.aux_coef * aux + args.z_coef * z
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        sums += [ce.item(), aux.item(), z.item()]
        counted += 1
        if step % args.log_every == 0:
            mean = sums / counted
            sums[:], counted = 0, 0
            now = time.time() - started
            writer.writerow([step, step * args.batch * args.context, f"{lr:.6g}", f"{mean[0]:.4f}", f"{mean[1]:.4f}",
                             f"{mean[2]:.4f}", f"{now:.1f}"])
            log.flush()
            print(f"step {step:6d}  loss {mean[0]:.4f}  aux {mean[1]:.3f}  z {mean[2]:.3f}  lr {lr:.2e}  "
                  f"{step * args.batch * args.context / now:,.0f} tok/s  {now:.0f} s", flush=True)
        if time.time() - last_save > args.checkpoint_minutes * 60:
            save_checkpoint(checkpoint, model, optimizer, step, steps, time.time() - started)
            last_save = time.time()
    save_checkpoint(checkpoint, model, optimizer, step, steps, time.time() - started)
    export.save(model, cfg, args.model_out, args.data)
    print(f"stopped at step {step} of {steps} after {time.time() - started:.0f} s; exported to {args.model_out}",
          flush=True)


if __name__ == "__main__":
    main()
