"""Prune the digits CNN: the rows of ``study.BENCHMARK_VARIANTS`` (criteria under selectors, random, the
second-order QUBO) at 20/36/50% sparsity, 3 seeds (the model trained per seed), without fine-tuning and,
for ``study.FINETUNED`` and the refined row (``fisher-qubo-refined``, swap, 200 evaluations, at 36%),
fine-tuned ``--finetune`` (10) epochs from the same masks; ``--budgets 40,200,1000`` adds the
refinement sweep.

Writes benchmarks/results/prune_digits.{json,txt,png}.  Run:
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/prune_digits.py [--seeds 0,1,2] [--budgets 40,200,1000]
"""
import argparse
from pathlib import Path

import torch

from annealq.prune.config import PruneConfig
from annealq.prune.study import benchmark, refined_arg
from annealq.prune.tasks import digits_task
from annealq.samplers import SolverConfig


def ints(text):
    return tuple(int(t) for t in text.split(",") if t.strip())


if __name__ == "__main__":
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--sparsities", default="0.2,0.36,0.5")
    parser.add_argument("--budgets", default="", help="refinement budget sweep, e.g. 40,200,1000 ('' for none)")
    parser.add_argument("--finetune", type=int, default=10, help="fine-tuning epochs of the fine-tuned rows (0: none)")
    parser.add_argument("--refined", default="swap,200", help="the refined row: refinement,budget ('' for none)")
    parser.add_argument("--route", default="sa")
    args = parser.parse_args()
    base = PruneConfig(quadratic="redundancy", solver=SolverConfig(route=args.route, num_reads=10))
    benchmark("prune_digits", lambda seed: digits_task(seed=seed), Path(__file__).parent / "results",
              seeds=ints(args.seeds), sparsities=tuple(float(s) for s in args.sparsities.split(",")), base=base,
              budgets=ints(args.budgets), finetune_epochs=args.finetune,
              refined=refined_arg(args.refined))
