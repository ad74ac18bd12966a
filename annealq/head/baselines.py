"""Baseline heads on the same features and the same loss: float L-BFGS and SGD, rounded or PTQ'd onto a K-bit grid.

- ``lbfgs``: scikit-learn's multinomial ``LogisticRegression`` (L-BFGS) with ``C = 1 / (l2 N)``,
  the float optimum of :func:`annealq.head.surrogate.loss` (ridge on weights, not biases).
- ``sgd``: a float softmax head (``torch.nn.Linear``) trained by minibatch SGD with momentum
  on the same loss (:class:`SGDSettings`: epochs, batch, learning rate).
- ``*-rtn``: a float head rounded to nearest on the QUBO head's K-bit grid.
- ``lbfgs-ptq``: annealq's rounding QUBO of the float head on that grid: per class the
  fixed-point QUBO whose energy is the logit reconstruction error
  ``||Phi~ (w_float - w_q)||^2`` (:func:`~annealq.formulations.fixed_point_problem` with
  ``gram = Phi~^T Phi~``), solved by :func:`annealq.solve` from the RTN weights.

Weights are ``(C, d + 1)`` arrays (a row per class, the bias last).

Example:
    >>> from sklearn.datasets import make_blobs
    >>> from annealq.formulations.grids import Grid
    >>> X, y = make_blobs(80, n_features=3, centers=3, random_state=0)
    >>> W, _ = lbfgs_head(X, y)
    >>> grid = Grid.from_range(2, np.abs(W).max(axis=1))
    >>> rtn, ptq = grid.nearest(W), ptq_head(W, X, grid, solver="exact")
    >>> phi = augment(X)
    >>> bool(np.sum((phi @ (W - ptq).T) ** 2) <= np.sum((phi @ (W - rtn).T) ** 2))
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from annealq.formulations import fixed_point_problem
from annealq.formulations.grids import Grid
from annealq.head.classifier import release_model
from annealq.head.surrogate import augment
from annealq.samplers.config import Config, SolverConfig, check_count, check_positive
from annealq.samplers.solve import solve


def lbfgs_head(X, y, l2: float = 1e-4, max_iter: int = 5000, tol: float = 1e-4) -> tuple[np.ndarray, int]:
    """The float optimum by L-BFGS (scikit-learn, stopping when the largest gradient entry is below ``tol``):
    ``(C, d + 1)`` weights and the iterations made.  ``tol = 1e-4`` takes 449 iterations, 5 minutes on
    Fashion-MNIST (60,000 x 784) against more than 12 at 1e-8 (benchmarks/results/head_fmnist.txt)."""
    X = np.asarray(X, dtype=np.float64)
    model = LogisticRegression(C=1.0 / (l2 * len(X)) if l2 > 0 else np.inf, max_iter=max_iter, tol=tol)
    model.fit(X, y)
    return np.hstack([model.coef_, model.intercept_[:, None]]), int(np.max(model.n_iter_))


@dataclass(frozen=True)
class SGDSettings(Config):
    """The SGD baseline: ``epochs`` passes of minibatches of ``batch``, learning rate ``lr``,
    momentum 0.9, ridge ``l2`` as weight decay on the weights (not the biases)."""

    epochs: int = 50
    batch: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    l2: float = 1e-4

    def __post_init__(self):
        check_count("epochs", self.epochs)
        check_count("batch", self.batch)
        check_positive("lr", self.lr)


def sgd_head(X, y, settings: SGDSettings = SGDSettings(), seed: int = 0) -> np.ndarray:
    """A float softmax head trained by minibatch SGD (torch), as ``(C, d + 1)`` weights."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    classes, labels = np.unique(y, return_inverse=True)
    t = torch.as_tensor(labels)
    head = torch.nn.Linear(x.shape[1], len(classes))
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
    optimizer = torch.optim.SGD([{"params": [head.weight], "weight_decay": settings.l2},
                                 {"params": [head.bias], "weight_decay": 0.0}],
                                lr=settings.lr, momentum=settings.momentum)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # minibatch products this small run 5x faster on one thread (digits, 2 busy cores)
    try:
        for _ in range(settings.epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), settings.batch):
                batch = order[start:start + settings.batch]
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(head(x[batch]), t[batch]).backward()
                optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return torch.cat([head.weight, head.bias[:, None]], dim=1).detach().double().numpy()


def ptq_head(weights, X, grid: Grid, solver="sa", *, config: SolverConfig | None = None) -> np.ndarray:
    """Float head ``weights`` ``(C, d + 1)`` onto ``grid`` by the fixed-point rounding QUBO (module docstring)."""
    phi = augment(X)
    w = np.asarray(weights, dtype=np.float64)
    problem = fixed_point_problem(w, bits=grid.bits, gram=phi.T @ phi, step=grid.step, offset=grid.offset)
    config = config or SolverConfig(route=solver if isinstance(solver, str) else "sa")
    warm = problem.encode(grid.nearest(w))[:, None, :]
    answers = solve(problem.grouped_qubo, solver, config=config, warm_starts=warm, on_answer=release_model)
    return problem.decode(np.stack([a.state for a in answers]))
