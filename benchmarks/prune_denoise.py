"""Prune a denoiser: the rows of ``study.BENCHMARK_VARIANTS`` (criteria under selectors, random, the
second-order QUBO) at 20/36/50% sparsity, sigma 25, 3 seeds (the model trained per seed), without
fine-tuning and, for ``study.FINETUNED`` and the refined row (``fisher-qubo-refined``, swap, 200
evaluations, at 36%), fine-tuned ``--finetune`` (20) epochs from the same masks; ``--budgets
40,200,1000`` adds the refinement sweep.  ``--architecture dncnn``: the DnCNN-like
``nn.Sequential``; ``halfunet``: the Half-UNet-like model with BatchNorm, in-place ReLU and additive
skips (tied channels pruned as groups).  ``--recalibrate-bn``: every method recomputes the BatchNorm
statistics under its masks (``PruneConfig.recalibrate_bn``), saved with the suffix ``_recalibrated``.

Writes benchmarks/results/prune_denoise.{json,txt,png} (dncnn) or prune_denoise_halfunet.{json,txt,png}.  Run:
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/prune_denoise.py [--architecture halfunet] [--seeds 0,1,2]
"""
import argparse
from pathlib import Path

import torch

from annealq.prune.config import PruneConfig
from annealq.prune.study import benchmark, refined_arg
from annealq.prune.tasks import denoise_task
from annealq.samplers import SolverConfig


def ints(text):
    return tuple(int(t) for t in text.split(",") if t.strip())


if __name__ == "__main__":
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--architecture", choices=["dncnn", "halfunet"], default="dncnn")
    parser.add_argument("--sigma", type=int, default=25)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--sparsities", default="0.2,0.36,0.5")
    parser.add_argument("--budgets", default="", help="refinement budget sweep, e.g. 40,200,1000 ('' for none)")
    parser.add_argument("--finetune", type=int, default=20, help="fine-tuning epochs of the fine-tuned rows (0: none)")
    parser.add_argument("--refined", default="swap,200", help="the refined row: refinement,budget ('' for none)")
    parser.add_argument("--route", default="sa")
    parser.add_argument("--recalibrate-bn", action="store_true")
    args = parser.parse_args()
    base = PruneConfig(quadratic="redundancy", recalibrate_bn=args.recalibrate_bn,
                       solver=SolverConfig(route=args.route, num_reads=10))
    name = "prune_denoise" + ("" if args.architecture == "dncnn" else "_halfunet")
    name += "_recalibrated" if args.recalibrate_bn else ""
    benchmark(name, lambda seed: denoise_task(args.sigma, seed=seed, architecture=args.architecture),
              Path(__file__).parent / "results", seeds=ints(args.seeds),
              sparsities=tuple(float(s) for s in args.sparsities.split(",")), base=base, budgets=ints(args.budgets),
              finetune_epochs=args.finetune, refined=refined_arg(args.refined))
