"""AdaRound (Nagel et al., ICML 2020): learned rounding by a continuous relaxation, the classical
answer to the same problem the rounding QUBO solves exactly.

Each variable of the layer's rounding problem (``levels=2``: a weight's floor or ceil) is
relaxed to ``h(V) = clip(sigmoid(V) (ZETA - GAMMA) + GAMMA, 0, 1)``, started at the weight's
fractional position; Adam minimises the layer's reconstruction error (the QUBO's objective,
exact from the Gram matrix, each neuron's error divided by its round-to-nearest error) plus
``LAMBDA * mean(1 - |2h - 1|^beta)`` per neuron, ``beta`` annealed from 20 to 2 after a warm-up
of ``WARMUP`` of the iterations without the regulariser; a variable ends at 1 where ``h >= 0.5``.
Settings are the paper's except full-batch steps (the Gram matrix holds the whole calibration
set) and the normalisation; ``LAMBDA`` and ``ITERATIONS`` measured on digits
(``benchmarks/results/adaround_settings.txt``).

Example:
    >>> import numpy as np
    >>> from annealq.formulations import Grid, rounding_problem
    >>> rng = np.random.default_rng(0)
    >>> W, X = rng.normal(size=(3, 6)), rng.normal(size=(64, 6))
    >>> problem = rounding_problem(W, None, X, weight_grid=Grid.fit(W, 2))
    >>> q = adaround(problem)
    >>> grid = Grid.fit(W, 2)
    >>> bool(np.allclose(grid.values(grid.codes(q)), q)), bool(problem.errors(q).sum() <= problem.errors(grid.nearest(W)).sum())
    (True, True)
"""
from __future__ import annotations

import numpy as np
import torch

from annealq.formulations.problem import LayerProblem

ZETA, GAMMA = 1.1, -0.1
ITERATIONS = 2000
LAMBDA = 1.0
LR = 1e-2
WARMUP = 0.2
BETA = (20.0, 2.0)


def _rectified_sigmoid(v: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.sigmoid(v) * (ZETA - GAMMA) + GAMMA, 0.0, 1.0)


def adaround(problem: LayerProblem, *, iterations: int = ITERATIONS, lam: float = LAMBDA, lr: float = LR) -> np.ndarray:
    """Weights ``(n, f1)`` of ``problem`` chosen by AdaRound (module docstring)."""
    if problem.num_variables != problem.fan_in:
        raise ValueError(f"adaround chooses between a weight's floor and ceil, the problem has "
                         f"{problem.meta.get('levels', '?')} levels per weight: use levels=2")
    dtype = torch.float64
    gram = torch.as_tensor(problem.gram, dtype=dtype)
    field = torch.as_tensor(problem.target_field, dtype=dtype)
    energy = torch.as_tensor(problem.target_energy, dtype=dtype)
    base = torch.as_tensor(problem.base, dtype=dtype)
    step = torch.as_tensor(problem.coeffs, dtype=dtype)
    moving = step != 0

    def errors(w):
        return energy - 2.0 * (w * field).sum(1) + ((w @ gram) * w).sum(1)

    frac = torch.where(moving, (torch.as_tensor(problem.target, dtype=dtype) - base) / torch.where(moving, step, 1.0),
                       torch.zeros_like(base)).clamp(0.01, 0.99)
    v = torch.log((frac - GAMMA) / (ZETA - frac)).requires_grad_()  # h(v) = frac
    with torch.no_grad():
        norm = errors(base + step * torch.round(frac)).clamp_min(1e-12)  # round-to-nearest
    opt = torch.optim.Adam([v], lr=lr)
    warm = int(WARMUP * iterations)
    for t in range(iterations):
        opt.zero_grad()
        h = _rectified_sigmoid(v)
        loss = (errors(base + step * h) / norm).sum()
        if t >= warm:
            beta = BETA[1] + (BETA[0] - BETA[1]) * (1 - (t - warm) / max(iterations - warm, 1))
            loss = loss + lam * (1 - (2 * h - 1).abs().pow(beta)).mean(1).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        bits = (_rectified_sigmoid(v) >= 0.5).to(dtype)
    return (base + step * bits).numpy()
