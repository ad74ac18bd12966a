"""Ways to choose the kept units of each layer, one function per method name, same budgets for all.

- ``qubo``: the pruning QUBO (configured importance, redundancy), exactly ``k`` kept per layer
  by the configured path (:func:`annealq.prune.capacity.keep_exactly`), or with ``scope="global"``
  one QUBO over all layers keeping the summed budget (at least one unit per layer); with ``rounds > 1`` the
  budget is reached in steps, the scores recomputed under the masks before each.
- ``qubo-refined``: ``qubo``, then :func:`annealq.prune.refine.refine` against the true metric
  (done by the pipeline, which holds the metric).
- ``l1-qubo``: the same QUBO with weight-L1 importance.
- ``taylor-topk``: the ``k`` largest Taylor scores per layer.
- ``l1``: the ``k`` largest weight L1 norms per layer (magnitude pruning).
- ``taylor-greedy``: remove the unit with the smallest Taylor score (divided by its layer's mean
  over the kept units) among layers above budget, recompute the scores with it masked, repeat.
- ``random``: ``k`` units per layer drawn with the config's seed.

Each returns ``{layer: bool mask}`` and ``{layer: facts}``.
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
from annealq.prune.scores import importance, unit_scores


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


def _qubo(ctx: PruneContext, weights: dict):
    """``config.rounds`` rounds; each scores the kept units under the masks so far and solves to its budget:
    one QUBO per layer (``scope="layer"``) or one over every layer, block-diagonal, with the summed budget."""
    cfg = ctx.config
    masks = {l.name: np.ones(l.units, dtype=bool) for l in ctx.layers}
    facts = {l.name: {"solves": 0, "repaired_flips": 0, "history": []} for l in ctx.layers}
    groups = [[l] for l in ctx.layers] if cfg.scope == "layer" else [ctx.layers]
    for r in range(1, cfg.rounds + 1):
        scores = ctx.scores if r == 1 else unit_scores(ctx.model, ctx.layers, ctx.x, ctx.y, loss=cfg.loss, masks=masks)
        for group in groups:
            alive = [np.flatnonzero(masks[l.name]) for l in group]
            imp = np.concatenate([importance(scores[l.name], weights)[a] for l, a in zip(group, alive)])
            blocks = [cfg.redundancy / max(a.size - 1, 1) * scores[l.name].similarity(cfg.similarity)[np.ix_(a, a)]
                      for l, a in zip(group, alive)]
            target = sum(l.units - int(round(r / cfg.rounds * (l.units - ctx.keep[l.name]))) for l in group)
            name = group[0].name if cfg.scope == "layer" else "all"
            step = name if cfg.rounds == 1 else f"{name}/round-{r}"
            kept = keep_exactly(pruning_qubo(imp, block_diag(*blocks), 1.0), imp, target, cfg.solver,
                                path=cfg.exact_k, sampler=ctx.sampler, journal=ctx.journal, journal_config=cfg, step=step,
                                steps=cfg.capacity_steps)
            state = _at_least_one_each(kept.state.astype(bool), [a.size for a in alive], imp)
            for l, a, part in zip(group, alive, np.split(state, np.cumsum([a.size for a in alive])[:-1])):
                masks[l.name] = np.zeros(l.units, dtype=bool)
                masks[l.name][a[part]] = True
                f = facts[l.name]
                f.update(path=kept.path, energy=kept.energy, solves=f["solves"] + len(kept.history),
                         repaired_flips=f["repaired_flips"] + kept.repaired_flips, history=f["history"] + kept.history)
            ctx.tick(name)
    return masks, facts


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


def qubo(ctx: PruneContext):
    return _qubo(ctx, ctx.config.importance)


def l1_qubo(ctx: PruneContext):
    return _qubo(ctx, {"l1": 1.0})


def _ranked(ctx: PruneContext, criterion: str):
    masks = {l.name: top_k(ctx.scores[l.name].criterion(criterion), ctx.keep[l.name]) for l in ctx.layers}
    return masks, {}


def taylor_topk(ctx: PruneContext):
    return _ranked(ctx, "taylor")


def l1(ctx: PruneContext):
    return _ranked(ctx, "l1")


def random(ctx: PruneContext):
    rng = np.random.default_rng(ctx.config.seed)
    masks = {}
    for layer in ctx.layers:
        mask = np.zeros(layer.units, dtype=bool)
        mask[rng.choice(layer.units, ctx.keep[layer.name], replace=False)] = True
        masks[layer.name] = mask
    return masks, {}


def taylor_greedy(ctx: PruneContext):
    masks = {l.name: np.ones(l.units, dtype=bool) for l in ctx.layers}
    removed = 0
    while True:
        over = [l.name for l in ctx.layers if masks[l.name].sum() > ctx.keep[l.name]]
        if not over:
            break
        scores = unit_scores(ctx.model, ctx.layers, ctx.x, ctx.y, loss=ctx.config.loss, masks=masks)
        best = None
        for name in over:
            t, alive = scores[name].taylor, masks[name]
            rel = t / max(t[alive].mean(), 1e-300)
            unit = int(np.flatnonzero(alive)[np.argmin(rel[alive])])
            if best is None or rel[unit] < best[0]:
                best = (rel[unit], name, unit)
        masks[best[1]][best[2]] = False
        removed += 1
        ctx.tick("greedy")
    return masks, {"*": {"removed": removed}}


METHOD_FUNCTIONS = {"qubo": qubo, "qubo-refined": qubo, "l1-qubo": l1_qubo, "taylor-topk": taylor_topk, "l1": l1,
                    "taylor-greedy": taylor_greedy, "random": random}
