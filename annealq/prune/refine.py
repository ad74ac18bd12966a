"""Refine masks against the true metric: gradient-free search near a start, under an evaluation budget.

The search space is the boundary of the start: in each layer the ``width`` least important kept
units and the ``width`` most important dropped ones.  Every candidate keeps each layer's count
(exact sparsity), and ``evaluate(masks)`` (higher is better: PSNR, accuracy on a held-out split)
is called at most ``budget`` times, the start included.  The best mask seen is returned, so the
result is never worse than the start.

- ``swap``: first-improvement local search over swaps (one boundary unit out, one in), in a
  seeded random order; at a local optimum the boundary is doubled (until it spans the layers)
  so the whole budget is used; no dependency.
- ``tt``: a tensor-train optimiser (``ttopt``, optional: ``pip install ttopt``) over the boundary
  units' keep bits; a candidate whose count is off is repaired by importance (the least important
  extra kept units dropped, or the most important missing ones added) before it is evaluated.
  The rank and the number of boundary units are cut so one full sweep (every TT core visited
  once) fits the budget; each run is capped at a few sweeps and restarted (new seed) around the
  best mask so far while the budget lasts and new masks come up; ``sweeps`` counts the full
  sweeps completed.

Example:
    >>> import numpy as np
    >>> target = {"a": np.array([1, 0, 1, 0, 1], dtype=bool)}
    >>> evaluate = lambda masks: -float(np.sum(masks["a"] != target["a"]))
    >>> start = {"a": np.array([1, 1, 1, 0, 0], dtype=bool)}
    >>> result = refine(start, evaluate, budget=20, priority={"a": np.arange(5.0)[::-1]})
    >>> result.masks["a"].astype(int).tolist(), result.value >= result.start_value
    ([1, 0, 1, 0, 1], True)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

METHODS = ("swap", "tt")


@dataclass
class RefineResult:
    """Best masks found, their value, the start's value, evaluations spent, the value history, and the
    search's passes (``swap``: passes over the move list; ``tt``: full sweeps over the TT cores)."""

    masks: dict
    value: float
    start_value: float
    evaluations: int
    history: list = field(default_factory=list)
    sweeps: float = 0.0


class _Budget:
    """``evaluate`` with a cache (a repeated mask costs nothing) and a cap on new calls."""

    def __init__(self, evaluate, budget):
        self.evaluate, self.budget, self.cache, self.history = evaluate, budget, {}, []
        self.best_key, self.best_value, self.best_masks = None, -np.inf, None

    def __call__(self, masks: dict) -> float | None:
        key = tuple(np.packbits(masks[n]).tobytes() for n in sorted(masks))
        if key in self.cache:
            return self.cache[key]
        if len(self.cache) >= self.budget:
            return None
        value = float(self.evaluate(masks))
        self.cache[key] = value
        self.history.append(value)
        if value > self.best_value:
            self.best_key, self.best_value, self.best_masks = key, value, {n: m.copy() for n, m in masks.items()}
        return value

    @property
    def spent(self) -> bool:
        return len(self.cache) >= self.budget


def _boundary(masks: dict, priority: dict, width: int) -> dict:
    """Per layer: (least important kept, most important dropped) unit indices."""
    out = {}
    for name, mask in masks.items():
        p = priority[name]
        kept, dropped = np.flatnonzero(mask), np.flatnonzero(~mask)
        out[name] = (kept[np.argsort(p[kept])][:width], dropped[np.argsort(-p[dropped])][:width])
    return out


def refine(start: dict, evaluate: Callable[[dict], float], budget: int, *, method: str = "swap",
           priority: dict | None = None, width: int = 4, seed: int = 0, rank: int = 2) -> RefineResult:
    """Search near ``start`` (``{layer: bool mask}``) for masks that ``evaluate`` scores higher.

    ``priority`` (``{layer: importance}``) picks the boundary units (default: all equal).
    """
    if method not in METHODS:
        raise ValueError(f"refinement {method!r} is unknown: use one of {METHODS}")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"the refinement budget must be a positive number of evaluations, got {budget!r}")
    start = {n: np.asarray(m, dtype=bool).copy() for n, m in start.items()}
    priority = priority or {n: np.zeros(m.size) for n, m in start.items()}
    run = _Budget(evaluate, budget)
    start_value = run(start)
    if method == "swap":
        sweeps = _swap_search(start, run, priority, width, np.random.default_rng(seed))
    else:
        sweeps = _tt_search(start, run, priority, width, seed, rank)
    return RefineResult(run.best_masks, run.best_value, start_value, len(run.cache), run.history, sweeps)


def _swap_search(masks: dict, run: _Budget, priority: dict, width: int, rng) -> float:
    current, value = {n: m.copy() for n, m in masks.items()}, run.best_value
    widest = max(m.size for m in masks.values())
    passes = 0
    while not run.spent:
        bounds = _boundary(current, priority, width)
        moves = [(n, i, j) for n, (out, inn) in bounds.items() for i in out for j in inn]
        improved = False
        for idx in rng.permutation(len(moves)):
            name, i, j = moves[idx]
            trial = {n: m.copy() for n, m in current.items()}
            trial[name][i], trial[name][j] = False, True
            v = run(trial)
            if v is None:
                return passes
            if v > value:
                current, value, improved = trial, v, True
                break
        else:
            passes += 1
        if not improved:
            if width >= widest:
                return passes
            width *= 2  # a local optimum of this boundary: look wider
    return passes


def _tt_search(masks: dict, run: _Budget, priority: dict, width: int, seed: int, rank: int,
               sweeps_per_run: int = 4) -> float:
    try:
        import ttopt  # noqa: F401
    except ImportError as err:
        raise ImportError("refinement 'tt' needs ttopt: pip install ttopt (or use refinement 'swap')") from err
    sweeps, restart = 0.0, 0
    while not run.spent:
        seen = len(run.cache)
        sweeps += _tt_run(run.best_masks, run, priority, width, seed + restart, rank, sweeps_per_run)
        restart += 1
        if len(run.cache) == seen:  # a whole run found nothing new: converged
            break
    return sweeps


def _tt_run(masks: dict, run: _Budget, priority: dict, width: int, seed: int, rank: int, sweeps: int) -> float:
    """One ttopt run over the boundary of ``masks``, at most ``sweeps`` sweeps; returns the sweeps done."""
    from ttopt import TTOpt

    bounds = _boundary(masks, priority, width)
    # nearest the boundary first, layers interleaved, so a cut keeps the most doubtful units
    slots = [(n, int(units[j])) for j in range(width) for n, (out, inn) in bounds.items()
             for units in (out, inn) if j < len(units)]
    # a core visit asks for 2 rank^2 points (n = 2 values per bit)
    while rank > 1 and 2 * rank ** 2 * len(slots) > run.budget:
        rank -= 1
    slots = slots[:max(2, run.budget // (2 * rank ** 2))]
    if len(slots) < 2:
        return 0.0

    def candidate(bits) -> dict:
        trial = {n: m.copy() for n, m in masks.items()}
        for (name, unit), bit in zip(slots, bits):
            trial[name][unit] = bool(bit)
        for name, mask in trial.items():  # back to the layer's count, by importance
            k, p = int(masks[name].sum()), priority[name]
            units = np.array([u for n, u in slots if n == name], dtype=int)
            while mask.sum() > k:
                on = units[mask[units]]
                mask[on[np.argmin(p[on])]] = False
            while mask.sum() < k:
                off = units[~mask[units]]
                mask[off[np.argmax(p[off])]] = True
        return trial

    visits = [0]

    def f(index_rows):
        values = []
        for bits in np.atleast_2d(index_rows):
            v = run(candidate(bits))
            if v is None:
                return None  # the budget is spent: ttopt stops
            values.append(-v)
        visits[0] += 1
        return np.array(values)

    # ttopt counts repeated points too (its cap ends the run); the cap on new evaluations is ``run``'s
    TTOpt(f, d=len(slots), n=2, evals=sweeps * len(slots) * 2 * rank ** 2, is_func=False, is_vect=True,
          with_wrn=False).optimize(rank=rank, seed=seed)
    return visits[0] / len(slots)
