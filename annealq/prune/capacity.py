"""Exactly ``k`` units kept, three ways, on any route.

- ``capacity``: the dynamic capacity search.  Bisection on the price ``mu`` per kept unit
  (:func:`annealq.formulations.pruning.with_multiplier`: only the linear term changes, so the
  quadratic, its embedding and packing are reused), each step one :func:`annealq.solve` call and
  one journal step (``<layer>/capacity-<t>``); it stops when an answer keeps ``k`` units or after
  ``steps`` steps; every step's answer is repaired to exactly ``k`` by the fewest flips and
  polished by swaps (both keep the count); the best by the unpenalised objective wins.
- ``cqm``: a CQM with ``sum(x) == k`` (``sample_cqm`` where the sampler has it, else its penalty BQM).
- ``penalty``: the k-hot penalty BQM (multiplier rule ``"bound"``), solved as a QUBO.

CQM and penalty answers that break the constraint are repaired the same way, so every path
returns exactly ``k``.

Example:
    >>> import numpy as np
    >>> from annealq.formulations.pruning import pruning_qubo
    >>> from annealq.samplers import SolverConfig
    >>> s, sim = np.array([3.0, 2.0, 1.0, 0.5]), np.zeros((4, 4))
    >>> result = keep_exactly(pruning_qubo(s, sim, 0.0), s, 2, SolverConfig(route="exact"))
    >>> result.state.tolist(), result.path
    ([1, 1, 0, 0], 'capacity')
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from annealq.formulations.batch import QUBOBatch
from annealq.formulations.pruning import (k_hot_bqm, k_hot_cqm, multiplier_bounds, repair_to_k, swap_descent,
                                          with_multiplier)
from annealq.samplers.config import SolverConfig
from annealq.samplers.solve import solve

PATHS = ("capacity", "cqm", "penalty")


@dataclass
class KeepResult:
    """The kept units of one pruning QUBO.

    Attributes:
        state: ``(m,)`` 0/1, exactly ``k`` ones.
        energy: the unpenalised objective of ``state``.
        path: which exact-k path produced it.
        history: per solve: ``{"multiplier", "kept", "energy"}`` (capacity) or the answer's facts.
        repaired_flips: flips the repair needed (0 when the solver hit ``k`` itself).
    """

    state: np.ndarray
    energy: float
    path: str
    history: list = field(default_factory=list)
    repaired_flips: int = 0


def _finish(batch: QUBOBatch, candidates: list[np.ndarray], k: int) -> tuple[np.ndarray, int]:
    """Repair each candidate to ``k``, polish by swaps, keep the best (and its repair size)."""
    best, best_e, flips = None, np.inf, 0
    for x in candidates:
        fixed = swap_descent(batch, repair_to_k(batch, x, k))
        e = float(batch.energies(fixed[None, None])[0, 0])
        if e < best_e - 1e-12:
            best, best_e, flips = fixed, e, int(abs(int(np.sum(x)) - k))
    return best, flips


def keep_exactly(batch: QUBOBatch, importance, k: int, solver: SolverConfig = SolverConfig(), *, path: str = "capacity",
                 sampler=None, journal=None, journal_config=None, step: str = "", steps: int = 12) -> KeepResult:
    """Keep exactly ``k`` of the units of the one-row pruning QUBO ``batch`` (see module docstring).

    Args:
        batch: the pruning QUBO (multiplier 0).
        importance: the importance scores it was built from (the linear term is ``mu - importance``).
        k: units to keep, ``0 <= k <= m``.
        solver: route, budget and seed; ``solver.warm_start`` seeds each step with the last answer.
        path: ``capacity``, ``cqm`` or ``penalty``.
        sampler: a dimod sampler instance instead of ``solver.route``.
        journal: a :class:`annealq.records.Journal` (workflow ``prune``) or None.
        journal_config: the config its records are keyed by (default ``solver``).
        step: the journal step's prefix (the layer's name).
        steps: the most bisection steps.
    """
    if path not in PATHS:
        raise ValueError(f"exact-k path {path!r} is unknown: use one of {PATHS}")
    m = batch.num_variables
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= m:
        raise ValueError(f"k must be an integer from 0 to {m} (the number of units), got {k!r}")
    k = int(k)
    if k in (0, m):  # nothing to choose
        state = np.full(m, 1 if k else 0, dtype=np.int8)
        return KeepResult(state, float(batch.energies(state[None, None])[0, 0]), path)

    def journal_step(name):
        return None if journal is None else journal.step("prune", journal_config or solver, f"{step}/{name}")

    if path == "capacity":
        return _capacity(batch, importance, k, solver, sampler, journal_step, steps)
    if path == "cqm":
        answer = solve(k_hot_cqm(batch, k), sampler, config=solver, journal=journal_step(f"cqm-{k}"))[0]
    else:
        bqm, multiplier, rule = k_hot_bqm(batch, k)
        lin, (rows, cols, vals), offset = bqm.to_numpy_vectors(range(m))
        q = np.zeros((m, m))
        q[rows, cols] = vals / 2.0
        penalised = QUBOBatch(q + q.T, scale=1.0, linear=lin[None], offset=offset, ids=batch.ids)
        answer = solve(penalised, sampler, config=solver, journal=journal_step(f"penalty-{k}"))[0]
        answer.info.update(penalty_multiplier=multiplier, penalty_rule=rule)
    state = np.asarray(answer.state, dtype=np.int8)
    fixed, flips = _finish(batch, [state], k)
    history = [{"kept": int(state.sum()), "energy": float(answer.energy), "feasible": answer.feasible,
                **{k_: v for k_, v in answer.info.items() if k_.startswith("penalty")}}]
    return KeepResult(fixed, float(batch.energies(fixed[None, None])[0, 0]), path, history, flips)


def _capacity(batch, importance, k, solver, sampler, journal_step, steps) -> KeepResult:
    low, high = multiplier_bounds(batch, importance)
    history, answers, warm = [], [], None
    for t in range(steps):
        mu = 0.5 * (low + high)
        priced = with_multiplier(batch, importance, mu)
        warm_starts = warm[None, None] if (warm is not None and solver.warm_start) else None
        state = np.asarray(solve(priced, sampler, config=solver, warm_starts=warm_starts,
                                 journal=journal_step(f"capacity-{t}"))[0].state, dtype=np.int8)
        kept = int(state.sum())
        history.append({"multiplier": mu, "kept": kept, "energy": float(batch.energies(state[None, None])[0, 0])})
        answers.append(state)
        warm = state
        if kept == k:
            break
        if kept > k:
            low = mu
        else:
            high = mu
    fixed, flips = _finish(batch, answers, k)
    return KeepResult(fixed, float(batch.energies(fixed[None, None])[0, 0]), "capacity", history, flips)
