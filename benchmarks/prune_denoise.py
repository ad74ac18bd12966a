"""Prune the DnCNN-like denoiser with every method at 20/36/50% sparsity (sigma 25, no fine-tuning),
then qubo / taylor-greedy / l1-qubo at 36% for sigma 15 and 50.

Writes benchmarks/results/prune_denoise.{json,txt,png}.  Run:
    nice -n 10 python benchmarks/prune_denoise.py [--budget 40] [--route sa]
"""
import argparse
from pathlib import Path

from annealq.prune.config import PruneConfig
from annealq.prune.report import benchmark, compare, format_table
from annealq.prune.tasks import denoise_task
from annealq.samplers import SolverConfig

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sparsities", default="0.2,0.36,0.5")
    parser.add_argument("--finetune", type=int, default=0)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--route", default="sa")
    args = parser.parse_args()
    base = PruneConfig(refine_budget=args.budget, solver=SolverConfig(route=args.route, num_reads=10))
    other = []
    for sigma in (15, 50):
        task = denoise_task(sigma)
        rows = compare(task, [0.36], ["qubo", "taylor-greedy", "l1-qubo"], base)
        print(format_table(rows, task.test(task.model)))
        other += [{**r, "dense": task.test(task.model)} for r in rows]
    benchmark(denoise_task(25), "prune_denoise", Path(__file__).parent / "results",
              sparsities=[float(s) for s in args.sparsities.split(",")], finetune=args.finetune, base=base,
              extra={"other_sigmas": other})
