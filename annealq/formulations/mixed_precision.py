"""Mixed precision as a CQM: one bit-width per layer from a candidate set, under a size budget.

Binary ``x[l, k] = 1`` when layer ``l`` takes ``candidates[k]`` bits (one-hot per layer, dimod's
``add_discrete``).  With measured per-layer terms ``unary[l, k]`` and cross-layer terms
``pairwise[i, j, k, m]`` (``i < j``; CLADO's ``delta(i, j) - delta(i) - delta(j)``):

    minimise   sum_l unary[l, k_l] + sum_{i<j} pairwise[i, j, k_i, k_j]
    subject to sum_l sizes[l] * candidates[k_l] <= max_bits     (weights' storage in bits)

The size constraint has integer coefficients; it is divided by their greatest common divisor
(the right-hand side floored), which keeps exactly the same feasible set and makes the penalty
BQM's slack smaller.  The penalty BQM's size term has couplings far above the objective's (the
squared constraint), so an annealer's feasible reads are often not optimal: :func:`descend`
polishes an allocation by the best feasible change of one or two layers' bit-widths, until none
improves.  :func:`prices` gives the multipliers of the budget's Lagrangian form (a price per
weight bit instead of the constraint, only one-hot penalties left: no squared size term), which
annealers solve well; reads within the budget are then polished the same way.  Classical
baselines on the same terms: :func:`knapsack` (exact, no cross terms: HAWQ's knapsack),
:func:`greedy` (by sensitivity per bit saved) and :func:`uniform`.

Example:
    >>> import numpy as np
    >>> unary = np.array([[4.0, 1.0, 0.0], [2.0, 0.5, 0.0]])  # 2 layers x candidates (1, 2, 4) bits
    >>> pairwise = np.zeros((2, 2, 3, 3)); pairwise[0, 1, 0, 0] = 3.0  # both at 1 bit hurts more
    >>> sizes, candidates = [10, 30], (1, 2, 4)
    >>> cqm = mixed_precision_cqm(unary, pairwise, sizes, candidates, max_bits=70)
    >>> import dimod
    >>> best = dimod.ExactCQMSolver().sample_cqm(cqm).filter(lambda d: d.is_feasible).first
    >>> choice = decode(best.sample, 2, 3)
    >>> choice.tolist(), bool(best.energy == allocation_objective(unary, pairwise, choice))
    ([2, 0], True)
    >>> knapsack(unary, sizes, candidates, 70).tolist(), greedy(unary, sizes, candidates, 70).tolist()  # greedy: 3 > 2
    ([2, 0], [1, 0])
    >>> uniform(sizes, candidates, 70).tolist()  # 1 bit everywhere: 40 bits
    [0, 0]
"""
from __future__ import annotations

from functools import reduce
from math import gcd

import dimod
import numpy as np


def variable(layer: int, k: int) -> tuple[int, int]:
    """The label of ``x[layer, k]``."""
    return (layer, k)


def check_terms(unary, pairwise, sizes, candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The terms as arrays ``(L, K)``, ``(L, L, K, K)``, ``(L,)`` int, ``(K,)`` int; one clear error otherwise."""
    u = np.asarray(unary, dtype=np.float64)
    if u.ndim != 2 or 0 in u.shape:
        raise ValueError(f"unary must be (layers, candidates), got shape {u.shape}")
    layers, k = u.shape
    p = np.zeros((layers, layers, k, k)) if pairwise is None else np.asarray(pairwise, dtype=np.float64)
    if p.shape != (layers, layers, k, k):
        raise ValueError(f"pairwise must be (layers, layers, candidates, candidates) = {(layers, layers, k, k)}, "
                         f"got {p.shape}")
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(p))):
        raise ValueError("the measured terms hold NaN or inf values: check the measurement")
    s = np.asarray(sizes).reshape(-1)
    c = np.asarray(candidates).reshape(-1)
    if s.shape != (layers,) or c.shape != (k,):
        raise ValueError(f"give {layers} layer sizes and {k} candidates to match unary {u.shape}, got {s.size} "
                         f"and {c.size}")
    for name, v in (("sizes", s), ("candidates", c)):
        if not np.issubdtype(v.dtype, np.integer) or np.any(v <= 0):
            raise ValueError(f"{name} must be positive integers, got {v.tolist()}")
    return u, p, s.astype(np.int64), c.astype(np.int64)


def size_bits(sizes, candidates, choice) -> int:
    """Storage in bits of the weights under ``choice`` (candidate index per layer)."""
    return int(np.sum(np.asarray(sizes, dtype=np.int64) * np.asarray(candidates, dtype=np.int64)[np.asarray(choice)]))


def allocation_objective(unary, pairwise, choice) -> float:
    """The objective written out term by term for ``choice`` (candidate index per layer)."""
    u = np.asarray(unary, dtype=np.float64)
    choice = np.asarray(choice)
    total = float(u[np.arange(len(choice)), choice].sum())
    if pairwise is not None:
        p = np.asarray(pairwise, dtype=np.float64)
        total += sum(float(p[i, j, choice[i], choice[j]]) for i in range(len(choice))
                     for j in range(i + 1, len(choice)))
    return total


def mixed_precision_cqm(unary, pairwise, sizes, candidates, max_bits: int | None,
                        price: float = 0.0) -> dimod.ConstrainedQuadraticModel:
    """The CQM of the module docstring (``pairwise`` None: no cross terms); variables :func:`variable`.

    ``price`` > 0 adds ``price`` per weight bit to the objective (a Lagrange multiplier of the
    budget); ``max_bits`` None leaves the size constraint out (only the one-hot groups remain).
    """
    u, p, s, c = check_terms(unary, pairwise, sizes, candidates)
    layers, k = u.shape
    cqm = dimod.ConstrainedQuadraticModel()
    objective = dimod.BinaryQuadraticModel(dimod.BINARY)
    for l in range(layers):
        for a in range(k):
            objective.add_linear(variable(l, a), float(u[l, a]) + price * float(s[l] * c[a]))
    for i in range(layers):
        for j in range(i + 1, layers):
            for a in range(k):
                for b in range(k):
                    if p[i, j, a, b]:
                        objective.add_quadratic(variable(i, a), variable(j, b), float(p[i, j, a, b]))
    cqm.set_objective(objective)
    for l in range(layers):
        cqm.add_discrete([variable(l, a) for a in range(k)], label=f"one bit-width for layer {l}")
    coefficients = np.outer(s, c)
    g = reduce(gcd, coefficients.reshape(-1).tolist())
    size = dimod.BinaryQuadraticModel({variable(l, a): int(coefficients[l, a] // g) for l in range(layers)
                                       for a in range(k)}, {}, 0, dimod.BINARY)
    if max_bits is not None:
        cqm.add_constraint_from_model(size, "<=", int(max_bits) // g, label="size budget")
    return cqm


def prices(unary, pairwise, sizes, count: int = 24) -> np.ndarray:
    """``count`` prices per weight bit, geometric from ``1e-8`` times to the price above which every layer takes
    the fewest bits (one more bit anywhere costs more than the objective can change)."""
    u = np.asarray(unary, dtype=np.float64)
    spread = float(np.ptp(u, axis=1).sum() + (0.0 if pairwise is None else np.abs(pairwise).sum()))
    top = max(spread, 1e-300) / float(np.min(sizes))
    return top * np.geomspace(1e-8, 1.0, count)


def decode(sample, layers: int, candidates: int) -> np.ndarray:
    """Candidate index per layer of a one-hot ``sample`` (a mapping over :func:`variable` labels); -1 where a
    layer has no or several bit-widths set."""
    out = np.full(layers, -1)
    for l in range(layers):
        on = [a for a in range(candidates) if sample[variable(l, a)]]
        if len(on) == 1:
            out[l] = on[0]
    return out


def descend(unary, pairwise, sizes, candidates, max_bits: int, choice) -> np.ndarray:
    """From a feasible ``choice``, the best feasible change of one or two layers' candidates, repeated until
    none lowers the objective: a local minimum no worse than ``choice``.

    >>> unary = np.array([[3.0, 0.0], [3.0, 0.0]])
    >>> descend(unary, None, [1, 1], (1, 2), 3, [0, 0]).tolist()  # 2 + 2 bits would exceed the budget
    [1, 0]
    """
    u, p, s, c = check_terms(unary, pairwise, sizes, candidates)
    current = np.asarray(choice, dtype=np.int64).copy()
    if size_bits(s, c, current) > max_bits:
        raise ValueError(f"descend needs a feasible start: {size_bits(s, c, current)} > {max_bits} weight bits")
    value = allocation_objective(u, p, current)
    layers, k = u.shape
    while True:
        best, best_value = None, value
        for i in range(layers):
            for j in range(i, layers):
                for a in range(k):
                    for b in range(k) if j > i else [a]:
                        trial = current.copy()
                        trial[i], trial[j] = a, (b if j > i else a)
                        if size_bits(s, c, trial) <= max_bits:
                            v = allocation_objective(u, p, trial)
                            if v < best_value - 1e-12:
                                best, best_value = trial, v
        if best is None:
            return current
        current, value = best, best_value


def _check_budget(sizes, candidates, max_bits: int) -> None:
    least = int(np.sum(sizes) * np.min(candidates))
    if max_bits < least:
        raise ValueError(f"a budget of {max_bits} weight bits is below {least}, every layer at the smallest candidate "
                         f"({int(np.min(candidates))} bits): raise the budget or add a smaller candidate")


def knapsack(unary, sizes, candidates, max_bits: int) -> np.ndarray:
    """The exact minimum of the unary terms alone under the budget (multiple-choice knapsack by dynamic
    programming on sizes divided by their gcd): candidate index per layer."""
    u, _, s, c = check_terms(unary, None, sizes, candidates)
    _check_budget(s, c, max_bits)
    weights = np.outer(s, c)
    g = reduce(gcd, weights.reshape(-1).tolist())
    weights, capacity = weights // g, int(max_bits) // g
    best = np.zeros(capacity + 1)  # best[t]: least cost of the layers so far using at most t units
    picks = []
    for l in range(len(s)):
        options = np.full((len(c), capacity + 1), np.inf)
        for a, w in enumerate(weights[l]):
            if w <= capacity:
                options[a, w:] = best[:capacity + 1 - w] + u[l, a]
        pick = np.argmin(options, axis=0)  # the lowest index on ties: fewest bits, reproducible
        picks.append(pick)
        best = options[pick, np.arange(capacity + 1)]
    choice, t = np.zeros(len(s), dtype=np.int64), capacity
    for l in reversed(range(len(s))):
        choice[l] = picks[l][t]
        t -= int(weights[l, choice[l]])
    return choice


def greedy(unary, sizes, candidates, max_bits: int) -> np.ndarray:
    """Greedy by sensitivity: every layer at the most bits, then the step down costing the least unary
    increase per bit saved, until the budget holds: candidate index per layer."""
    u, _, s, c = check_terms(unary, None, sizes, candidates)
    _check_budget(s, c, max_bits)
    order = np.argsort(c, kind="stable")
    rank = np.full(len(s), len(c) - 1)  # position in ``order``
    while size_bits(s, c, order[rank]) > max_bits:
        here, down = order[rank], order[np.maximum(rank - 1, 0)]
        costs = [(u[l, down[l]] - u[l, here[l]]) / (s[l] * (c[here[l]] - c[down[l]])) if rank[l] > 0 else np.inf
                 for l in range(len(s))]
        rank[int(np.argmin(costs))] -= 1
    return order[rank]


def uniform(sizes, candidates, max_bits: int) -> np.ndarray:
    """The most bits every layer can share under the budget: candidate index per layer."""
    s, c = np.asarray(sizes, dtype=np.int64), np.asarray(candidates, dtype=np.int64)
    _check_budget(s, c, max_bits)
    fits = [a for a in range(len(c)) if int(s.sum() * c[a]) <= max_bits]
    return np.full(len(s), max(fits, key=lambda a: c[a]))
