"""Prune the DnCNN-like denoiser with every method at 20/36/50% sparsity (sigma 25, no fine-tuning),
then qubo / taylor-greedy / l1-qubo at 36% for sigma 15 and 50, and qubo at 36% on other routes and
exact-k paths (tabu, a mock QPU, the k-hot penalty BQM, the CQM sent as its penalty BQM).

Writes benchmarks/results/prune_denoise.{json,txt,png}.  Run:
    nice -n 10 python benchmarks/prune_denoise.py [--budget 40] [--route sa]
"""
import argparse
from pathlib import Path

from dataclasses import replace

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
    task = denoise_task(25)
    routes = []
    for route, exact_k in (("tabu", "capacity"), ("mock-qpu:Advantage_system4.1", "capacity"), ("sa", "penalty"),
                           ("sa", "cqm")):
        config = replace(base, exact_k=exact_k, solver=replace(base.solver, route=route))
        row = compare(task, [0.36], ["qubo"], config)[0]
        routes.append({**row, "route": route, "exact_k": exact_k})
        print(route, exact_k, round(row["value"], 4), f"{row['seconds']:.1f}s", flush=True)
    benchmark(task, "prune_denoise", Path(__file__).parent / "results",
              sparsities=[float(s) for s in args.sparsities.split(",")], finetune=args.finetune, base=base,
              extra={"other_sigmas": other, "routes": routes})
