"""Curvature back-off of the QUBO-trained head, by measurement: Böhning's bound alone against
the bound then 1/2, 1/4, 1/8 of it when the bound's step stalls (kept only if the true loss drops).

Digits, frozen random conv features (16 filters, pool 4: d = 64), range factor 2 (the default
when this ran), route ``batched``, at most 20 iterations; K = 1 .. 4 (above, the bound alone
rarely stalls within 20 iterations).

    nice -n 10 python benchmarks/head_backoff.py   # -> benchmarks/results/head_backoff.txt
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

from annealq.data import load_dataset
from annealq.head.classifier import QUBOHeadClassifier
from annealq.head.features import extract_features
from annealq.samplers.config import SolverConfig

OUT = Path(__file__).resolve().parent / "results"


def main():
    warnings.simplefilter("ignore")
    data = load_dataset("digits")
    train, test = extract_features(data, filters=16, pool=4)
    lines = []
    for bits in (1, 2, 3, 4):
        for backoff in [(), (0.5, 0.25, 0.125)]:
            start = time.perf_counter()
            head = QUBOHeadClassifier(bits, solver=SolverConfig(route="batched", seed=0), max_iter=20, backoff=backoff,
                                      range_factor=2.0)
            head.fit(train, data.y_train)
            lines.append(f"{bits} {backoff} {time.perf_counter() - start:.0f}s it {head.n_iter_} "
                         f"loss {head.history_[-1]['loss']:.4f} acc {100 * head.score(test, data.y_test):.2f} "
                         f"{[h['curvature'] for h in head.history_]}")
            print(lines[-1], flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "head_backoff.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
