"""GPTQ (Frantar et al., 2022): column-wise quantization with Hessian-based error compensation.

Implemented from the paper on annealq's grids so that it differs from round-to-nearest and
the rounding QUBO only in how it chooses levels: the Hessian of the layer-wise squared error
is the Gram matrix of the same calibration inputs (``H = X~^T X~``, bias column included),
dampened by 1% of its mean diagonal; columns are quantized in order and each one's error is
spread over the columns not yet quantized through the Cholesky factor of ``H^-1``.

Example:
    >>> import numpy as np
    >>> from annealq.formulations import Grid
    >>> rng = np.random.default_rng(0)
    >>> W, X = rng.normal(size=(4, 6)), rng.normal(size=(64, 6))
    >>> g = Grid.fit(W, 3)
    >>> Q = gptq(W, X.T @ X, [g] * 6)
    >>> bool(np.allclose(g.values(g.codes(Q)), Q))
    True
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from annealq.formulations.grids import Grid


def gptq(target: np.ndarray, gram: np.ndarray, grids: Sequence[Grid], damp: float = 0.01) -> np.ndarray:
    """Quantized weights ``(n, f1)``; ``grids[j]`` quantizes column ``j`` (per-row scales)."""
    w = np.array(target, dtype=np.float64)
    h = np.array(gram, dtype=np.float64)
    dead = np.diag(h) <= 0
    h[dead, dead] = 1.0  # inputs never seen: no error to spread, keep them invertible
    h[np.diag_indices_from(h)] += damp * np.mean(np.diag(h))
    hinv = np.linalg.cholesky(np.linalg.inv(h)).T  # upper factor, as in the reference code
    q = np.empty_like(w)
    for j, grid in enumerate(grids):
        col = w[:, j:j + 1]
        q[:, j:j + 1] = grid.nearest(col)
        err = (col - q[:, j:j + 1]) / hinv[j, j]
        w[:, j + 1:] -= err @ hinv[j:j + 1, j + 1:]
    return q
