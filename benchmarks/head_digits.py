"""The head precision study on digits: every method at K = 1 .. 20, the route's gap to a long tabu search, QPU price.

Digits (1347 train / 450 test), frozen random conv features (16 filters 3x3, ReLU, 4x4 max
pooling: d = 64, standardised), 10 classes: a class's QUBO has 65 K variables.  The QUBO head
runs on route ``batched`` for at most 20 majorize-minimize iterations (fewer than convergence
of the loss needs; the 2 shared cores allow no more), the SGD baseline 50 epochs of batch 64
at lr 0.05 (momentum 0.9), all on the same loss (cross-entropy + 1e-4/2 ||W||^2).
Energy gaps: the same heads at K = 2, 4, 10 for 5 iterations, each iteration's QUBOs solved
again by tabu search (8 reads from random starts, plus the same warm starts).

    nice -n 10 python benchmarks/head_digits.py   # -> benchmarks/results/head_digits.{json,txt,png}
"""
from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from annealq.data import load_dataset
from annealq.head.classifier import QUBOHeadClassifier
from annealq.head.features import extract_features
from annealq.head.report import format_accuracy, format_pricing, plot_accuracy
from annealq.head.study import PAPER_BITS, precision_study, price_iteration
from annealq.samplers.config import SolverConfig

OUT = Path(__file__).resolve().parent / "results"
SOLVER = SolverConfig(route="batched", seed=0)
REFERENCE = SolverConfig(route="tabu", num_reads=8, seed=0)
MAX_ITER = 20
GAP_BITS = (2, 4, 10)
ROUNDED = ("lbfgs-rtn", "sgd-rtn", "lbfgs-ptq")  # on the QUBO head's grid (the target)
OWN_GRID = ("lbfgs-rtn-absmax", "sgd-rtn-absmax")  # on the float head's own grid


def targets(rows) -> list[str]:
    """The issue's targets, each with its measured margin."""
    acc = {(r["method"], r["bits"]): 100 * r["accuracy"] for r in rows}
    lbfgs = acc["lbfgs", None]
    bits = sorted({r["bits"] for r in rows if r["bits"] is not None})
    lines = [f"qubo at K=20 within 0.5 point of lbfgs ({lbfgs:.2f}%): {acc['qubo', 20]:.2f}% "
             f"({acc['qubo', 20] - lbfgs:+.2f}) -> {'met' if acc['qubo', 20] >= lbfgs - 0.5 else 'MISSED'}"
             for _ in [20] if 20 in bits]
    for k in [k for k in bits if k >= 6]:
        ok = acc["qubo", k] >= lbfgs - 1.0
        lines.append(f"qubo at K={k} within 1 point of lbfgs: {acc['qubo', k] - lbfgs:+.2f} -> "
                     f"{'met' if ok else 'MISSED'}")
    for k in [k for k in bits if k <= 8]:
        best = max(ROUNDED, key=lambda m: acc[m, k])
        ok = acc["qubo", k] >= acc[best, k]
        lines.append(f"qubo at K={k} >= every float-then-round head: {acc['qubo', k]:.2f} vs {best} "
                     f"{acc[best, k]:.2f} -> {'met' if ok else 'MISSED'}")
        own = max(OWN_GRID, key=lambda m: acc[m, k])
        lines.append(f"    (on the float heads' own absmax grids: {own} {acc[own, k]:.2f}, "
                     f"qubo {acc['qubo', k] - acc[own, k]:+.2f})")
    return lines


def gaps(train, y) -> list[dict]:
    rows = []
    for k in GAP_BITS:
        head = QUBOHeadClassifier(k, solver=SOLVER, max_iter=5, tol=1e-12, reference=REFERENCE).fit(train, y)
        rows += [{"bits": k, "iteration": h["iteration"], "energy": h["energy"], "energy_gap": h["energy_gap"],
                  "relative_gap": h["energy_gap"] / abs(h["energy"]) if h["energy"] else 0.0} for h in head.history_]
        print(rows[-1], flush=True)
    return rows


def main():
    warnings.simplefilter("ignore")
    data = load_dataset("digits")
    train, test = extract_features(data, filters=16, pool=4)
    start = time.perf_counter()
    rows = precision_study(train, data.y_train, test, data.y_test, bits=PAPER_BITS, solver=SOLVER, max_iter=MAX_ITER,
                           progress=lambda label: print(f"{time.perf_counter() - start:7.0f} s  {label}", flush=True))
    gap_rows = gaps(train, data.y_train)
    pricing = [p for k in PAPER_BITS for p in price_iteration(train.shape[1], k, data.num_classes, num_reads=100)]
    seconds = {(r["method"], r["bits"]): r["seconds"] for r in rows}
    text = "\n\n".join([
        f"digits, d = {train.shape[1]} random conv features, route {SOLVER.route}, at most {MAX_ITER} iterations",
        "test accuracy (%)\n" + format_accuracy(rows),
        "training loss (cross-entropy + ridge)\n" + format_accuracy(rows, "train_loss", 1.0, ".4f"),
        "seconds (rounded heads include their float training)\n" + format_accuracy(rows, "seconds", 1.0, ".1f"),
        "iterations\n" + format_accuracy(rows, "iterations", 1.0, "g"),
        "targets\n" + "\n".join(targets(rows)),
        f"QUBO head seconds over SGD's ({seconds['sgd', None]:.1f} s): "
        + ", ".join(f"K={k} {seconds['qubo', k] / seconds['sgd', None]:.1f}x" for k in PAPER_BITS),
        "energy gap of the route to tabu (8 reads + warm starts), summed over classes per iteration\n"
        + "\n".join(f"K={g['bits']:>2} iter {g['iteration']}: energy {g['energy']:.6g}, gap {g['energy_gap']:.3g} "
                    f"({100 * g['relative_gap']:.3f}%)" for g in gap_rows),
        "one iteration on the QPU (estimated, 100 reads a call, no packing)\n" + format_pricing(pricing)])
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "head_digits.json").write_text(json.dumps({"rows": rows, "gaps": gap_rows, "pricing": pricing,
                                                      "solver": SOLVER.to_dict(), "reference": REFERENCE.to_dict(),
                                                      "max_iter": MAX_ITER, "features": int(train.shape[1])},
                                                     indent=1, default=float))
    (OUT / "head_digits.txt").write_text(text + "\n")
    plot_accuracy(rows, OUT / "head_digits.png", f"digits, d = {train.shape[1]}, route {SOLVER.route}")


if __name__ == "__main__":
    main()
