"""Mixed-precision PTQ: bits per layer under an average-bits budget, by CQM and by the baselines.

For the reference MLP and CNN (``annealq.nn.models.reference_model``) on digits (or ``--dataset
fashion-mnist``: real Fashion-MNIST, installed offline with ``apt-get install dataset-fashion-mnist``)
and each calibration seed (256 training images drawn at random), :func:`annealq.ptq.mixed.measure_terms`
measures the per-layer and pairwise cross-layer terms (KL divergence of the outputs against the float
model, on the calibration images; candidates 1, 2, 3, 4, 8 bits; the QUBO on the ``batched`` route).  At each
budget (average bits per weight) the allocators pick bits per layer:

- ``cqm``: the CQM (unary + cross terms, one-hot bits, size constraint) on route ``exact-cqm``;
- ``cqm-sa``: the same CQM as a penalty BQM on route ``sa`` (100 reads x 1000 sweeps), the best reads
  within the budget polished by feasible one/two-layer moves (the raw route's objective is kept as
  ``route_objective``); a run without any read within the budget is recorded as failed;
- ``lagrange-sa``: the same objective with the budget as a price per weight bit (24 prices, one batch)
  on route ``sa``, polished the same way;
- ``knapsack``: the exact optimum of the unary terms alone (HAWQ-style knapsack, no cross terms);
- ``greedy``: every layer at 8 bits, then the cheapest step down per bit saved until the budget holds;
- ``uniform``: the most bits every layer can share.

Each allocation is then quantized by the pipeline
(``QuantConfig(layer_bits=...)``, quantized inputs) and scored on the test set.  Saved:
benchmarks/results/ptq_mixed.json (rows, summary, measured terms),
ptq_mixed.txt, ptq_mixed.png (Fashion-MNIST: ptq_mixed_fmnist.*; ``--out`` another stem).  Run:
``python benchmarks/ptq_mixed.py [--models mlp,cnn] [--seeds 0,1,2] [--dataset fashion-mnist] [--out STEM]``;
the Fashion-MNIST MLP (one seed, three budgets): ``--dataset fashion-mnist --models mlp --seeds 0
--budgets 1.25,1.5,2 --out ptq_mixed_fmnist_mlp``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from annealq.data import load_dataset
from annealq.nn.models import accuracy, reference_model
from annealq.ptq import QuantConfig, quantize
from annealq.ptq.mixed import allocate, measure_terms
from annealq.samplers import SolverConfig
from annealq.report.figures import save_figure
from annealq.report.tables import text_table, write_json

OUT = Path(__file__).parent / "results"
ALLOCATORS = {"cqm": ("cqm", "exact-cqm"), "cqm-sa": ("cqm", "sa"), "lagrange-sa": ("lagrange", "sa"),
              "knapsack": ("knapsack", None),
              "greedy": ("greedy", None), "uniform": ("uniform", None)}


def summary(rows):
    """Mean and spread over seeds per (model, budget, allocator); failed runs counted, not scored."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["model"], r["budget"], r["allocator"]), []).append(r)
    out = []
    for (model, budget, allocator), rs in groups.items():
        ok = [r for r in rs if "failed" not in r]
        acc, obj, avg = (np.array([r[k] for r in ok] or [np.nan]) for k in ("accuracy", "objective", "average_bits"))
        out.append({"model": model, "budget": budget, "allocator": allocator, "seeds": len(ok),
                    "failed": len(rs) - len(ok), "accuracy": acc.mean(), "accuracy_std": acc.std(),
                    "objective": obj.mean(), "average_bits": avg.mean(), "bits": [r["bits"] for r in ok]})
    return out


def plot(stats, path, dataset):
    models = list(dict.fromkeys(s["model"] for s in stats))
    fig = Figure(figsize=(5 * len(models), 4))
    for ax, model in zip(np.atleast_1d(fig.subplots(1, len(models))), models):
        for allocator in ALLOCATORS:
            pts = sorted((s["budget"], 100 * s["accuracy"], 100 * s["accuracy_std"]) for s in stats
                         if s["model"] == model and s["allocator"] == allocator and s["seeds"])
            if pts:
                b, acc, std = zip(*pts)
                ax.errorbar(b, acc, yerr=std, marker="o", capsize=3, label=allocator)
        ax.set(xlabel="budget (average bits per weight)", ylabel="test accuracy (%)", title=f"{dataset} {model}")
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budgets", default="1.25,1.5,1.75,2,2.5,3")
    parser.add_argument("--candidates", default="1,2,3,4,8")
    parser.add_argument("--route", default="batched", help="route of the rounding QUBOs")
    parser.add_argument("--dataset", default="digits", choices=("digits", "fashion-mnist"))
    parser.add_argument("--data-root", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--out", help="file stem under benchmarks/results (default ptq_mixed, ptq_mixed_fmnist)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("digits") if args.dataset == "digits" else load_dataset(args.dataset, args.data_root)
    stem = args.out or ("ptq_mixed" if args.dataset == "digits" else "ptq_mixed_fmnist")
    candidates = tuple(map(int, args.candidates.split(",")))
    budgets = [float(b) for b in args.budgets.split(",")]
    rows, measured = [], []
    for kind in args.models.split(","):
        model = reference_model(data, kind)
        for seed in map(int, args.seeds.split(",")):
            config = QuantConfig(route=args.route, seed=seed)
            pick = np.random.default_rng(seed).choice(len(data.x_train), 256, replace=False)
            cal = data.x_train[pick]
            terms = measure_terms(model, cal, candidates, config)
            measured.append({"model": kind, "seed": seed, **terms.to_dict()})
            print(f"{kind} seed {seed}: terms measured in {terms.seconds:.1f}s; unary (rows: layers "
                  f"{terms.layers}, columns: bits {candidates}):\n{np.array2string(terms.unary, precision=4)}",
                  flush=True)
            scored: dict = {}  # bits allocation -> accuracy, recon error (allocators often agree)
            for budget in budgets:
                for name, (method, route) in ALLOCATORS.items():
                    try:
                        a = allocate(terms, budget, method=method, sampler=route,
                                     solver=SolverConfig(num_reads=100, num_sweeps=1000, seed=seed))
                    except ValueError as err:
                        rows.append({"model": kind, "seed": seed, "budget": budget, "allocator": name,
                                     "failed": str(err)})
                        print(f"  budget {budget} {name:<8} failed: {err}", flush=True)
                        continue
                    key = tuple(sorted(a.bits.items()))
                    if key not in scored:
                        result = quantize(model, cal, a.config(config))
                        scored[key] = (accuracy(result.model, data.x_test, data.y_test), result.recon_error)
                    row = {"model": kind, "seed": seed, "budget": budget, "allocator": name, "bits": a.bits,
                           "average_bits": a.average_bits, "objective": a.objective, "accuracy": scored[key][0],
                           "recon_error": scored[key][1], **{k: v for k, v in a.info.items()
                                                             if k in ("route_objective", "polish_improved",
                                                                      "reads_within_budget")}}
                    rows.append(row)
                    print(f"  budget {budget} {name:<8} bits {list(a.bits.values())} avg {a.average_bits:.3f} "
                          f"objective {a.objective:.4g} acc {100 * row['accuracy']:.2f}%", flush=True)
            stats = summary(rows)
            write_json(OUT / f"{stem}.json", {"dataset": args.dataset, "candidates": candidates, "budgets": budgets,
                                              "summary": stats, "rows": rows, "terms": measured})
    text = f"## Mixed precision on {args.dataset} (accuracy mean ± std over calibration seeds; bits of seed 0)\n" \
        + text_table(("model", "budget", "allocator", "avg bits", "objective", "accuracy", "bits (first seed)",
                      "failed runs"),
                     [[s["model"], s["budget"], s["allocator"], f"{s['average_bits']:.3f}", f"{s['objective']:.4g}",
                       f"{100 * s['accuracy']:.2f} ± {100 * s['accuracy_std']:.2f}%",
                       "-".join(map(str, s["bits"][0].values())) if s["bits"] else "-", s["failed"]]
                      for s in stats])
    print("\n" + text)
    (OUT / f"{stem}.txt").write_text(text + "\n")
    plot(stats, OUT / f"{stem}.png", args.dataset)
    print(f"saved {OUT / stem}.json")


if __name__ == "__main__":
    main()
