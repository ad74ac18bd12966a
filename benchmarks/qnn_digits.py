"""QCBO training of a binary-weight 16-16-10 MLP on digits against STE, PTQ and the float network.

Inputs: the 8x8 digits average-pooled to 4x4 (16 features) and rounded to 3 integer levels
(0, 1, 2), so hidden pre-activations are integers and the lifting is exact; the same inputs,
architecture (no biases), bits and per-layer scales for every method.  The QCBO methods train
on mini-batches (``--batch``) for ``--iterations`` rounds; the conditional-gradient loop runs
with each oracle given (convergence curve: objective, training loss and test accuracy against
oracle calls); the penalty path uses the first oracle.

Each part writes ``benchmarks/results/qnn_digits_<part>.json``; ``--collect`` merges them into
``qnn_digits.json``, ``qnn_digits.md`` and the plots.

    nice -n 10 python benchmarks/qnn_digits.py --part baselines
    nice -n 10 python benchmarks/qnn_digits.py --part qcgd --route sa
    nice -n 10 python benchmarks/qnn_digits.py --part qcgd --route tabu
    nice -n 10 python benchmarks/qnn_digits.py --part qcgd --route mock-qpu:Advantage_system4.1 --batch 2 \
        --inner 1 --iterations 4 --num-reads 10
    nice -n 10 python benchmarks/qnn_digits.py --part qcgd --route sa --batch 2 --inner 1 --iterations 4 \
        --num-reads 10 --tag _small
    nice -n 10 python benchmarks/qnn_digits.py --part penalty --route sa
    nice -n 10 python benchmarks/qnn_digits.py --part baselines --init float --tag _float
    nice -n 10 python benchmarks/qnn_digits.py --part qcgd --route sa --init float --tag _float
    python benchmarks/qnn_digits.py --collect
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from annealq.data import load_dataset
from annealq.formulations.splines import activation_spline, fip_interval
from annealq.qnn import QNNConfig
from annealq.qnn.report import compare, plot_qnn, table
from annealq.qnn.training import prepare
from annealq.samplers import SolverConfig

RESULTS = Path(__file__).parent / "results"


def config(args, route: str) -> QNNConfig:
    return QNNConfig(method="qcgd", loss="squared", hidden=args.hidden, pieces=args.pieces, batch=args.batch,
                     scenario=args.scenario,
                     iterations=args.iterations, inner=args.inner, pool=4, input_levels=3, seed=args.seed, init=args.init,
                     solver=SolverConfig(route=route, num_reads=args.num_reads, num_sweeps=args.num_sweeps,
                                         seed=args.seed))


def spline_errors(data, cfg: QNNConfig) -> dict:
    """Max |spline - function| of the activation on the FIP interval (real units)."""
    x, _, _, _ = prepare(data, cfg)
    lo, hi = fip_interval(x)
    from annealq.qnn.network import layer_scales

    s1, _ = layer_scales(x, cfg.hidden, "relu", cfg.input_levels, cfg.seed)
    unit = s1 / (cfg.input_levels - 1)
    out = {"fip_interval": [int(lo.min()), int(hi.max())]}
    for act, fn in (("relu", lambda z: np.maximum(z, 0)), ("tanh", np.tanh)):
        s = activation_spline(act, int(lo.min()), int(hi.max()), cfg.pieces, unit)
        out[act] = s.max_error(lambda z: fn(unit * z))
    return out


def run_part(args) -> None:
    torch.set_num_threads(1)  # a shared machine: one thread is faster than contended ones
    data = load_dataset("digits", seed=args.seed)
    route = args.route
    cfg = config(args, route)
    start = time.perf_counter()

    def progress(r):
        print(f"  {args.part} {route} round {r['iteration']}: calls {r['oracle_calls']} objective "
              f"{r['objective']:.4f} train loss {r['train_loss']:.4f} acc {100 * r['accuracy']:.2f}% flips "
              f"{r.get('flips')} vars {r.get('variables')} cons {r.get('constraints')} largest {r.get('largest_problem')} "
              f"{r['seconds']:.0f}s", flush=True)

    methods = ("ste", "ptq", "float") if args.part == "baselines" else (args.part,)
    out = compare(data, cfg, methods=methods, progress=progress)
    name = args.part + args.tag if args.part == "baselines" else f"{args.part}_{route.replace(':', '_')}{args.tag}"
    payload = {"config": cfg.to_dict(), "rows": out["rows"], "curves": {f"{k} ({route}{args.tag})": v for k, v in
                                                                        out["curves"].items()},
               "seconds": time.perf_counter() - start}
    if args.part == "baselines":
        payload["spline_error"] = spline_errors(data, cfg)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"qnn_digits_{name}.json").write_text(json.dumps(payload, indent=2))
    print(table(out["rows"]))


def collect() -> None:
    rows, curves, parts = [], {}, {}
    for path in sorted(RESULTS.glob("qnn_digits_*.json")):
        part = json.loads(path.read_text())
        parts[path.stem] = part
        init = part["config"].get("init", "random")
        name = path.stem.removeprefix("qnn_digits_")
        rows += [{**r, "init": init, "run": f"{name}: {r['method']}" if name.startswith("baselines") else name}
                 for r in part["rows"]]
        curves.update(part["curves"])
    targets = []
    for r in rows:
        if r["method"] in ("qcgd", "penalty"):
            base = {b["method"]: b for b in rows if b["init"] == r["init"] and b["method"] in ("ste", "ptq", "float")}
            targets.append({"run": r["run"], "violations": r["violations"],
                            **{f"minus_{k}": round(r["accuracy"] - v["accuracy"], 4) for k, v in base.items()}})
    report = {"rows": rows, "curves": curves, "targets": targets,
              "spline_error": parts.get("qnn_digits_baselines", {}).get("spline_error"),
              "configs": {k: v["config"] for k, v in parts.items()}}
    (RESULTS / "qnn_digits.json").write_text(json.dumps(report, indent=2))
    plot_qnn(rows, curves, RESULTS / "qnn_digits_accuracy.png")
    fig = Figure(figsize=(11, 4))
    ax_obj, ax_time = fig.subplots(1, 2)
    for name, pts in curves.items():
        ax_obj.plot([p["oracle_calls"] for p in pts], [p["train_loss"] for p in pts], marker=".", label=name)
        ax_time.plot([p["oracle_calls"] for p in pts], [p["seconds"] for p in pts], marker=".", label=name)
    ax_obj.set(xlabel="oracle calls", ylabel="training loss (eval samples)", title="Objective against oracle calls")
    ax_time.set(xlabel="oracle calls", ylabel="seconds", title="Time")
    for ax in (ax_obj, ax_time):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "qnn_digits_convergence.png", dpi=120)
    lines = ["| run | method | route | init | bits/weight | test accuracy | train loss | violations | oracle calls | "
             "seconds |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['run']} | {r['method']} | {r.get('route') or ''} | {r['init']} | {r['bits_per_weight']:.3f} | "
                     f"{100 * r['accuracy']:.2f}% | {r['train_loss']:.3f} | {r['violations']} | {r['oracle_calls']} | "
                     f"{r['seconds']:.0f} |")
    lines += ["", "| run | round | variables | constraints | largest problem | seconds per round |", "|---|---|---|---|---|---|"]
    for name, pts in curves.items():
        per = np.diff([0.0] + [p["seconds"] for p in pts])
        p = pts[-1]
        lines.append(f"| {name} | {len(pts)} | {p.get('variables', '-')} | {p.get('constraints', '-')} | {p.get('largest_problem', '-')} | "
                     f"{per.mean():.1f} |")
    (RESULTS / "qnn_digits.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps(targets, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["baselines", "qcgd", "penalty", "targets", "random", "rounding", "greedy"],
                        default="baselines")
    parser.add_argument("--route", default="sa")
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--pieces", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--scenario", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--inner", type=int, default=2)
    parser.add_argument("--num-reads", type=int, default=4)
    parser.add_argument("--num-sweeps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", default="random", choices=["random", "float"])
    parser.add_argument("--tag", default="", help="suffix of the part's name (a second run of a route)")
    parser.add_argument("--collect", action="store_true")
    args = parser.parse_args()
    if args.collect:
        collect()
    else:
        run_part(args)


if __name__ == "__main__":
    main()
