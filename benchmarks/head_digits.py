"""The head precision study on digits: every method at K = 1 .. 20, three seeds, the route's gap to tabu, QPU price.

Digits (1347 train / 450 test, split by the seed), frozen random conv features (16 filters 3x3,
ReLU, 4x4 max pooling: d = 64, standardised; filters seeded), 10 classes: a class's QUBO has
65 K variables.  Per seed: the QUBO head on route ``batched`` (grid ``iterate``, start ``rounded``,
stopping on a relative loss decrease below 1e-4, at most 100 iterations), the no-annealer
ablation on its grid and iterations, the float heads (L-BFGS; SGD 50 epochs of batch 64 at lr
0.05, momentum 0.9) and their roundings, all on the same loss (cross-entropy + 1e-4/2 ||W||^2).
Seed 0 also measures the energy gap of the route to a tabu search (8 reads plus the same warm
starts) over 5 iterations at K = 2, 4, 10, and prices one iteration on the QPU profiles.

    nice -n 10 python benchmarks/head_digits.py --seed 0     # one seed -> results/head_digits/seed0.json
    python benchmarks/head_digits.py --table                 # -> results/head_digits.{json,txt}
"""
from __future__ import annotations

import argparse
import json
import resource
import time
import warnings
from pathlib import Path

from head_fmnist import seed_table

OUT = Path(__file__).resolve().parent / "results"
PARTS = OUT / "head_digits"
MAX_ITER = 100
GRID_RULE, INIT = "iterate", "rounded"
GAP_BITS = (2, 4, 10)
BITS = (1, 2, 3, 4, 6, 10, 15, 20)  # the Fashion-MNIST study's


def gaps(train, y, solver, reference) -> list[dict]:
    from annealq.head.classifier import QUBOHeadClassifier

    rows = []
    for k in GAP_BITS:
        head = QUBOHeadClassifier(k, solver=solver, max_iter=5, tol=1e-12, grid_rule=GRID_RULE, init=INIT,
                                  reference=reference).fit(train, y)
        rows += [{"bits": k, "iteration": h["iteration"], "energy": h["energy"], "energy_gap": h["energy_gap"],
                  "relative_gap": h["energy_gap"] / abs(h["energy"]) if h["energy"] else 0.0} for h in head.history_]
    return rows


def run(seed: int):
    from annealq.data import load_dataset
    from annealq.head.features import extract_features
    from annealq.head.study import precision_study, price_iteration
    from annealq.samplers.config import SolverConfig

    data = load_dataset("digits", seed=seed)
    train, test = extract_features(data, filters=16, pool=4, seed=seed)
    solver = SolverConfig(route="batched", seed=seed)
    peaks = {}
    start = time.perf_counter()

    def tick(label):
        peaks[label] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{time.perf_counter() - start:7.0f} s  {label}", flush=True)

    rows = precision_study(train, data.y_train, test, data.y_test, bits=BITS, solver=solver, max_iter=MAX_ITER,
                           grid_rule=GRID_RULE, init=INIT, seed=seed, progress=tick)
    record = {"seed": seed, "bits": list(BITS), "train_size": len(train), "features": int(train.shape[1]),
              "max_iter": MAX_ITER, "grid_rule": GRID_RULE, "init": INIT, "peak_mb": peaks, "rows": rows}
    PARTS.mkdir(parents=True, exist_ok=True)
    path = PARTS / f"seed{seed}.json"
    path.write_text(json.dumps(record, indent=1, default=float))
    if seed == 0:
        record["pricing"] = [p for k in BITS for p in price_iteration(train.shape[1], k, data.num_classes)]
        record["gaps"] = gaps(train, data.y_train, solver, SolverConfig(route="tabu", num_reads=8, seed=0))
        path.write_text(json.dumps(record, indent=1, default=float))


def table():
    from annealq.head.report import format_pricing

    runs = [json.loads(p.read_text()) for p in sorted(PARTS.glob("seed*.json"))]
    text, summary = seed_table(runs, f"digits, d = {runs[0]['features']} random conv features, route batched, grid "
                                     f"{GRID_RULE}, init {INIT}, at most {MAX_ITER} iterations (loss tolerance 1e-4)")
    first = next((r for r in runs if r["seed"] == 0 and "gaps" in r), None)  # written after the study
    if first:
        text += ("\n\nenergy gap of the route to tabu (8 reads + warm starts), summed over classes per iteration, "
                 "seed 0\n" + "\n".join(f"K={g['bits']:>2} iter {g['iteration']}: energy {g['energy']:.6g}, gap "
                                        f"{g['energy_gap']:.3g} ({100 * g['relative_gap']:.3f}%)"
                                        for g in first["gaps"])
                 + "\n\none iteration on the QPU (estimated, 100 reads a call, no packing)\n"
                 + format_pricing(first["pricing"]))
    print(text)
    (OUT / "head_digits.json").write_text(json.dumps({"summary": summary, "runs": [f"head_digits/seed{r['seed']}.json" for r in runs],
                                                      "gaps": first and first["gaps"]}, indent=1, default=float))
    (OUT / "head_digits.txt").write_text(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table", action="store_true", help="merge the saved seeds into the table")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    table() if args.table else run(args.seed)


if __name__ == "__main__":
    main()
