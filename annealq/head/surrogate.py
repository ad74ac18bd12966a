"""The softmax loss of a linear head, its gradient, Böhning's curvature bound and the per-class QUBOs.

For features ``Phi~ = [Phi, 1]`` ``(N, d + 1)``, one-hot labels ``Y`` and head weights ``W``
``(C, d + 1)`` (a row per class, the bias last), the loss is the mean cross-entropy plus
an optional ridge term on the weights (not the biases)::

    L(W) = -1/N sum_n log softmax(Phi~ W^T)_{n, y_n} + l2/2 ||W[:, :d]||^2
    g_c  = Phi~^T (P_c - Y_c) / N + l2 w_c        (P: softmax probabilities at W)

The Hessian is bounded by ``1/2 (I - 11^T/C) kron Phi~^T Phi~ / N`` (Böhning), hence by the
class-separable ``I kron H`` with ``H = Phi~^T Phi~ / (2 N) + l2 diag(1, .., 1, 0)``, so

    L(W') <= L(W) + sum_c [ g_c^T (w'_c - w_c) + 1/2 (w'_c - w_c)^T H (w'_c - w_c) ]

with equality at ``W' = W``: C independent problems.  Each class's QUBO energy is twice its
term, ``E_c(w') = (w' - w_c)^T H (w' - w_c) + 2 g_c^T (w' - w_c)``, i.e. a
:func:`~annealq.formulations.fixed_point_problem` row with ``gram = H``,
``target_field = H w_c - g_c`` and ``target_energy = w_c^T H w_c - 2 g_c^T w_c`` (no inverse
needed), so ``E_c(w_c) = 0`` and ``surrogate = L(W) + sum_c E_c / 2``.

Example (the bound holds on a random step):
    >>> rng = np.random.default_rng(0)
    >>> phi, y = augment(rng.normal(size=(50, 3))), rng.integers(0, 3, 50)
    >>> W, step = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    >>> H, g = curvature(phi), gradient(phi, y, W)
    >>> bound = loss(phi, y, W) + np.sum(g * step) + 0.5 * np.einsum("cj,jk,ck->", step, H, step)
    >>> bool(loss(phi, y, W + step) <= bound)
    True
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import log_softmax

from annealq.formulations import LayerProblem, fixed_point_problem


def augment(features) -> np.ndarray:
    """``[Phi, 1]``: the features with a bias column."""
    x = np.asarray(features, dtype=np.float64)
    return np.hstack([x, np.ones((x.shape[0], 1))])


def _ridge(weights: np.ndarray, l2: float) -> np.ndarray:
    """``l2 * W`` with the bias column left out."""
    out = l2 * weights
    out[..., -1] = 0.0
    return out


def log_probabilities(phi, weights) -> np.ndarray:
    """``log softmax(Phi~ W^T)`` ``(N, C)``."""
    return log_softmax(phi @ np.asarray(weights).T, axis=1)


def loss(phi, labels, weights, l2: float = 0.0, logits=None) -> float:
    """``L(W)``: mean cross-entropy (plus the ridge term); ``logits``: ``Phi~ W^T`` when already at hand."""
    w = np.asarray(weights)
    logp = log_softmax(phi @ w.T if logits is None else logits, axis=1)
    return float(-logp[np.arange(len(labels)), labels].mean() + 0.5 * l2 * np.sum(w[:, :-1] ** 2))


def gradient(phi, labels, weights, l2: float = 0.0) -> np.ndarray:
    """``(C, d + 1)`` gradient of :func:`loss` in ``W``."""
    w = np.asarray(weights, dtype=np.float64)
    residual = np.exp(log_probabilities(phi, w))
    residual[np.arange(len(labels)), labels] -= 1.0
    return residual.T @ phi / len(labels) + _ridge(w, l2)


def curvature(phi, l2: float = 0.0) -> np.ndarray:
    """``H = Phi~^T Phi~ / (2 N) + l2 diag(1, .., 1, 0)``: every class's share of the Hessian bound."""
    h = phi.T @ phi / (2.0 * len(phi))
    h[np.diag_indices(len(h) - 1)] += l2
    return h


def class_problems(weights, grad, H, *, bits: int, step, offset, ids=None) -> LayerProblem:
    """The C per-class QUBOs of one majorize-minimize step around ``weights`` (module docstring).

    ``step``, ``offset``: the K-bit grid of each class (``(C,)``); a row's energy is twice
    the decrease its class's weights bring to the surrogate (0 at ``weights``); ``ids``: the
    rows' ids (default ``0 .. C-1``).
    """
    w = np.asarray(weights, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    base = fixed_point_problem(w, bits=bits, gram=H, step=step, offset=offset)
    field = w @ H - g
    return LayerProblem(base.gram, base.target, base.base, base.coeffs, base.variable_weight,
                        target_field=field, target_energy=np.einsum("cj,cj->c", w, w @ H - 2.0 * g),
                        meta={**base.meta, "surrogate": "bohning"}, neuron_ids=ids)


def bound_iterate(phi, labels, classes: int, H, l2: float = 0.0, *, steps: int = 50, tol: float = 1e-4) -> np.ndarray:
    """The continuous majorize-minimize iterate: from ``W = 0``, ``W <- W - g H^-1`` (each step minimises the
    bound) for at most ``steps`` steps, or until the loss drops by less than ``tol`` (relative).

    >>> rng = np.random.default_rng(0)
    >>> phi, y = augment(rng.normal(size=(50, 3))), rng.integers(0, 3, 50)
    >>> W = bound_iterate(phi, y, 3, curvature(phi, 0.01), 0.01, steps=30)
    >>> bool(loss(phi, y, W, 0.01) < loss(phi, y, np.zeros((3, 4)), 0.01))
    True
    """
    factor = cho_factor(H)
    w = np.zeros((classes, phi.shape[1]))
    current = loss(phi, labels, w, l2)
    for _ in range(steps):
        w = w - cho_solve(factor, gradient(phi, labels, w, l2).T).T
        new = loss(phi, labels, w, l2)
        if current - new <= tol * new:
            break
        current = new
    return w
