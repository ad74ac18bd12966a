"""Selectors: ways to turn one criterion's scores into the kept units of each layer, same budgets for all.

A method (:mod:`annealq.prune.registry`) is a criterion and a selector; :data:`SELECTORS` maps
each selector's name to its function ``selector(ctx, criterion) -> ({layer: bool mask}, {layer: facts})``:

- ``topk``: the ``k`` largest scores per layer.
- ``greedy``: remove the unit with the smallest score (divided by its layer's mean over the
  kept units) among layers above budget, re-score with it masked, repeat.
- ``qubo``: the pruning QUBO, exactly ``k`` kept per layer by the configured path
  (:func:`annealq.prune.capacity.keep_exactly`); its linear term is the scores (divided by the
  layer mean), its quadratic term activation redundancy or the criterion's second-order set
  estimate (``config.pair_term``); ``scope="global"``: one QUBO over all layers keeping the summed
  budget (at least one unit per layer); ``scope="joint"``: the second-order objective over all
  layers with its cross-layer terms and per-layer budgets, by block coordinate descent (each
  block one QUBO, a block's new answer taken only when the joint objective goes down);
  ``rounds > 1``: the budget reached in steps, re-scored under the masks before each.
- ``random``: ``k`` units per layer drawn with the config's seed.

The criterion ``None`` is the config's importance mix (the methods ``qubo``, ``qubo-refined``).

Example:
    >>> sorted(SELECTORS), top_k(np.array([0.2, 0.9, 0.5]), 2).tolist()
    (['greedy', 'qubo', 'random', 'topk'], [False, True, True])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.linalg import block_diag
from torch import nn

from annealq.formulations.pruning import pruning_qubo
from annealq.prune.capacity import keep_exactly
from annealq.prune.config import PruneConfig
from annealq.prune.graph import PrunableLayer
from annealq.prune.registry import method_spec
from annealq.prune.scores import UnitScores, importance, unit_scores


@dataclass
class PruneContext:
    """What a method sees: the model, its prunable layers, the data, the budgets and the config."""

    model: nn.Module
    layers: list[PrunableLayer]
    x: object
    y: object
    keep: dict
    config: PruneConfig
    journal: object = None
    progress: Callable[[str, int], None] | None = None
    sampler: object = None
    _scores: dict | None = None

    @property
    def scores(self) -> dict:
        if self._scores is None:
            self._scores = unit_scores(self.model, self.layers, self.x, self.y, loss=self.config.loss)
        return self._scores

    def tick(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, 1)


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """The mask of the ``k`` largest values (ties to the lower index)."""
    mask = np.zeros(values.size, dtype=bool)
    mask[np.argsort(-values, kind="stable")[:k]] = True
    return mask


def values(scores: UnitScores, criterion: str | None, config: PruneConfig) -> np.ndarray:
    """A layer's scores under ``criterion`` (None: the config's importance mix)."""
    return importance(scores, config.importance) if criterion is None else scores.criterion(criterion)


def _second_order_criterion(criterion: str | None, config: PruneConfig) -> str:
    return criterion or next(iter(config.importance))


def _qubo_terms(scores: UnitScores, alive: np.ndarray, criterion: str | None, config: PruneConfig):
    """``(linear importance, quadratic block)`` of one layer's QUBO over its ``alive`` units."""
    if config.pair_term == "second-order":
        m = scores.second_order(_second_order_criterion(criterion, config))[np.ix_(alive, alive)]
        scale = max(float(np.mean(np.diag(m))), 1e-300)
        m = m / scale  # (1 - x)^T m (1 - x) = const - (2 m 1 - diag m) . x + sum_{i != j} m_ij x_i x_j
        return 2.0 * m.sum(1) - np.diag(m), m - np.diag(np.diag(m))
    v = values(scores, criterion, config)
    mean = v.mean()
    v = (v / mean if mean > 0 else v)[alive]
    return v, config.redundancy / max(alive.size - 1, 1) * scores.similarity(config.similarity)[np.ix_(alive, alive)]


def _solve(ctx: PruneContext, imp, quad, target: int, step: str):
    cfg = ctx.config
    return keep_exactly(pruning_qubo(imp, quad, 1.0), imp, target, cfg.solver, path=cfg.exact_k, sampler=ctx.sampler,
                        journal=ctx.journal, journal_config=cfg, step=step, steps=cfg.capacity_steps)


def _record(facts: dict, kept) -> None:
    facts.update(path=kept.path, energy=kept.energy, solves=facts["solves"] + len(kept.history),
                 repaired_flips=facts["repaired_flips"] + kept.repaired_flips, history=facts["history"] + kept.history)


def qubo(ctx: PruneContext, criterion: str | None):
    """``config.rounds`` rounds; each scores the kept units under the masks so far and solves to its budget:
    one QUBO per layer (``scope="layer"``) or one over every layer, block-diagonal, with the summed budget."""
    cfg = ctx.config
    masks = {l.name: np.ones(l.units, dtype=bool) for l in ctx.layers}
    facts = {l.name: {"solves": 0, "repaired_flips": 0, "history": []} for l in ctx.layers}
    groups = [[l] for l in ctx.layers] if cfg.scope != "global" else [ctx.layers]
    for r in range(1, cfg.rounds + 1):
        scores = ctx.scores if r == 1 else unit_scores(ctx.model, ctx.layers, ctx.x, ctx.y, loss=cfg.loss, masks=masks)
        for group in groups:
            alive = [np.flatnonzero(masks[l.name]) for l in group]
            terms = [_qubo_terms(scores[l.name], a, criterion, cfg) for l, a in zip(group, alive)]
            imp = np.concatenate([t[0] for t in terms])
            target = sum(l.units - int(round(r / cfg.rounds * (l.units - ctx.keep[l.name]))) for l in group)
            name = group[0].name if cfg.scope != "global" else "all"
            kept = _solve(ctx, imp, block_diag(*[t[1] for t in terms]), target,
                          name if cfg.rounds == 1 else f"{name}/round-{r}")
            state = _at_least_one_each(kept.state.astype(bool), [a.size for a in alive], imp)
            for l, a, part in zip(group, alive, np.split(state, np.cumsum([a.size for a in alive])[:-1])):
                masks[l.name] = np.zeros(l.units, dtype=bool)
                masks[l.name][a[part]] = True
                _record(facts[l.name], kept)
            ctx.tick(name)
    if cfg.scope == "joint":
        masks = _joint(ctx, criterion, masks, facts)
    return masks, facts


def _joint(ctx: PruneContext, criterion: str | None, masks: dict, facts: dict, sweeps: int = 2) -> dict:
    """Block coordinate descent on ``(1 - x)^T M (1 - x)`` over every layer's units (``M`` from the
    per-sample contributions of all layers together), each layer re-solved with the others held."""
    cfg = ctx.config
    z = np.concatenate([ctx.scores[l.name].contributions for l in ctx.layers], 1)
    joint = UnitScores(*(np.zeros(z.shape[1]),) * 3, activations=np.zeros((z.shape[1], 1)), contributions=z)
    m = joint.second_order(_second_order_criterion(criterion, cfg))
    m = m / max(float(np.mean(np.diag(m))), 1e-300)
    bounds = np.cumsum([0] + [l.units for l in ctx.layers])
    x = np.concatenate([masks[l.name] for l in ctx.layers]).astype(float)
    value = (1 - x) @ m @ (1 - x)
    for sweep in range(sweeps):
        for i, layer in enumerate(ctx.layers):
            lo, hi = bounds[i], bounds[i + 1]
            block = m[lo:hi, lo:hi]
            outside = np.r_[0:lo, hi:m.shape[0]]
            cross = 2.0 * m[lo:hi][:, outside] @ (1 - x[outside])  # the other layers' removed units
            imp = 2.0 * block.sum(1) - np.diag(block) + cross
            kept = _solve(ctx, imp, block - np.diag(np.diag(block)), ctx.keep[layer.name],
                          f"{layer.name}/joint-{sweep}")
            trial = x.copy()
            trial[lo:hi] = kept.state
            trial_value = (1 - trial) @ m @ (1 - trial)
            _record(facts[layer.name], kept)
            if trial_value < value - 1e-12:
                x, value = trial, trial_value
            ctx.tick(layer.name)
    for f in facts.values():
        f["joint_objective"] = float(value)
    return {l.name: x[bounds[i]:bounds[i + 1]].astype(bool) for i, l in enumerate(ctx.layers)}


def _at_least_one_each(state: np.ndarray, sizes: list, imp: np.ndarray) -> np.ndarray:
    """A global answer with an emptied layer: its most important unit swapped in for the least important
    kept unit of a layer that keeps several (the count stays)."""
    state = state.copy()
    bounds = np.cumsum([0] + sizes)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi > lo and not state[lo:hi].any():
            spare = [i for a, b in zip(bounds[:-1], bounds[1:]) if state[a:b].sum() > 1 for i in range(a, b) if state[i]]
            state[min(spare, key=lambda i: imp[i])] = False
            state[lo + int(np.argmax(imp[lo:hi]))] = True
    return state


def topk(ctx: PruneContext, criterion: str | None):
    masks = {l.name: top_k(values(ctx.scores[l.name], criterion, ctx.config), ctx.keep[l.name]) for l in ctx.layers}
    return masks, {}


def random(ctx: PruneContext, criterion: str | None = None):
    rng = np.random.default_rng(ctx.config.seed)
    masks = {}
    for layer in ctx.layers:
        mask = np.zeros(layer.units, dtype=bool)
        mask[rng.choice(layer.units, ctx.keep[layer.name], replace=False)] = True
        masks[layer.name] = mask
    return masks, {}


def greedy(ctx: PruneContext, criterion: str | None):
    masks = {l.name: np.ones(l.units, dtype=bool) for l in ctx.layers}
    removed = 0
    while True:
        over = [l.name for l in ctx.layers if masks[l.name].sum() > ctx.keep[l.name]]
        if not over:
            break
        scores = unit_scores(ctx.model, ctx.layers, ctx.x, ctx.y, loss=ctx.config.loss, masks=masks)
        best = None
        for name in over:
            v, alive = values(scores[name], criterion, ctx.config), masks[name]
            rel = v / max(v[alive].mean(), 1e-300)
            unit = int(np.flatnonzero(alive)[np.argmin(rel[alive])])
            if best is None or rel[unit] < best[0]:
                best = (rel[unit], name, unit)
        masks[best[1]][best[2]] = False
        removed += 1
        ctx.tick("greedy")
    return masks, {"*": {"removed": removed}}


SELECTORS = {"topk": topk, "greedy": greedy, "qubo": qubo, "random": random}


def choose(ctx: PruneContext, method: str):
    """The masks and facts of ``method`` (its criterion through its selector)."""
    spec = method_spec(method)
    return SELECTORS[spec.selector](ctx, spec.criterion)
