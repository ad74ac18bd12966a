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

from annealq.formulations import Grid, bias_grid, rounding_problem
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
                   journal=None, on_answer=None, executor=None) -> LayerQuantization:
    """Quantize ``weight`` ``(n, f)`` and ``bias`` ``(n,)`` given calibration ``inputs`` ``(N, f)``.

    ``float_inputs``: the float network's inputs to this layer when ``inputs`` come from the
    quantized layers before it; the QUBO then aims at the float layer's output and every
    method is scored against it.  GPTQ runs as published (float weights on the quantized
    inputs): measured on digits, feeding it the least-squares target instead is worse.
    ``journal``: a journal step; neuron answers it holds for this very problem are reused, not
    sent again; ``on_answer`` sees each new one as it arrives.
    """
    start = time.perf_counter()
    w, b, x = check_layer(weight, bias, inputs, name)
    if float_inputs is not None:
        float_inputs = check_layer(weight, bias, float_inputs, name)[2]
    wg = Grid.fit(w, config.bits, config.scale)
    bg = None if b is None else bias_grid(b, config.bias_bits)
    problem = rounding_problem(w, b, x, weight_grid=wg, bias_grid=bg, levels=config.levels, float_inputs=float_inputs)
    layer = LayerContext(problem, config, wg, bg, journal, executor, on_answer)
    q, info = get_method(config.method)(layer)
    energies = problem.errors(q)
    qw, qb = (q[:, :-1], q[:, -1]) if b is not None else (q, None)
    return LayerQuantization(qw, qb, wg, bg, energies, time.perf_counter() - start, {"method": config.method, **info})
