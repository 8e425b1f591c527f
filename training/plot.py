"""The loss curve of a run, its stages one after another:
/usr/bin/python3 training/plot.py training/loss.csv training/loss-stage2.csv training/loss.png
Each stage's tokens continue from the previous stage's last; a dashed line marks where a stage starts."""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(sources, target):
    rows, tokens, starts = [], [], []
    for source in sources:
        with open(source) as f:
            stage = list(csv.DictReader(f))
        offset = tokens[-1] if tokens else 0.0
        if tokens:
            starts.append(offset)
        rows += stage
        tokens += [offset + int(r["tokens"]) / 1e6 for r in stage]
    fig, (loss_axis, aux_axis) = plt.subplots(2, 1, figsize=(7, 6), sharex=True,
                                              gridspec_kw={"height_ratios": [3, 1]})
    loss_axis.plot(tokens, [float(r["loss"]) for r in rows], label="training cross-entropy (mean of 10 steps)")
    loss_axis.set_ylabel("nats / token")
    loss_axis.grid(alpha=0.3)
    loss_axis.legend()
    lr_axis = loss_axis.twinx()
    lr_axis.plot(tokens, [float(r["lr"]) for r in rows], color="grey", linestyle=":", label="learning rate")
    lr_axis.set_ylabel("learning rate")
    aux_axis.plot(tokens, [float(r["aux_loss"]) for r in rows], color="tab:orange",
                  label="load-balancing loss (top-k = perfectly balanced)")
    for start in starts:
        for axis in (loss_axis, aux_axis):
            axis.axvline(start, color="black", linestyle="--", linewidth=0.8)
    aux_axis.set_xlabel("training tokens (millions)")
    aux_axis.grid(alpha=0.3)
    aux_axis.legend()
    fig.suptitle("olmoe-corpus training")
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1:-1], sys.argv[-1])
