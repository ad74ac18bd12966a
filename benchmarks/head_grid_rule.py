"""Grid rule and first weights of the QUBO-trained head, chosen on training loss (digits).

Digits, frozen random conv features (16 filters, pool 4: d = 64), route ``batched``, at most 100
iterations stopping on a relative loss decrease below 1e-4.  Per K: the ``first-step`` grid
(3x the fitted range of the first bound step, the previous default) and the ``iterate`` grid
(the fitted range of the continuous bound iterate, the factor picked on the training loss of
the rounded iterate), each from ``zero`` and from the ``rounded`` iterate; the no-annealer
ablation of each (the same loop and grid, the better warm start instead of the annealer).

    nice -n 10 python benchmarks/head_grid_rule.py   # -> benchmarks/results/head_grid_rule.{json,txt}
"""
from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from annealq.data import load_dataset
from annealq.head.classifier import QUBOHeadClassifier
from annealq.head.features import extract_features
from annealq.samplers.config import SolverConfig

OUT = Path(__file__).resolve().parent / "results"
BITS = (1, 2, 3, 4, 6)
VARIANTS = (("first-step", "zero"), ("first-step", "rounded"), ("iterate", "zero"), ("iterate", "rounded"))
SOLVER = SolverConfig(route="batched", seed=0)


def main():
    warnings.simplefilter("ignore")
    data = load_dataset("digits")
    train, test = extract_features(data, filters=16, pool=4)
    rows = []
    for bits in BITS:
        for rule, init in VARIANTS:
            for annealer in (True, False):
                start = time.perf_counter()
                head = QUBOHeadClassifier(bits, solver=SOLVER, grid_rule=rule, init=init, annealer=annealer)
                head.fit(train, data.y_train)
                rows.append({"bits": bits, "grid_rule": rule, "init": init, "annealer": annealer,
                             "accuracy": head.score(test, data.y_test), "train_loss": head.history_[-1]["loss"],
                             "iterations": head.n_iter_, "stop": head.stop_, "range_factor": head.range_factor_,
                             "seconds": time.perf_counter() - start})
                print(rows[-1], flush=True)
    write(rows)


def write(rows: list[dict]) -> None:
    """The table of ``rows`` (every K measured) -> results/head_grid_rule.{json,txt}."""
    bits_done = sorted({r["bits"] for r in rows})
    lines = ["test accuracy % / training loss / iterations; qubo | no-annealer",
             "bits  " + "  ".join(f"{r + '/' + i:<44}" for r, i in VARIANTS)]
    for bits in bits_done:
        cells = []
        for rule, init in VARIANTS:
            q, n = ([r for r in rows if (r["bits"], r["grid_rule"], r["init"], r["annealer"]) == (bits, rule, init, a)][0]
                    for a in (True, False))
            cells.append(f"{100 * q['accuracy']:5.2f}/{q['train_loss']:.3f}/{q['iterations']:<3} | "
                         f"{100 * n['accuracy']:5.2f}/{n['train_loss']:.3f}/{n['iterations']:<3}")
        lines.append(f"{bits:>4}  " + "  ".join(f"{c:<44}" for c in cells))
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "head_grid_rule.json").write_text(json.dumps(rows, indent=1))
    (OUT / "head_grid_rule.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
