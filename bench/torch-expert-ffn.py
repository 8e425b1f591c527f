#!/usr/bin/env python3
"""PyTorch's half of the GPU check of issue #3 (bench/gpu-check.sh run), and the table that joins both halves.

  torch-expert-ffn.py measure --plan JAVA.json --out TORCH.json [--dry-run]
      For each case of the Java check's plan (shape, d, F, T): the expert FFN in PyTorch on the GPU, fp32,
      H = X W13^T with W13 [2F][d], the SwiGLU gate G = silu(H[:, :F]) * H[:, F:], Y = G W2^T with W2 [d][F],
      the same two GEMMs and gate as the Java kernel. Median times of three variants: operands on the GPU
      without TF32 (the comparison of issue #3), the same with TF32, and without TF32 but with X copied in
      from and Y out to pageable host memory (what GpuCheck's whole forward does). --dry-run writes the same
      JSON with no timings and needs no torch, to try the script anywhere.
  torch-expert-ffn.py join --java JAVA.json --torch TORCH.json --out JOINED.json
      Prints shape, T, our TFLOP/s and PyTorch's and their ratio against the goal, and writes them as JSON.

Exit status 3 from measure: torch does not import or sees no GPU (said why on stderr).
"""
import argparse
import json
import statistics
import sys
import time

NO_GPU = 3
# Issue #3: our expert FFN at half PyTorch's TFLOP/s or better, on the same GPU in the same run.
GOAL = 0.5
WARM_UPS = 5
MIN_CALLS = 20
MIN_SECONDS = 0.3
MAX_CALLS = 200


def flops(hidden, ffn, tokens):
    """2 T d 2F for the stacked W1/W3 GEMM plus 2 T F d for W2, as GpuCheck counts (the gate is not counted)."""
    return 2.0 * tokens * hidden * 2 * ffn + 2.0 * tokens * ffn * hidden


def read_plan(path):
    with open(path) as f:
        plan = json.load(f)["plan"]
    for case in plan:
        if case["flops"] != flops(case["hidden"], case["ffn"], case["tokens"]):
            raise ValueError(f"the plan counts {case['flops']} FLOPs for {case}, this script "
                             f"{flops(case['hidden'], case['ffn'], case['tokens'])}")
    return plan


def median_of_calls(call):
    """Median milliseconds that call() returns, after warm-ups: at least MIN_CALLS calls and MIN_SECONDS."""
    for _ in range(WARM_UPS):
        call()
    times = []
    start = time.perf_counter()
    while len(times) < MAX_CALLS and (len(times) < MIN_CALLS or time.perf_counter() - start < MIN_SECONDS):
        times.append(call())
    return statistics.median(times), len(times)


def set_tf32(torch, enabled):
    """PyTorch 2.9 replaced allow_tf32 by fp32_precision and warns about the old flag; use whichever exists."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        matmul.fp32_precision = "tf32" if enabled else "ieee"
        return f"torch.backends.cuda.matmul.fp32_precision = {matmul.fp32_precision!r}"
    matmul.allow_tf32 = enabled
    return f"torch.backends.cuda.matmul.allow_tf32 = {matmul.allow_tf32}"


def measure_case(torch, case):
    d, f, t = case["hidden"], case["ffn"], case["tokens"]
    gen = torch.Generator(device="cuda").manual_seed(42)
    # Scaled like trained weights, so that activations stay of order 1, as the Java side draws them.
    w13 = torch.randn(2 * f, d, device="cuda", generator=gen) / d ** 0.5
    w2 = torch.randn(d, f, device="cuda", generator=gen) / f ** 0.5
    x = torch.randn(t, d, device="cuda", generator=gen)
    x_host = x.cpu()

    def ffn(rows):
        h = torch.mm(rows, w13.t())
        g = torch.nn.functional.silu(h[:, :f]) * h[:, f:]
        return torch.mm(g, w2.t())

    def on_device():
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        ffn(x)
        end.record()
        end.synchronize()
        return start.elapsed_time(end)

    def with_copies():
        torch.cuda.synchronize()
        begin = time.perf_counter()
        ffn(x_host.cuda()).cpu()
        return (time.perf_counter() - begin) * 1e3

    row = dict(shape=case["shape"], hidden=d, ffn=f, tokens=t, flops=flops(d, f, t))
    set_tf32(torch, False)
    row["fp32_ms"], row["fp32_calls"] = median_of_calls(on_device)
    row["fp32_with_copies_ms"], row["fp32_with_copies_calls"] = median_of_calls(with_copies)
    set_tf32(torch, True)
    row["tf32_ms"], row["tf32_calls"] = median_of_calls(on_device)
    set_tf32(torch, False)
    for variant in ("fp32", "tf32", "fp32_with_copies"):
        row[variant + "_tflops"] = row["flops"] / (row[variant + "_ms"] * 1e9)
    return row


def measure(args):
    plan = read_plan(args.plan)
    result = {"plan": args.plan, "dry_run": args.dry_run, "goal": GOAL}
    if args.dry_run:
        result["cases"] = [dict(shape=c["shape"], hidden=c["hidden"], ffn=c["ffn"], tokens=c["tokens"],
                                flops=flops(c["hidden"], c["ffn"], c["tokens"])) for c in plan]
    else:
        try:
            import torch
        except ImportError as e:
            print(f"python3 ({sys.executable}) has no torch ({e}): the PyTorch timings are skipped", file=sys.stderr)
            return NO_GPU
        if not torch.cuda.is_available():
            print(f"torch {torch.__version__} sees no CUDA GPU: the PyTorch timings are skipped", file=sys.stderr)
            return NO_GPU
        result.update(torch=torch.__version__, cuda=torch.version.cuda, gpu=torch.cuda.get_device_name(0),
                      fp32_setting=set_tf32(torch, False))
        print(f"torch {torch.__version__} (CUDA {torch.version.cuda}) on {result['gpu']}; {result['fp32_setting']};"
              " medians of CUDA events per FFN (with copies: wall clock)")
        print(f"{'shape':<14} {'T':>6} {'fp32 ms':>9} {'TFLOP/s':>8} {'tf32 ms':>9} {'TFLOP/s':>8}"
              f" {'copies ms':>10} {'TFLOP/s':>8}")
        result["cases"] = []
        for case in plan:
            try:
                row = measure_case(torch, case)
            except Exception as e:  # one case failing must not lose the others
                print(f"{case['shape']:<14} {case['tokens']:>6} FAILED: {e!r}")
                result["cases"].append(dict(shape=case["shape"], tokens=case["tokens"], error=repr(e)))
                continue
            result["cases"].append(row)
            print(f"{row['shape']:<14} {row['tokens']:>6} {row['fp32_ms']:>9.3f} {row['fp32_tflops']:>8.2f}"
                  f" {row['tf32_ms']:>9.3f} {row['tf32_tflops']:>8.2f} {row['fp32_with_copies_ms']:>10.3f}"
                  f" {row['fp32_with_copies_tflops']:>8.2f}")
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    return 1 if any("error" in c for c in result["cases"]) else 0


def ratio(ours, theirs):
    return None if ours is None or theirs is None else ours / theirs


def join(args):
    with open(args.java) as f:
        java = json.load(f)
    with open(args.torch) as f:
        torch_result = json.load(f)
    theirs = {(c["shape"], c["tokens"]): c for c in torch_result["cases"]}
    rows = []
    for ours in java.get("ffn", []):
        t = theirs.get((ours["shape"], ours["tokens"]), {})
        device_ratio = ratio(ours.get("deviceTflops"), t.get("fp32_tflops"))
        rows.append(dict(shape=ours["shape"], tokens=ours["tokens"], kernel=ours["kernel"],
                         ours_forward_tflops=ours["forwardTflops"], ours_device_tflops=ours.get("deviceTflops"),
                         torch_fp32_tflops=t.get("fp32_tflops"), torch_tf32_tflops=t.get("tf32_tflops"),
                         torch_fp32_with_copies_tflops=t.get("fp32_with_copies_tflops"),
                         device_ratio=device_ratio,
                         forward_ratio=ratio(ours["forwardTflops"], t.get("fp32_with_copies_tflops")),
                         goal_met=None if device_ratio is None else device_ratio >= GOAL))

    def cell(value, width):
        return f"{'-':>{width}}" if value is None else f"{value:>{width}.2f}"

    print(f"\nExpert FFN TFLOP/s, ours against PyTorch's (fp32, no TF32) on the same GPU in the same run.\n"
          f"device = operands on the GPU (ours: DeviceFfnTiming; PyTorch: torch.mm, silu), forward = with the host\n"
          f"copies of X and Y (ours: CudaExpertKernel.forward). Goal of issue #3: device ratio >= {GOAL}.")
    print(f"{'shape':<14} {'T':>6} {'ours':>8} {'torch':>8} {'torch':>8} {'ratio':>7} {'goal':>7}"
          f" {'ours':>8} {'torch':>8} {'ratio':>7}")
    print(f"{'':<14} {'':>6} {'device':>8} {'fp32':>8} {'tf32':>8} {'device':>7} {'':>7}"
          f" {'forward':>8} {'+copies':>8} {'fwd':>7}")
    for r in rows:
        goal = "-" if r["goal_met"] is None else ("met" if r["goal_met"] else "MISSED")
        print(f"{r['shape']:<14} {r['tokens']:>6} {cell(r['ours_device_tflops'], 8)} {cell(r['torch_fp32_tflops'], 8)}"
              f" {cell(r['torch_tf32_tflops'], 8)} {cell(r['device_ratio'], 7)} {goal:>7}"
              f" {cell(r['ours_forward_tflops'], 8)} {cell(r['torch_fp32_with_copies_tflops'], 8)}"
              f" {cell(r['forward_ratio'], 7)}")
    if rows:
        print(f"ours: {rows[0]['kernel']}; PyTorch: {torch_result.get('torch', 'not measured')}"
              f" on {torch_result.get('gpu', '-')}")
    with open(args.out, "w") as f:
        json.dump(dict(goal=GOAL, rows=rows, java=java, torch=torch_result), f, indent=2)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("measure")
    m.add_argument("--plan", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--dry-run", action="store_true")
    m.set_defaults(run=measure)
    j = commands.add_parser("join")
    j.add_argument("--java", required=True)
    j.add_argument("--torch", required=True)
    j.add_argument("--out", required=True)
    j.set_defaults(run=join)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
