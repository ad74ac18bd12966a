"""Quantize one linear layer with a PTQ method (:mod:`annealq.ptq.methods`).

All three share the grids (per-channel weight scales, per-layer bias grid) and the
calibration Gram matrix, so they differ only in how each weight's level is chosen.

Example:
    >>> import numpy as np
    >>> from annealq.ptq import QuantConfig
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

import numpy as np

from annealq.formulations import Grid, augment, bias_grid, grams_objective, rounding_problem
from annealq.ptq.config import QuantConfig
from annealq.ptq.methods import LayerContext, get_method


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
        out = {"weight_int": self.weight_grid.signed(self.weight_grid.codes(self.weight)),
               "weight_scale": self.weight_grid.scale, "bits": self.weight_grid.bits}
        if self.bias is not None:
            col = self.bias[:, None]
            out["bias_int"] = self.bias_grid.signed(self.bias_grid.codes(col))[:, 0]
            out["bias_scale"] = float(self.bias_grid.scale[0])
            out["bias_bits"] = self.bias_grid.bits
        return out


def check_weights(weight, bias, name: str = "layer"):
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"{name}: weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or (bias is not None and not np.all(np.isfinite(bias))):
        raise ValueError(f"{name}: weights or bias hold NaN/inf values; quantize a trained, finite model")
    return w, None if bias is None else np.asarray(bias, dtype=np.float64)


def check_inputs(inputs, fan_in: int, name: str = "layer") -> np.ndarray:
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name}: calibration inputs are empty or not (samples, features): shape {x.shape}")
    if x.shape[1] != fan_in:
        raise ValueError(f"{name}: calibration inputs have {x.shape[1]} features but the layer takes {fan_in}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: calibration inputs hold NaN/inf values")
    return x


def input_grams(inputs, float_inputs, with_bias: bool) -> dict:
    """The Gram matrices of calibration inputs ``(N, f)`` (see :func:`grams_objective`)."""
    xq = augment(inputs, with_bias)
    if float_inputs is None:
        return {"gram": xq.T @ xq}
    xf = augment(float_inputs, with_bias)
    return {"gram": xq.T @ xq, "cross": xf.T @ xq, "float_gram": xf.T @ xf}


def quantize_layer(weight, bias, inputs=None, config: QuantConfig = QuantConfig(), *, float_inputs=None,
                   grams=None, name: str = "layer", journal=None, on_answer=None, executor=None) -> LayerQuantization:
    """Quantize ``weight`` ``(n, f)`` and ``bias`` ``(n,)`` given calibration ``inputs`` ``(N, f)``.

    ``float_inputs``: the float network's inputs to this layer when ``inputs`` come from the
    quantized layers before it; the QUBO then aims at the float layer's output and every
    method is scored against it.  GPTQ runs as published (float weights on the quantized
    inputs): measured on digits, feeding it the least-squares target instead is worse.
    ``grams``: instead of ``inputs``, one dict per group of output channels (a convolution's
    ``groups``; the rows of ``weight`` split evenly) of accumulated ``gram`` (and ``cross``,
    ``float_gram``), as :class:`annealq.nn.layers.GramAccumulator` gives; one rounding
    problem per group, on grids fitted to the whole layer.
    ``journal``: a journal step; neuron answers it holds for this very problem are reused, not
    sent again; ``on_answer`` sees each new one as it arrives.
    """
    start = time.perf_counter()
    w, b = check_weights(weight, bias, name)
    if grams is None:
        x = check_inputs(inputs, w.shape[1], name)
        fx = None if float_inputs is None else check_inputs(float_inputs, w.shape[1], name)
        grams = [input_grams(x, fx, b is not None)]
    wg = Grid.fit(w, config.bits, config.scale)
    bg = None if b is None else bias_grid(b, config.bias_bits)
    per = w.shape[0] // len(grams)
    parts = []
    for g, gram in enumerate(grams):
        rows = np.arange(g * per, (g + 1) * per)
        parts.append(_quantize_group(w[rows], None if b is None else b[rows], gram, config, rows, wg, bg,
                                     journal, executor, on_answer))
    q = np.vstack([p[0] for p in parts])
    energies = np.concatenate([p[1] for p in parts])
    scales = np.concatenate([p[2] for p in parts])
    info = {"method": config.method, **_merge_info([p[3] for p in parts])}
    qw, qb = (q[:, :-1], q[:, -1]) if b is not None else (q, None)
    return LayerQuantization(qw, qb, Grid.symmetric(config.bits, scales), bg, energies, time.perf_counter() - start,
                             info)


#: per-group figures that add up over a layer's groups (the others are the same in every group)
SUMMED = ("dead_inputs", "resumed_neurons", "stale_answers_solved_again", "route_best_energy", "qubo_energy",
          "neurons_kept_from_warm_start")


def _merge_info(infos: list[dict]) -> dict:
    """One info dict for a layer's groups: :data:`SUMMED` figures added up, the rest from the first group."""
    if len(infos) == 1:
        return infos[0]
    merged = dict(infos[0], groups=len(infos))
    merged.update({key: sum(i[key] for i in infos) for key in SUMMED if key in infos[0]})
    return merged


def _quantize_group(w, b, gram, config, rows, layer_wg, layer_bg, journal, executor, on_answer):
    """One group of output channels: ``(weights [W b], errors, scales, info)``."""
    target = w if b is None else np.hstack([w, b[:, None]])
    plain = grams_objective(target, **gram)
    objective = grams_objective(target, **gram, prior=config.prior) if config.prior else plain
    bg = None if layer_bg is None else Grid.symmetric(layer_bg.bits, layer_bg.scale[rows])
    method = get_method(config.method)

    def problem_on(grid, obj):
        return rounding_problem(w, b, weight_grid=grid, bias_grid=bg, levels=config.levels, objective=obj,
                                neuron_ids=rows)

    def context(grid, step):
        return LayerContext(problem_on(grid, objective), config, grid, bg, step, executor, on_answer)

    def scored(ctx, q):  # the reconstruction error, without the prior
        return (ctx.problem if objective is plain else problem_on(ctx.weight_grid, plain)).errors(q)

    ctx = context(Grid.symmetric(config.bits, layer_wg.scale[rows]), journal)
    q, info = method(ctx)
    errors = scored(ctx, q)
    scale = ctx.weight_grid.scale
    for r in range(config.refits):
        # seeds: the answer, and for the QUBO its warm starts too (the scale fitted to GPTQ's codes can be better)
        seeds = [q] + ([ctx.rtn, ctx.gptq] if config.method == "qubo" else [])
        step = None if journal is None else journal.journal.step(journal.workflow, journal.config,
                                                                  f"{journal.step}/refit-{r + 1}")
        scales = refit_scales(ctx.problem, seeds, ctx.weight_grid, b is not None)
        trial = context(Grid.symmetric(config.bits, scales), step)
        new_q, _ = method(trial)
        new_errors = scored(trial, new_q)
        better = new_errors < errors
        q[better], errors[better] = new_q[better], new_errors[better]
        scale = np.where(better, trial.weight_grid.scale, scale)
        ctx = trial if better.all() else context(Grid.symmetric(config.bits, scale), None)
    info["scale_refits"] = config.refits
    return q, errors, scale, info


def refit_scales(problem, seeds: list, grid: Grid, with_bias: bool) -> np.ndarray:
    """Per-channel least-squares scales for the integer codes of the ``seeds`` (bias fixed): ``(n,)``.

    The error is quadratic in a channel's scale ``s`` with its codes ``z`` fixed:
    ``s* = z^T (C t - G_wb b) / z^T G_ww z``.  Each channel takes the seed whose refitted
    weights have the lowest error (a channel whose ``s*`` is not positive keeps its scale).
    """
    f = problem.fan_in - with_bias
    g = problem.gram
    best_scale, best_error = grid.scale.copy(), np.full(len(grid.scale), np.inf)
    for q in seeds:
        z = grid.signed(grid.codes(q[:, :f])).astype(np.float64)
        field = problem.target_field[:, :f]
        if with_bias:
            field = field - q[:, f:] @ g[f:, :f]
        num = np.einsum("ij,ij->i", z, field)
        den = np.einsum("ij,jk,ik->i", z, g[:f, :f], z)
        s = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        s = np.where(s > 0, s, grid.scale)
        refit = np.hstack([s[:, None] * z, q[:, f:]])
        err = problem.errors(refit)
        better = err < best_error
        best_scale[better], best_error[better] = s[better], err[better]
    return best_scale
