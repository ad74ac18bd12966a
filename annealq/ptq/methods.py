"""PTQ methods, pluggable by name: each picks every weight's grid level of one layer.

A method is a function ``method(layer) -> (weights, info)`` of a :class:`LayerContext` (the
layer's rounding problem, grids, config, and the round-to-nearest and GPTQ answers, built on
first use), registered with :func:`register_method`.  Built in: ``rtn``, ``gptq``,
``adaround`` (learned rounding by a continuous relaxation) and ``qubo`` (the exact rounding
QUBO, solved through :func:`annealq.solve`).

Example:
    >>> sorted(method_names())
    ['adaround', 'gptq', 'qubo', 'rtn']
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from annealq.formulations import Grid, LayerProblem, refit_bias
from annealq.ptq.adaround import adaround
from annealq.ptq.gptq import gptq
from annealq.samplers.solve import solve
from annealq.workflows import Registry

_METHODS = Registry("PTQ method")


def register_method(name: str, method: Callable | None = None):
    """Register ``method(layer: LayerContext) -> (weights (n, f1), info dict)`` as ``name`` (or decorate)."""
    return _METHODS.register(name, method)


method_names, get_method = _METHODS.names, _METHODS.get


@dataclass(eq=False)
class LayerContext:
    """One layer as the methods see it.

    Attributes:
        problem: the layer's rounding problem (target ``[W b]``, Gram matrix, windows).
        config: the :class:`~annealq.ptq.QuantConfig`.
        weight_grid, bias_grid: the grids (bias grid None without a bias).
        journal: a journal step for the QUBO's answers (resume), or None.
        executor: a ``concurrent.futures.Executor`` for per-neuron routes, or None.
        on_answer: called with each new neuron answer.
    """

    problem: LayerProblem
    config: object
    weight_grid: Grid
    bias_grid: Grid | None
    journal: object = None
    executor: object = None
    on_answer: Callable | None = None

    @cached_property
    def rtn(self) -> np.ndarray:
        t, fan_in = self.problem.target, self.problem.fan_in
        weights = t[:, :fan_in - 1] if self.bias_grid is not None else t
        parts = [self.weight_grid.nearest(weights)]
        if self.bias_grid is not None:
            parts.append(self.bias_grid.nearest(t[:, -1:]))
        return np.hstack(parts)

    @cached_property
    def gptq(self) -> np.ndarray:
        f = self.problem.fan_in - (self.bias_grid is not None)
        grids = [self.weight_grid] * f + ([self.bias_grid] if self.bias_grid is not None else [])
        return gptq(self.problem.target, self.problem.gram, grids, self.config.gptq_damp)


@register_method("rtn")
def round_to_nearest(layer: LayerContext):
    return layer.rtn, {}


@register_method("gptq")
def gptq_method(layer: LayerContext):
    return layer.gptq, {}


@register_method("adaround")
def adaround_method(layer: LayerContext):
    q = adaround(layer.problem)
    return (q if layer.bias_grid is None else refit_bias(layer.problem, q, layer.bias_grid)), {}


@register_method("qubo")
def rounding_qubo(layer: LayerContext):
    """The exact rounding QUBO; no neuron ends worse than its RTN and GPTQ warm starts."""
    problem, config = layer.problem, layer.config
    warm_answers = [layer.rtn, layer.gptq] if config.warm_start else []
    warm = np.stack([problem.encode(a) for a in warm_answers], axis=1) if warm_answers else None
    journal = layer.journal
    answers = solve(problem, config=config.solver, warm_starts=warm, executor=layer.executor, journal=journal,
                    on_answer=layer.on_answer)  # the solver config carries the chain strength
    reused = [a for a in answers if a.info.get("recorded")]
    states = np.stack([a.state for a in answers])
    q = problem.decode(states)
    candidates = [q] + warm_answers
    if layer.bias_grid is not None:
        candidates = [refit_bias(problem, c, layer.bias_grid) for c in candidates]
    # A warm start outside the QUBO's candidate window (GPTQ can move a weight or the bias past
    # its floor/ceil pair) cannot be encoded; keep it where it is better, and count it.
    errors = np.stack([problem.errors(c) for c in candidates])
    pick = np.argmin(errors, axis=0)
    q = np.stack(candidates)[pick, np.arange(problem.num_neurons)]
    info = {"route": config.route, "levels": problem.meta["levels"], "variables": problem.num_variables,
            "dead_inputs": problem.meta["dead_inputs"], "resumed_neurons": len(reused),
            "stale_answers_solved_again": 0 if journal is None else journal.stale,
            "route_best_energy": float(sum(a.sampleset.first.energy for a in answers)),
            "qubo_energy": float(errors[0].sum()), "neurons_kept_from_warm_start": int((pick > 0).sum())}
    return q, info
