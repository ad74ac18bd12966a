"""Prune the digits CNN with every method at 20/36/50% sparsity, with and without fine-tuning.

Writes benchmarks/results/prune_digits.{json,txt,png}.  Run:
    nice -n 10 python benchmarks/prune_digits.py [--finetune 3] [--budget 40] [--route sa]
"""
import argparse
from pathlib import Path

from annealq.prune.config import PruneConfig
from annealq.prune.report import benchmark
from annealq.prune.tasks import digits_task
from annealq.samplers import SolverConfig

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sparsities", default="0.2,0.36,0.5")
    parser.add_argument("--finetune", type=int, default=3)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--route", default="sa")
    args = parser.parse_args()
    base = PruneConfig(refine_budget=args.budget, solver=SolverConfig(route=args.route, num_reads=10))
    benchmark(digits_task(), "prune_digits", Path(__file__).parent / "results",
              sparsities=[float(s) for s in args.sparsities.split(",")], finetune=args.finetune, base=base)
