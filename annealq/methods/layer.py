"""Quantize one linear layer with a method: ``rtn``, ``gptq`` or ``qubo``.

All three share the grids (per-channel weight scales, per-layer bias grid) and the
calibration Gram matrix, so they differ only in how each weight's level is chosen.

Example:
    >>> import numpy as np
    >>> from annealq.config import QuantConfig
    >>> rng = np.random.default_rng(0)
    >>> W, b, X = rng.normal(size=(3, 5)), rng.normal(size=3), rng.normal(size=(50, 5))
    >>> errs = {m: quantize_layer(W, b, X, QuantConfig(bits=2, method=m, route="exact")).recon_error
    ...         for m in ("rtn", "gptq", "qubo")}
    >>> errs["qubo"] <= min(errs["rtn"], errs["gptq"])
    True
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from annealq.compile.bqm import neuron_bqm, problem_hash, same_problem
from annealq.config import QuantConfig
from annealq.formulations import Grid, bias_grid, refit_bias, rounding_problem
from annealq.methods.gptq import gptq
from annealq.samplers.layer import NeuronAnswer, solve_layer


@dataclass
class LayerQuantization:
    """A quantized layer: weights on the grid, their integer codes and scales, and figures."""

    weight: np.ndarray
    bias: np.ndarray | None
    weight_grid: Grid
    bias_grid: Grid | None
    energies: np.ndarray  # per-neuron reconstruction error on the calibration inputs
    seconds: float
    info: dict = field(default_factory=dict)

    @property
    def recon_error(self) -> float:
        return float(self.energies.sum())

    def integers(self) -> dict:
        """Integer weights (int8) and scales: ``w = weight_scale[:, None] * weight_int``."""
        out = {"weight_int": self.weight_grid.integers(self.weight_grid.nearest(self.weight)),
               "weight_scale": self.weight_grid.scale, "bits": self.weight_grid.bits}
        if self.bias is not None:
            col = self.bias[:, None]
            out["bias_int"] = self.bias_grid.integers(self.bias_grid.nearest(col))[:, 0]
            out["bias_scale"] = float(self.bias_grid.scale[0])
            out["bias_bits"] = self.bias_grid.bits
        return out


def check_layer(weight, bias, inputs, name: str = "layer"):
    w = np.asarray(weight, dtype=np.float64)
    x = np.asarray(inputs, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"{name}: weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or (bias is not None and not np.all(np.isfinite(bias))):
        raise ValueError(f"{name}: weights or bias hold NaN/inf values; quantize a trained, finite model")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name}: calibration inputs are empty or not (samples, features): shape {x.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{name}: calibration inputs have {x.shape[1]} features but the layer takes {w.shape[1]}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: calibration inputs hold NaN/inf values")
    return w, None if bias is None else np.asarray(bias, dtype=np.float64), x


def quantize_layer(weight, bias, inputs, config: QuantConfig, *, float_inputs=None, name: str = "layer",
                   on_answer: Callable[[NeuronAnswer], None] | None = None,
                   answers: dict[int, NeuronAnswer] | None = None, executor=None) -> LayerQuantization:
    """Quantize ``weight`` ``(n, f)`` and ``bias`` ``(n,)`` given calibration ``inputs`` ``(N, f)``.

    ``float_inputs``: the float network's inputs to this layer when ``inputs`` come from the
    quantized layers before it; the QUBO then aims at the float layer's output and every
    method is scored against it.  GPTQ runs as published (float weights on the quantized
    inputs): measured on digits, feeding it the least-squares target instead is worse.
    ``answers`` holds neuron answers already solved (a resumed run): they are reused, not
    sent again; ``on_answer`` sees each new one as it arrives.
    """
    start = time.perf_counter()
    w, b, x = check_layer(weight, bias, inputs, name)
    if float_inputs is not None:
        float_inputs = check_layer(weight, bias, float_inputs, name)[2]
    wg = Grid.fit(w, config.bits, config.scale)
    bg = None if b is None else bias_grid(b, config.bias_bits)
    problem = rounding_problem(w, b, x, weight_grid=wg, bias_grid=bg, levels=config.levels, float_inputs=float_inputs)
    rtn = np.hstack([wg.quantize(w)] + ([bg.quantize(b[:, None])] if bg is not None else []))
    info = {"method": config.method}
    if config.method == "rtn":
        q = rtn
    else:
        q_gptq = gptq(problem.target, problem.gram,
                      [wg] * w.shape[1] + ([bg] if bg is not None else []), config.gptq_damp)
        if config.method == "gptq":
            q = q_gptq
        else:
            q, qubo_info = _qubo(problem, config, rtn, q_gptq, answers or {}, on_answer, executor, bg)
            info.update(qubo_info)
    energies = problem.errors(q)
    qw, qb = (q[:, :-1], q[:, -1]) if b is not None else (q, None)
    return LayerQuantization(qw, qb, wg, bg, energies, time.perf_counter() - start, info)


def _current(problem, answers: dict[int, NeuronAnswer]) -> dict[int, NeuronAnswer]:
    """The recorded answers whose problem is the one built now (same data, model and grids)."""
    def same(i, answer):
        built = neuron_bqm(problem, i)
        if answer.bqm is not None:
            return same_problem(answer.bqm, built)
        return answer.problem_hash in (None, problem_hash(built))

    return {i: a for i, a in answers.items() if i < problem.num_neurons and same(i, a)}


def _chain_strength(config: QuantConfig):
    """The config's chain-strength prefactor as a policy, for routes that embed."""
    from annealq.embedding import chain_strength_policy

    return chain_strength_policy("uniform_torque_compensation", prefactor=config.chain_strength)


def _qubo(problem, config, rtn, q_gptq, answers, on_answer, executor, bias_grid):
    recorded, answers = len(answers), _current(problem, answers)
    warm = np.stack([problem.encode(rtn), problem.encode(q_gptq)], axis=1) if config.warm_start else None
    new = solve_layer(problem, config.route, num_reads=config.num_reads, num_sweeps=config.num_sweeps,
                      seed=config.seed, warm_starts=warm, workers=config.workers, executor=executor,
                      skip=set(answers), on_answer=on_answer, chain_strength=_chain_strength(config))
    solved = {**answers, **{a.neuron: a for a in new}}
    states = np.stack([solved[i].state for i in range(problem.num_neurons)])
    raw_best = np.array([solved[i].sampleset.first.energy for i in range(problem.num_neurons)])
    q = problem.decode(states)
    candidates = [q, rtn, q_gptq] if config.warm_start else [q]
    if bias_grid is not None:
        candidates = [refit_bias(problem, c, bias_grid) for c in candidates]
    # A warm start outside the QUBO's candidate window (GPTQ can move a weight or the bias past
    # its floor/ceil pair) cannot be encoded; keep it where it is better, and count it.
    errors = np.stack([problem.errors(c) for c in candidates])
    pick = np.argmin(errors, axis=0)
    q = np.stack(candidates)[pick, np.arange(problem.num_neurons)]
    info = {"route": config.route, "levels": problem.meta["levels"], "variables": problem.num_variables,
            "dead_inputs": problem.meta["dead_inputs"], "resumed_neurons": len(answers),
            "stale_answers_solved_again": recorded - len(answers),
            "route_best_energy": float(raw_best.sum()), "qubo_energy": float(errors[0].sum()),
            "neurons_kept_from_warm_start": int((pick > 0).sum())}
    return q, info
