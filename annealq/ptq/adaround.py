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
LAMBDA = 3.0
LR = 1e-2
WARMUP = 0.2
BETA = (20.0, 2.0)


def adaround(problem: LayerProblem, *, iterations: int = ITERATIONS, lam: float = LAMBDA, lr: float = LR) -> np.ndarray:
    """Weights ``(n, f1)`` of ``problem`` chosen by AdaRound (module docstring)."""
    if problem.num_variables != problem.fan_in:
        raise ValueError(f"adaround chooses between a weight's floor and ceil, the problem has "
                         f"{problem.meta.get('levels', '?')} levels per weight: use levels=2")
    step = problem.coeffs
    moving = step != 0
    frac = np.clip(np.divide(problem.target - problem.base, step, out=np.zeros_like(step), where=moving), 0.01, 0.99)
    rtn = problem.base + step * np.round(frac)
    norm = np.maximum(problem.errors(rtn), 1e-12)  # each neuron's round-to-nearest error
    # the gradient written out, in float32 (one product with the Gram matrix a step): autograd in
    # float64 took three times as long on digits
    as32 = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32))  # noqa: E731
    gram, field, base, step_t = (as32(a) for a in (problem.gram, problem.target_field, problem.base, step))
    scale = as32(step / norm[:, None])  # d(error_i / norm_i) / dh = 2 (w G - field)_i * scale_i
    v = torch.log(as32((frac - GAMMA) / (ZETA - frac)))  # h(v) = frac
    v.grad = torch.zeros_like(v)
    opt = torch.optim.Adam([v], lr=lr)
    warm, per = int(WARMUP * iterations), lam / problem.fan_in
    for t in range(iterations):
        s = torch.sigmoid(v)
        raw = s * (ZETA - GAMMA) + GAMMA
        h = raw.clamp(0.0, 1.0)
        w = base + step_t * h
        grad_h = 2.0 * (w @ gram - field) * scale
        if t >= warm:
            beta = BETA[1] + (BETA[0] - BETA[1]) * (1 - (t - warm) / max(iterations - warm, 1))
            a = 2 * h - 1
            grad_h -= per * 2 * beta * a.abs().pow(beta - 1) * a.sign()
        v.grad.copy_(grad_h * ((raw > 0) & (raw < 1)) * s * (1 - s) * (ZETA - GAMMA))
        opt.step()
    bits = (torch.sigmoid(v) * (ZETA - GAMMA) + GAMMA >= 0.5).numpy()
    return problem.base + step * bits
