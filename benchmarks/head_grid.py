"""Grid choice of the QUBO-trained head, by measurement: layout and half-range factor.

Digits, frozen random conv features (16 filters, pool 4: d = 64), route ``steepest`` warm-started
(the same answers as every route measured at these sizes), 15 iterations; test accuracy and
final training loss per bit-width, layout (``signed``, ``midrise``) and range factor (the grid's
half-range per class over the range whose grid best fits, least squares, the first surrogate
step's continuous optimum).  A first run with the half-range a multiple of the largest |weight|
instead (0.5x, 1x, 2x, 4x) found the best multiple moving with K: 0.5x at 1 bit (63.6% test
accuracy, 1x: 32.0%), 1x at 2 bits (92.0%, 2x: 83.8%), hence the least-squares fit.

    nice -n 10 python benchmarks/head_grid.py   # -> benchmarks/results/head_grid.{json,txt}

That run had no curvature back-off (``backoff=()``, see benchmarks/head_backoff.py);
``--backoff`` measures again with the default back-off, ``signed`` layout only
(-> benchmarks/results/head_grid_backoff.{json,txt}); ``--backoff --wider`` tries the larger
factors 4 and 6 (-> head_grid_backoff_wider.{json,txt}).
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from annealq.data import load_dataset
from annealq.head.classifier import QUBOHeadClassifier
from annealq.head.features import extract_features

OUT = Path(__file__).resolve().parent / "results"
BITS = (1, 2, 3, 4, 6, 10)
FACTORS = (1.0, 2.0, 3.0)
WIDER = (4.0, 6.0)  # --wider: the back-off run's larger factors
LAYOUTS = ("signed", "midrise")


def main(backoff: bool = False, wider: bool = False):
    warnings.simplefilter("ignore")
    data = load_dataset("digits")
    train, test = extract_features(data, filters=16, pool=4)
    layouts = ("signed",) if backoff else LAYOUTS
    extra = {} if backoff else {"backoff": ()}
    rows = []
    for bits in BITS:
        for layout in layouts:
            for factor in WIDER if wider else FACTORS:
                head = QUBOHeadClassifier(bits, solver="steepest", max_iter=15, layout=layout, range_factor=factor,
                                          **extra)
                head.fit(train, data.y_train)
                rows.append({"bits": bits, "layout": layout, "range_factor": factor,
                             "accuracy": head.score(test, data.y_test), "train_loss": head.history_[-1]["loss"],
                             "iterations": head.n_iter_})
                print(rows[-1], flush=True)
    lines = ["bits  layout   " + "  ".join(f"x{f:<4g} acc/loss" for f in (WIDER if wider else FACTORS))]
    for bits in BITS:
        for layout in layouts:
            cells = [f"{100 * r['accuracy']:5.2f}/{r['train_loss']:.3f}" for r in rows
                     if r["bits"] == bits and r["layout"] == layout]
            lines.append(f"{bits:>4}  {layout:<8} " + "  ".join(f"{c:<14}" for c in cells))
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(exist_ok=True)
    name = ("head_grid_backoff" if backoff else "head_grid") + ("_wider" if wider else "")
    (OUT / f"{name}.json").write_text(json.dumps(rows, indent=1))
    (OUT / f"{name}.txt").write_text(text + "\n")


if __name__ == "__main__":
    main(backoff="--backoff" in sys.argv[1:], wider="--wider" in sys.argv[1:])
