"""A batch of independent QUBOs sharing one quadratic matrix up to a per-row diagonal scaling.

Row ``r`` (a neuron, a class, a layer's filters) has binary variables ``v`` (``m`` of them)
and energy

    E_r(v) = offset_r + linear_r . v + (c_r * v)^T Q0 (c_r * v),

with ``Q0`` symmetric, zero on its diagonal (a diagonal is folded into ``linear``), shared by
every row, and ``c_r`` the row's ``scale``.  Only ``Q0`` is stored, never one dense matrix per
row.  The rounding QUBO (``Q0`` = the calibration Gram matrix), K-bit fixed point (``Q0`` = the
curvature, ``c`` = bit weights) and a pruning layer (``Q0`` = redundancy, ``c = 1``) all speak
it; :meth:`with_linear` changes only the linear term, so a search that re-solves with a new
linear term (a sparsity multiplier, the next iteration of a trainer) keeps ``Q0``, its
embedding and its packing.  Row ``ids`` stay with the rows through :meth:`subset`: seeds,
records and QPU call groups follow them.

Example:
    >>> import itertools
    >>> import numpy as np
    >>> q0 = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> batch = QUBOBatch(q0, scale=[[1.0, 2.0]], linear=[[-1.0, -3.0]], offset=[0.5])
    >>> states = np.array(list(itertools.product([0, 1], repeat=2)))
    >>> batch.energies(states[None])[0].tolist()
    [0.5, -2.5, -0.5, 0.5]
    >>> bool(np.allclose(batch.bqm(0).energies(states), batch.energies(states[None])[0]))
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import dimod
import numpy as np


def row_ids(ids, n: int) -> np.ndarray:
    """``ids`` as ``n`` distinct integers (default ``0 .. n-1``)."""
    out = np.arange(n) if ids is None else np.asarray(ids, dtype=np.int64).reshape(-1)
    if out.shape != (n,) or len(set(out.tolist())) != n:
        raise ValueError(f"ids must be {n} distinct integers, one per row")
    return out


@dataclass(eq=False)
class QUBOBatch:
    """``n`` QUBOs over ``m`` variables each (see module docstring).

    Attributes:
        quadratic: ``(m, m)`` symmetric ``Q0`` (its diagonal is ignored: fold it into ``linear``).
        scale: ``(n, m)`` per-row diagonal scaling ``c_r``.
        linear: ``(n, m)`` linear biases.
        offset: ``(n,)`` constants.
        ids: ``(n,)`` stable row ids (default ``0 .. n-1``).
    """

    quadratic: np.ndarray
    scale: np.ndarray
    linear: np.ndarray
    offset: np.ndarray
    ids: np.ndarray | None = None

    def __post_init__(self):
        q = np.asarray(self.quadratic, dtype=np.float64)
        m = q.shape[0]
        if q.shape != (m, m) or not np.allclose(q, q.T, rtol=0, atol=1e-12 * max(np.abs(q).max(initial=0), 1)):
            raise ValueError(f"quadratic must be a symmetric (m, m) matrix, got shape {q.shape}")
        self.quadratic = q.copy() if np.any(np.diag(q)) else q
        np.fill_diagonal(self.quadratic, 0.0)
        self.linear = np.atleast_2d(np.asarray(self.linear, dtype=np.float64))
        n = self.linear.shape[0]
        self.scale = np.broadcast_to(np.asarray(self.scale, dtype=np.float64), (n, m))
        self.offset = np.broadcast_to(np.asarray(self.offset, dtype=np.float64).reshape(-1), (n,))
        if self.linear.shape != (n, m):
            raise ValueError(f"linear must be (n, m) = ({n}, {m}), got {self.linear.shape}")
        self.ids = row_ids(self.ids, n)
        for name in ("quadratic", "scale", "linear", "offset"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"the QUBO batch's {name} holds NaN or inf values: check the data it was built from")

    @property
    def num_rows(self) -> int:
        return self.linear.shape[0]

    @property
    def num_variables(self) -> int:
        return self.quadratic.shape[0]

    def couplings(self, r: int) -> np.ndarray:
        """Row ``r``'s ``(m, m)`` upper-triangular couplings ``2 c_j c_k Q0_jk`` (built on demand)."""
        c = self.scale[r]
        return np.triu(2.0 * np.outer(c, c) * self.quadratic, 1)

    def bqm(self, r: int) -> dimod.BinaryQuadraticModel:
        """Row ``r`` (a position) as a dimod BQM on variables ``0 .. m-1``, built from numpy arrays."""
        return dimod.BinaryQuadraticModel(self.linear[r], self.couplings(r), float(self.offset[r]), dimod.BINARY)

    def energies(self, states, rows=None) -> np.ndarray:
        """Energies of binary ``states`` ``(n_sel, ..., m)`` of the selected rows (positions)."""
        sel = slice(None) if rows is None else rows
        v = np.asarray(states, dtype=np.float64)
        extra = (1,) * (v.ndim - 2)
        c = self.scale[sel]
        c = c.reshape(c.shape[:1] + extra + c.shape[1:])
        lin = self.linear[sel]
        lin = lin.reshape(lin.shape[:1] + extra + lin.shape[1:])
        u = c * v
        quad = np.einsum("...j,jk,...k->...", u, self.quadratic, u, optimize=True)
        return self.offset[sel].reshape((-1,) + extra) + np.sum(lin * v, axis=-1) + quad

    def subset(self, rows) -> "QUBOBatch":
        """The rows at positions ``rows`` (``Q0`` shared, not copied); ids kept."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        return QUBOBatch(self.quadratic, self.scale[rows], self.linear[rows], self.offset[rows], self.ids[rows])

    def with_linear(self, linear, offset=None) -> "QUBOBatch":
        """The same batch with new linear biases (and offsets): ``Q0``, scaling and ids kept."""
        return QUBOBatch(self.quadratic, self.scale, linear, self.offset if offset is None else offset, self.ids)
