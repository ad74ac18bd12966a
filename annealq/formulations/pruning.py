"""Structured pruning as a QUBO over keep/drop variables, one per filter or neuron.

Unit ``i`` is kept when ``x_i = 1``.  With importance ``s`` (non-negative, larger = more
useful), similarity ``S`` (symmetric, e.g. cosine of activation maps) and redundancy weight
``w``, the pruning QUBO is a one-row :class:`QUBOBatch` with ``Q0 = w * S``, scale ``c = 1``:

    E(x) = -s . x + mu * sum(x) + w * sum_{i != j} S_ij x_i x_j,

so a unit's own importance is weighed against what the other kept units already carry (each
kept pair pays ``2 w S_ij``).  ``mu`` is the capacity multiplier: a price per kept unit; the
capacity search (:mod:`annealq.prune.capacity`) bisects on it through
:meth:`QUBOBatch.with_linear`, so ``Q0``, its embedding and packing are built once, and
:func:`repair_to_k` then flips the fewest units (``|sum(x) - k|``, each the cheapest flip) to
keep exactly ``k``.  The two other exact-k paths: :func:`k_hot_cqm` (``sum(x) == k`` as a
constraint, for CQM solvers) and :func:`k_hot_bqm` (its penalty BQM, multiplier rule
``"bound"`` = 1 + sum |objective biases|: exact for this integer constraint).

Example:
    >>> import itertools
    >>> import numpy as np
    >>> s = np.array([3.0, 2.0, 1.0])
    >>> sim = np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]])
    >>> batch = pruning_qubo(s, sim, weight=1.0)
    >>> states = np.array(list(itertools.product([0, 1], repeat=3)))
    >>> bool(np.allclose(batch.energies(states[None])[0], [objective(s, sim, 1.0, x) for x in states]))
    True
    >>> x = np.array([1, 1, 0])  # the two similar units: 3 + 2 - 2 = 3 carried
    >>> swap_descent(batch, repair_to_k(batch, x, 2)).tolist()
    [1, 0, 1]
"""
from __future__ import annotations

import dimod
import numpy as np

from annealq.formulations.batch import QUBOBatch
from annealq.formulations.cqm import CQMBatch


def _check(importance, similarity) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(importance, dtype=np.float64).reshape(-1)
    sim = np.asarray(similarity, dtype=np.float64)
    if s.size == 0:
        raise ValueError("importance is empty: a pruning QUBO needs at least one unit")
    if sim.shape != (s.size, s.size):
        raise ValueError(f"similarity must be ({s.size}, {s.size}) to match the {s.size} importance scores, "
                         f"got {sim.shape}")
    return s, sim


def objective(importance, similarity, weight: float, x, multiplier: float = 0.0) -> float:
    """The pruning objective written out term by term (what the QUBO's energy equals)."""
    s, sim = _check(importance, similarity)
    x = np.asarray(x, dtype=np.float64)
    off = sim - np.diag(np.diag(sim))
    return float(-s @ x + multiplier * x.sum() + weight * x @ off @ x)


def pruning_qubo(importance, similarity, weight: float, *, multiplier: float = 0.0, row_id: int = 0) -> QUBOBatch:
    """The one-row pruning QUBO: ``Q0 = weight * similarity``, ``c = 1``, ``linear = multiplier - importance``."""
    s, sim = _check(importance, similarity)
    if not np.isfinite(weight) or weight < 0:
        raise ValueError(f"the redundancy weight must be finite and >= 0, got {weight!r}")
    return QUBOBatch(weight * sim, scale=1.0, linear=(multiplier - s)[None], offset=0.0, ids=[row_id])


def with_multiplier(batch: QUBOBatch, importance, multiplier: float) -> QUBOBatch:
    """``batch`` with the capacity multiplier ``multiplier`` (only the linear term changes)."""
    s = np.asarray(importance, dtype=np.float64).reshape(1, -1)
    return batch.with_linear(multiplier - s)


def multiplier_bounds(batch: QUBOBatch, importance) -> tuple[float, float]:
    """``(low, high)``: at ``low`` keeping every unit is the only minimum, at ``high`` dropping every unit.

    A unit's gain from being kept is ``mu - s_i + 2 w sum_j S_ij x_j``: below ``low`` it is
    negative whatever the others do, above ``high`` positive.
    """
    s = np.asarray(importance, dtype=np.float64).reshape(-1)
    q = batch.quadratic
    low = float(np.min(s - 2.0 * np.clip(q, 0, None).sum(1))) - 1.0
    high = float(np.max(s - 2.0 * np.clip(q, None, 0).sum(1))) + 1.0
    return low, high


def flip_gains(batch: QUBOBatch, x, row: int = 0) -> np.ndarray:
    """Energy change of flipping each variable of ``x`` alone (row ``row``)."""
    x = np.asarray(x, dtype=np.float64)
    c = batch.scale[row]
    field = batch.linear[row] + 2.0 * c * (batch.quadratic @ (c * x))
    return (1.0 - 2.0 * x) * field


def repair_to_k(batch: QUBOBatch, x, k: int, row: int = 0) -> np.ndarray:
    """``x`` with exactly ``k`` ones by ``|sum(x) - k|`` flips, each the cheapest of its direction."""
    x = np.array(x, dtype=np.int8).reshape(-1)
    m = x.size
    if isinstance(k, bool) or not 0 <= int(k) <= m:
        raise ValueError(f"k must be an integer from 0 to {m} (the number of units), got {k!r}")
    while int(x.sum()) != k:
        gains = flip_gains(batch, x, row)
        direction = 1 if x.sum() < k else 0
        gains[x == direction] = np.inf  # only flips towards k
        x[int(np.argmin(gains))] = direction
    return x


def swap_descent(batch: QUBOBatch, x, row: int = 0, max_swaps: int | None = None) -> np.ndarray:
    """Steepest descent over swaps (one kept unit out, one dropped unit in): ``sum(x)`` is kept."""
    x = np.array(x, dtype=np.int8).reshape(-1)
    c = batch.scale[row]
    coupling = 2.0 * np.outer(c, c) * batch.quadratic
    for _ in range(max_swaps if max_swaps is not None else 4 * x.size):
        kept, dropped = np.flatnonzero(x == 1), np.flatnonzero(x == 0)
        if not kept.size or not dropped.size:
            break
        gains = flip_gains(batch, x, row)
        # swapping out i and in j: gain_i + gain_j - coupling_ij (the pair term counted in both)
        pair = gains[kept][:, None] + gains[dropped][None, :] - coupling[np.ix_(kept, dropped)]
        a, b = np.unravel_index(int(np.argmin(pair)), pair.shape)
        if pair[a, b] >= -1e-12:
            break
        x[kept[a]], x[dropped[b]] = 0, 1
    return x


def k_hot_cqm(batch: QUBOBatch, k: int, row: int = 0) -> CQMBatch:
    """Row ``row`` as a CQM with ``sum(x) == k`` (label ``"keep"``), for CQM solvers."""
    m = batch.num_variables
    if isinstance(k, bool) or not 0 <= int(k) <= m:
        raise ValueError(f"k must be an integer from 0 to {m} (the number of units), got {k!r}")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(batch.bqm(row))
    cqm.add_constraint_from_iterable([(v, 1.0) for v in range(m)], "==", rhs=int(k), label="keep")
    return CQMBatch([cqm], ids=[int(batch.ids[row])])


def k_hot_bqm(batch: QUBOBatch, k: int, row: int = 0, multiplier="bound") -> tuple[dimod.BinaryQuadraticModel, float, str]:
    """The k-hot penalty BQM of row ``row``: ``(bqm, multiplier, rule)``, rule ``"bound"`` by default."""
    return k_hot_cqm(batch, k, row).penalty_bqm(0, multiplier)
