"""Peak memory and time of one QUBO-head iteration on Fashion-MNIST (d = 784) at K bits, as solve() is and without per-row BQMs.

One majorize-minimize iteration (every curvature back-off trial it takes) of the K-bit head on
the seed-0 features of benchmarks/head_fmnist.py (install the data with ``apt-get install
dataset-fashion-mnist``), route ``batched``, no journal.  ``--mode as-is``: ``annealq.solve``
builds each class's dense BQM for its answer (``((d + 1) K)^2 / 2`` couplings, released once
recorded); ``--mode no-row-bqm``: the same run with ``solve`` skipping that BQM for a polished
whole-batch sampler (the change proposed for annealq/samplers/solve.py; here a stand-in for its
answer builder), which is what the head needs at K = 15-20.

    nice -n 10 python benchmarks/head_memory.py --bits 20 --mode no-row-bqm
    -> benchmarks/results/head_memory.txt (one line appended per run)
"""
from __future__ import annotations

import argparse
import importlib
import resource
import time
import warnings
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "results"
ORIGINAL = None  # solve's own answer builder, for rows the stand-in leaves to it


def _answer_without_bqm(batch, r, sampleset, parameters, warm, seconds, polished=False, bqm=None):
    solve_module = importlib.import_module("annealq.samplers.solve")
    if not polished:
        return ORIGINAL(batch, r, sampleset, parameters, warm, seconds, polished, bqm)
    best = int(np.argmin(sampleset.record.energy))
    state = solve_module.ordered_states(sampleset, range(batch.num_variables))[best].astype(np.int8)
    return solve_module.Answer(int(batch.ids[r]), sampleset, state, float(sampleset.record.energy[best]), seconds,
                               parameters, None, info={"polished": False})


def main():
    global ORIGINAL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, default=20)
    parser.add_argument("--mode", choices=("as-is", "no-row-bqm"), default="no-row-bqm")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from head_fmnist import features  # the sibling benchmark's cached features
    from annealq.head.classifier import QUBOHeadClassifier
    from annealq.samplers.config import SolverConfig

    solve_module = importlib.import_module("annealq.samplers.solve")

    if args.mode == "no-row-bqm":
        ORIGINAL = solve_module._qubo_answer
        solve_module._qubo_answer = _answer_without_bqm
    train, y, _, _ = features(0, None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    head = QUBOHeadClassifier(args.bits, solver=SolverConfig(route="batched", seed=0), max_iter=1, grid_rule="iterate",
                              init="rounded").fit(train, y)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    h = head.history_[0]
    line = (f"K={args.bits:>2} m={785 * args.bits:>5} mode {args.mode:<10}: peak resident {peak:7.0f} MB "
            f"(features loaded: {before:.0f} MB), {seconds:6.0f} s for one iteration (curvature {h['curvature']}, "
            f"accepted {h['accepted']}), loss {h['loss']:.4f}")
    print(line)
    OUT.mkdir(exist_ok=True)
    with open(OUT / "head_memory.txt", "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
