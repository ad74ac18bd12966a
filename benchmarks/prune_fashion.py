"""Prune a Fashion-MNIST CNN (BatchNorm, in-place ReLU): the rows of ``study.BENCHMARK_VARIANTS`` at
20/36/50% sparsity, 3 seeds, without fine-tuning and, for ``study.FINETUNED`` and the refined row
(``fisher-qubo-refined``, swap, 40 evaluations, at 36%), fine-tuned ``--finetune`` (10) epochs from the
same masks (the first 2,000 test images; the CPU budget).  Real data: install
with ``apt-get install dataset-fashion-mnist`` (gzipped IDX files; ``--data-root``).

Writes benchmarks/results/prune_fashion.{json,txt,png}.  Run:
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/prune_fashion.py [--data-root /usr/share/datasets/fashion-mnist]
"""
import argparse
from pathlib import Path

import torch

from annealq.prune.config import PruneConfig
from annealq.prune.study import benchmark, refined_arg
from annealq.prune.tasks import fashion_task
from annealq.samplers import SolverConfig


def ints(text):
    return tuple(int(t) for t in text.split(",") if t.strip())


if __name__ == "__main__":
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--sparsities", default="0.2,0.36,0.5")
    parser.add_argument("--budgets", default="", help="refinement budget sweep, e.g. 40,200,1000 ('' for none)")
    parser.add_argument("--finetune", type=int, default=10, help="fine-tuning epochs of the fine-tuned rows (0: none)")
    parser.add_argument("--refined", default="swap,40", help="the refined row: refinement,budget ('' for none)")
    parser.add_argument("--route", default="sa")
    args = parser.parse_args()
    base = PruneConfig(quadratic="redundancy", solver=SolverConfig(route=args.route, num_reads=10))
    benchmark("prune_fashion", lambda seed: fashion_task(args.data_root, seed=seed), Path(__file__).parent / "results",
              seeds=ints(args.seeds), sparsities=tuple(float(s) for s in args.sparsities.split(",")), base=base,
              budgets=ints(args.budgets), finetune_epochs=args.finetune,
              refined=refined_arg(args.refined))
