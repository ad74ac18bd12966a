"""A batch of independent QUBOs sharing one quadratic matrix up to a per-row diagonal scaling.

Row ``r`` (a neuron, a class, a layer's filters) has binary variables ``v`` (``m`` of them)
and energy

    E_r(v) = offset_r + linear_r . v + (c_r * v)^T Q0 (c_r * v),

with ``Q0`` symmetric, zero on its diagonal (a diagonal is folded into ``linear``), shared by
every row, and ``c_r`` the row's ``scale``.  Only ``Q0`` is stored, never one dense matrix per
row.  When several variables encode one weight (K-bit fixed point), ``Q0`` is a small matrix
``G`` indexed by each variable's group, ``Q0_jk = G[g_j, g_k]`` off the diagonal: give
``quadratic = G`` and ``groups = g``, and ``Q0`` (``m x m``, ``K^2`` times larger) is never
built except row by row (:meth:`quadratic_rows`) or for one row's BQM.  The rounding QUBO (``Q0`` = the calibration Gram matrix), K-bit fixed point (``Q0`` = the
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
    >>> grouped = QUBOBatch(np.array([[1.0]]), scale=[[1.0, 2.0]], linear=[[-1.0, -3.0]], offset=[0.5], groups=[0, 0])
    >>> grouped.quadratic_rows([0, 1]).tolist(), grouped.energies(states[None])[0].tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [0.5, -2.5, -0.5, 0.5])
"""
from __future__ import annotations

from dataclasses import dataclass

import dimod
import numpy as np
import scipy.sparse


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
        quadratic: ``(m, m)`` symmetric ``Q0`` (its diagonal is ignored: fold it into ``linear``);
            with ``groups``, the ``(f, f)`` symmetric ``G`` (its diagonal couples a group's variables).
        scale: ``(n, m)`` per-row diagonal scaling ``c_r``.
        linear: ``(n, m)`` linear biases.
        offset: ``(n,)`` constants.
        ids: ``(n,)`` stable row ids (default ``0 .. n-1``).
        groups: ``(m,)`` each variable's row and column of ``G`` (None: ``quadratic`` is ``Q0``).
    """

    quadratic: np.ndarray
    scale: np.ndarray
    linear: np.ndarray
    offset: np.ndarray
    ids: np.ndarray | None = None
    groups: np.ndarray | None = None

    def __post_init__(self):
        q = np.asarray(self.quadratic, dtype=np.float64)
        f = q.shape[0]
        if q.shape != (f, f) or not np.allclose(q, q.T, rtol=0, atol=1e-12 * max(np.abs(q).max(initial=0), 1)):
            raise ValueError(f"quadratic must be a symmetric square matrix, got shape {q.shape}")
        if self.groups is None:
            m = f
            self.quadratic = q.copy() if np.any(np.diag(q)) else q
            np.fill_diagonal(self.quadratic, 0.0)
        else:
            self.quadratic = q
            self.groups = np.asarray(self.groups, dtype=np.int64).reshape(-1)
            m = len(self.groups)
            if m and (self.groups.min() < 0 or self.groups.max() >= f):
                raise ValueError(f"groups must index the rows of quadratic (0 .. {f - 1})")
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
        return self.quadratic.shape[0] if self.groups is None else len(self.groups)

    def quadratic_rows(self, rows, dtype=np.float64) -> np.ndarray:
        """``Q0[rows]`` ``(len(rows), m)`` as ``dtype`` (zero diagonal), built from ``G`` when grouped."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if self.groups is None:
            return self.quadratic[rows].astype(dtype)
        out = self.quadratic[self.groups[rows]][:, self.groups].astype(dtype)
        out[np.arange(len(rows)), rows] = 0.0
        return out

    def couplings(self, r: int) -> np.ndarray:
        """Row ``r``'s ``(m, m)`` upper-triangular couplings ``2 c_j c_k Q0_jk`` (built on demand, in row blocks)."""
        c = self.scale[r]
        m = self.num_variables
        out = np.empty((m, m))
        for lo in range(0, m, 256):
            hi = min(lo + 256, m)
            block = self.quadratic_rows(np.arange(lo, hi))
            block *= 2.0 * c[lo:hi, None] * c[None, :]
            block[np.arange(lo, hi)[:, None] >= np.arange(m)[None, :]] = 0.0
            out[lo:hi] = block
        return out

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
        if self.groups is None:
            quad = np.einsum("...j,jk,...k->...", u, self.quadratic, u, optimize=True)
        else:  # u^T Q0 u = s^T G s - sum_j G[g_j, g_j] u_j^2, s = u summed per group
            m, f = len(self.groups), self.quadratic.shape[0]
            pool = scipy.sparse.csr_matrix((np.ones(m), (np.arange(m), self.groups)), shape=(m, f))
            s = (pool.T @ u.reshape(-1, m).T).T.reshape(u.shape[:-1] + (f,))
            quad = (np.einsum("...j,jk,...k->...", s, self.quadratic, s, optimize=True)
                    - np.sum(np.diag(self.quadratic)[self.groups] * u**2, axis=-1))
        return self.offset[sel].reshape((-1,) + extra) + np.sum(lin * v, axis=-1) + quad

    def subset(self, rows) -> "QUBOBatch":
        """The rows at positions ``rows`` (``Q0`` shared, not copied); ids kept."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        return QUBOBatch(self.quadratic, self.scale[rows], self.linear[rows], self.offset[rows], self.ids[rows],
                         self.groups)

    def with_linear(self, linear, offset=None) -> "QUBOBatch":
        """The same batch with new linear biases (and offsets): ``Q0``, scaling and ids kept."""
        return QUBOBatch(self.quadratic, self.scale, linear, self.offset if offset is None else offset, self.ids,
                         self.groups)
