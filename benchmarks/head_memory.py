"""Peak memory and time of one QUBO-head iteration on Fashion-MNIST (d = 784) at K bits.

One majorize-minimize iteration (every curvature back-off trial it takes) of the K-bit head on
the seed-0 features of benchmarks/head_fmnist.py (install the data with ``apt-get install
dataset-fashion-mnist``), route ``batched``, no journal: the grouped QUBO batch, no dense BQM
per class.  The line gives the fit's seconds (the grid from the continuous bound iterate
included), the iteration's own, and the load average while it ran.

    nice -n 10 python benchmarks/head_memory.py --bits 20
    -> benchmarks/results/head_memory.txt (one line appended per run)
"""
from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, default=20)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from head_fmnist import features  # the sibling benchmark's cached features
    from annealq.head.classifier import QUBOHeadClassifier
    from annealq.samplers.config import SolverConfig

    train, y, _, _ = features(0, None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    head = QUBOHeadClassifier(args.bits, solver=SolverConfig(route="batched", seed=0), max_iter=1, grid_rule="iterate",
                              init="rounded").fit(train, y)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    h = head.history_[0]
    line = (f"K={args.bits:>2} m={785 * args.bits:>5}: peak resident {peak:7.0f} MB (features loaded: {before:.0f} MB), "
            f"fit {seconds:4.0f} s, iteration {h['seconds']:4.0f} s (curvature {h['curvature']}, accepted "
            f"{h['accepted']}), loss {h['loss']:.4f}, load average {os.getloadavg()[0]:.1f}")
    print(line)
    OUT.mkdir(exist_ok=True)
    with open(OUT / "head_memory.txt", "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
