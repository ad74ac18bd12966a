"""K-bit fixed-point weights: one QUBO per class (or neuron) over ``(f + 1) K`` variables.

Each weight is encoded in fixed point, ``w = offset + step * sum_k 2^k z_k`` with binary
``z_0 .. z_{K-1}`` (least significant first), as in iterated-QUBO training of a
classifier head: the quadratic surrogate of the loss around the current weights,
``(w - t_c)^T H (w - t_c)``, shares its curvature ``H`` (a scaled feature Gram matrix,
e.g. Böhning's bound ``Phi~^T Phi~ / (2 N)``) across classes, so the C-class problem
splits exactly into C QUBOs, each a row of one :class:`LayerProblem` with
``variable_weight = repeat(arange(f1), K)`` and ``coeffs = step * 2^k``.  Unlike the
rounding QUBO (one variable per weight whatever the bit-width), the number of variables,
and so the embedding cost, grows with K.

By default the grid is symmetric about zero (midrise: ``offset = -step (2^K - 1) / 2``,
so K = 1 gives ``{-step/2, +step/2}``) and ``step`` makes it span ``±max|t_c|`` per class.

Example (the QUBO's energy is the quadratic error, and its minimum is the best grid point):
    >>> import itertools
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> features = rng.normal(size=(20, 2))
    >>> p = fixed_point_problem(np.array([[0.7, -0.4]]), bits=2, features=features)
    >>> p.num_variables, p.variable_weight.tolist()
    (4, [0, 0, 1, 1])
    >>> states = np.array(list(itertools.product([0, 1], repeat=4)))
    >>> w = p.decode(states[None])[0]
    >>> error = np.einsum("sj,jk,sk->s", p.target - w, p.gram, p.target - w)
    >>> bool(np.allclose(p.qubo.bqm(0).energies(states), error))
    True
    >>> levels = p.base[0, 0] + p.coeffs[0, 0] * np.arange(4)
    >>> grid = np.array(list(itertools.product(levels, repeat=2)))
    >>> best = grid[np.argmin(np.einsum("sj,jk,sk->s", p.target - grid, p.gram, p.target - grid))]
    >>> bool(np.allclose(w[np.argmin(error)], best))
    True
"""
from __future__ import annotations

import numpy as np

from annealq.formulations.problem import LayerProblem


def fixed_point_problem(target, *, bits: int, gram=None, features=None, step=None, offset=None) -> LayerProblem:
    """Per-class QUBOs of K-bit fixed-point weights nearest to ``target`` under ``gram``.

    Args:
        target: ``(n, f1)`` weights each class (neuron) should reach, e.g. the Newton
            target ``w - H^{-1} g`` of the loss surrogate; a bias is one more column.
        bits: K, binary variables per weight (>= 1).
        gram: ``(f1, f1)`` curvature shared by every class; or ``features`` ``(N, f1)``,
            whose Gram matrix ``features^T features`` is used (give exactly one).
        step: grid step, a scalar or one per class (default: the symmetric grid spans
            ``±max|t_c|``).
        offset: the weight when every bit is 0, scalar or one per class (default:
            ``-step (2^K - 1) / 2``, a grid symmetric about zero).
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or bits < 1:
        raise ValueError(f"bits={bits!r}: a fixed-point weight needs an integer number of bits >= 1")
    if (gram is None) == (features is None):
        raise ValueError("give exactly one of gram (f1 x f1) or features (N x f1)")
    t = np.atleast_2d(np.asarray(target, dtype=np.float64))
    n, f1 = t.shape
    if gram is None:
        x = np.asarray(features, dtype=np.float64)
        gram = x.T @ x
    span = 2**bits - 1
    if step is None:
        step = 2.0 * np.abs(t).max(axis=1) / span
        step = np.where(step > 0, step, 1.0)
    step = np.broadcast_to(np.asarray(step, dtype=np.float64).reshape(-1, 1), (n, 1))
    if np.any(step <= 0) or not np.all(np.isfinite(step)):
        raise ValueError("the fixed-point step must be finite and positive")
    offset = -step * span / 2 if offset is None else np.asarray(offset, dtype=np.float64).reshape(-1, 1)
    return LayerProblem(gram=gram, target=t, base=np.broadcast_to(offset, (n, f1)),
                        coeffs=np.tile(step * 2.0 ** np.arange(bits), (1, f1)),
                        variable_weight=np.repeat(np.arange(f1), bits),
                        meta={"formulation": "fixed_point", "bits": int(bits)})
