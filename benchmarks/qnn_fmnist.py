"""QNN training on real Fashion-MNIST: the annealer method (``targets``) against its ablations
(random, rounding, greedy), the tuned STE, PTQ and the float network, on the same network.

Data: the Debian package ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``,
gzipped IDX files in /usr/share/datasets/fashion-mnist); nothing is downloaded.  Inputs are
average-pooled to 7x7 or 14x14 and rounded to 16 levels; a ``features -> 32 -> 10`` MLP
without biases, binary (``bits=1``) or 2-bit (``bits=2``) weights, one 32-bit scale per layer.
Every fit method runs the same rounds (``--iterations`` rounds of ``--batch`` training samples,
acceptance on ``--eval-samples`` fixed training samples); the test accuracy is on the full 10k
test set.  ``qcgd``/``penalty`` are absent: their hidden block lifts every sample and unit
(``size_formula``): at 7x7 with 16 input levels one sample's hidden subproblem has the 1,568
weight bits plus 32 units x 4 pieces x (1 + 9 offset bits) = 2,848 variables before slacks, and
the 4x4 digits run took 205 s for 52% (benchmarks/qnn_digits.py).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/qnn_fmnist.py --seeds 0   # one process per seed, resumable
    python benchmarks/qnn_fmnist.py --collect                                   # table and figure only
    # checks at the edge of the main run's budgets: greedy with 3x the starts, STE with 2x the epochs
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/qnn_fmnist.py --pools 7 --bits 1 --methods greedy,ste \
        --greedy-scale 3 --epochs 12 --tag _budget
    # three times the rounds for the fit methods
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/qnn_fmnist.py --pools 7 --bits 1 --methods targets,rounding,greedy \
        --iterations 18 --tag _rounds

Writes benchmarks/results/qnn_fmnist<tag>/<pool>-<bits>-<seed>.json per part and
benchmarks/results/qnn_fmnist<tag>.{json,txt,png}.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from annealq.data import load_dataset
from annealq.qnn import QNNConfig
from annealq.qnn.report import compare
from annealq.report.figures import save_figure, series_style
from annealq.report.tables import Column, table
from annealq.samplers import SolverConfig

RESULTS = Path(__file__).parent / "results"
METHODS = ("targets", "random", "rounding", "greedy", "ste", "ptq", "float")
#: starts of the greedy ablation's descent per neuron: at least the annealer's wall time (seconds column)
GREEDY_READS = {7: 192, 14: 64}
COLUMNS = (Column("setting"), Column("method"), Column("route"), Column("bits_per_weight", "bits/weight", "number"),
           Column("accuracy", "test accuracy (mean)", "percent"), Column("accuracy_spread", "spread (max-min)", "percent"),
           Column("train_loss", "train loss", "fixed"), Column("oracle_calls", "oracle calls"),
           Column("seconds", kind="seconds"), Column("hidden_oracle_share", "hidden changes from oracle", "percent"))


def config(args, pool: int, bits: int, seed: int) -> QNNConfig:
    reads = int(args.greedy_scale * GREEDY_READS.get(pool, 64))
    return QNNConfig(hidden=args.hidden, bits=bits, pool=pool, input_levels=16, batch=args.batch,
                     iterations=args.iterations, eval_samples=args.eval_samples, greedy_reads=reads,
                     seed=seed, solver=SolverConfig(route=args.route, num_reads=args.num_reads, num_sweeps=200,
                                                    seed=seed))


def run_part(data, args, pool: int, bits: int, seed: int) -> None:
    path = parts_dir(args.tag) / f"{pool}-{bits}-{seed}.json"
    if path.exists():
        return
    out = compare(data, config(args, pool, bits, seed), methods=args.methods.split(","), epochs=args.epochs)
    path.write_text(json.dumps({"pool": pool, "bits": bits, "seed": seed, **out}, indent=1, default=float))
    print(f"done {path.name}", flush=True)


def parts_dir(tag: str) -> Path:
    return RESULTS / f"qnn_fmnist{tag}"


def collect(tag: str = "") -> dict:
    parts = [json.loads(p.read_text()) for p in sorted(parts_dir(tag).glob("*.json"))]
    settings = sorted({(p["pool"], p["bits"]) for p in parts})
    rows = []
    for pool, bits in settings:
        runs = [p for p in parts if (p["pool"], p["bits"]) == (pool, bits)]
        for method in METHODS:
            got = [r for p in runs for r in p["rows"] if r["method"] == method]
            if not got:
                continue
            acc = np.array([r["accuracy"] for r in got])
            rows.append({"setting": f"{pool}x{pool}, bits {bits}", "pool": pool, "bits": bits, "method": method,
                         "route": got[0]["route"], "seeds": len(got), "bits_per_weight": got[0]["bits_per_weight"],
                         "accuracy": float(acc.mean()), "accuracy_std": float(acc.std()),
                         "accuracy_spread": float(acc.max() - acc.min()), "accuracies": acc.tolist(),
                         "train_loss": float(np.mean([r["train_loss"] for r in got])),
                         "oracle_calls": int(np.mean([r["oracle_calls"] for r in got])),
                         "seconds": float(np.mean([r["seconds"] for r in got])),
                         "hidden_oracle_share": (float(np.mean([r["hidden_oracle_share"] for r in got]))
                                                 if "hidden_oracle_share" in got[0] else None),
                         **({"ste_lr": [r["ste_lr"] for r in got], "ste_epochs": [r["ste_epochs"] for r in got]}
                            if method == "ste" else {})})
    curves = {f"{p['pool']}-{p['bits']}-{p['seed']}": p["curves"] for p in parts}
    return {"rows": rows, "curves": curves, "targets": targets(rows)}


def targets(rows) -> list[dict]:
    """Per setting: targets minus STE, random, rounding, greedy (mean accuracy) against the seed spread."""
    out = []
    for setting in dict.fromkeys(r["setting"] for r in rows):
        by = {r["method"]: r for r in rows if r["setting"] == setting}
        if "targets" not in by:
            continue
        t = by["targets"]
        entry = {"setting": setting, "hidden_oracle_share": t["hidden_oracle_share"]}
        for base in ("ste", "random", "rounding", "greedy"):
            if base in by:
                spread = max(t["accuracy_spread"], by[base]["accuracy_spread"])
                entry[base] = {"difference": t["accuracy"] - by[base]["accuracy"], "spread": spread}
        out.append(entry)
    return out


def plot(rows, path) -> Path:
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    fig = Figure(figsize=(12, 4.6))
    ax = fig.subplots()
    width = 0.8 / len(METHODS)
    for k, method in enumerate(METHODS):
        got = [next((r for r in rows if r["setting"] == s and r["method"] == method), None) for s in settings]
        xs = [i + (k - len(METHODS) / 2 + 0.5) * width for i, r in enumerate(got) if r]
        style = series_style(k)
        ax.bar(xs, [100 * r["accuracy"] for r in got if r], width, yerr=[100 * r["accuracy_std"] for r in got if r],
               label=method, color=style["color"], capsize=2)
    ax.set_xticks(range(len(settings)), settings)
    ax.set(ylabel="test accuracy (%), mean and std over seeds", ylim=(20, 90),
           title="Fashion-MNIST, features -> 32 -> 10, 10k test images")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=len(METHODS))
    return save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--pools", default="7,14")
    parser.add_argument("--bits", default="1,2")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--eval-samples", type=int, default=2048)
    parser.add_argument("--route", default="batched")
    parser.add_argument("--num-reads", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--greedy-scale", type=float, default=1.0, help="multiplies the greedy starts")
    parser.add_argument("--tag", default="", help="suffix of the parts folder and the result files")
    parser.add_argument("--collect", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    parts_dir(args.tag).mkdir(parents=True, exist_ok=True)
    if not args.collect:
        data = load_dataset("fashion-mnist", args.data_root)
        for seed in map(int, args.seeds.split(",")):
            for pool in map(int, args.pools.split(",")):
                for bits in map(int, args.bits.split(",")):
                    run_part(data, args, pool, bits, seed)
    out = collect(args.tag)
    out["settings"] = {k: v for k, v in vars(args).items() if k not in ("collect", "data_root")}
    out["greedy_reads"] = GREEDY_READS
    (RESULTS / f"qnn_fmnist{args.tag}.json").write_text(json.dumps(out, indent=1, default=float))
    text = table(out["rows"], COLUMNS)
    (RESULTS / f"qnn_fmnist{args.tag}.txt").write_text(text + "\n")
    print(text)
    plot(out["rows"], RESULTS / f"qnn_fmnist{args.tag}.png")


if __name__ == "__main__":
    main()
