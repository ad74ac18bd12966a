"""The PTQ pipeline: quantize every ``nn.Linear``, ``nn.Conv1d`` and ``nn.Conv2d`` of a model, layer by layer.

Example:
    >>> import torch, annealq
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> result = annealq.quantize(model, torch.rand(64, 6), annealq.QuantConfig(bits=2, route="sa", num_reads=4))
    >>> [layer.name for layer in result.layers]
    ['0', '2']
    >>> mixed = annealq.quantize(model, torch.rand(64, 6), annealq.QuantConfig(bits=4, layer_bits={"2": 1}, route="sa",
    ...                                                                        num_reads=4))
    >>> [layer.quantization.weight_grid.bits for layer in mixed.layers]
    [4, 1]
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from annealq.nn.layers import LayerSpec, forward_order, layer_grams, quantizable_layers
from annealq.nn.modules import as_tensor, float_dtype, passed_through
from annealq.ptq.config import QuantConfig
from annealq.ptq.layer import LayerQuantization, quantize_layer
from annealq.report.tables import Column
from annealq.workflows import register_workflow, run


@dataclass
class LayerReport:
    """What happened to one layer: ``out_features`` neurons (channels) of ``in_features`` weights each.

    ``kind``: ``Linear``, ``Conv1d`` or ``Conv2d``; ``weight_shape``: the torch weight's shape;
    ``groups``: a convolution's groups (one rounding problem each).
    """

    name: str
    in_features: int
    out_features: int
    quantization: LayerQuantization
    kind: str = "Linear"
    weight_shape: tuple = ()
    groups: int = 1

    @property
    def recon_error(self) -> float:
        return self.quantization.recon_error

    @property
    def seconds(self) -> float:
        return self.quantization.seconds

    @property
    def energies(self) -> np.ndarray:
        return self.quantization.energies

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "groups": self.groups, "in_features": self.in_features,
                "out_features": self.out_features,
                "recon_error": self.recon_error, "seconds": self.seconds,
                "energies": self.energies.tolist(), "info": self.quantization.info}


@dataclass
class QuantizationResult:
    """The quantized copy of the model and per-layer figures."""

    model: nn.Module
    config: QuantConfig
    layers: list[LayerReport]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def recon_error(self) -> float:
        """Summed reconstruction error of all layers on their calibration inputs."""
        return float(sum(layer.recon_error for layer in self.layers))

    @property
    def seconds(self) -> float:
        return float(sum(layer.seconds for layer in self.layers))

    def export(self) -> dict[str, dict[str, torch.Tensor]]:
        """Integer weights and scales per layer: ``weight = weight_scale[:, None, ...] * weight_int``.

        ``weight_int`` has the torch weight's shape (a convolution's ``(C_out, C_in / groups, *kernel)``).
        """
        out = {}
        for layer in self.layers:
            ints = layer.quantization.integers()
            if layer.weight_shape:
                ints["weight_int"] = ints["weight_int"].reshape(layer.weight_shape)
            out[layer.name] = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in ints.items()}
        return out


def quantize(model: nn.Module, calibration, config=QuantConfig(), **kwargs):
    """Quantize ``model`` (see :func:`quantize_model`); another workflow's config is refused."""
    return run("ptq", model, calibration, config, **kwargs)


@register_workflow("ptq", "annealq.quantize", QuantConfig, row_key=("method", "bits"), columns=(
    Column("method"), Column("bits"), Column("accuracy", kind="percent"), Column("output_error", kind="number"),
    Column("recon_error", kind="number"), Column("seconds", kind="seconds")),
    scorer="annealq.ptq.decoded:decoded_accuracy")
def quantize_model(model: nn.Module, calibration, config: QuantConfig = QuantConfig(), *,
             progress: Callable[[str, int], None] | None = None, journal=None, executor=None) -> QuantizationResult:
    """Quantize every ``nn.Linear``, ``nn.Conv1d`` and ``nn.Conv2d`` of ``model`` (left untouched) in call order.

    Args:
        model: a feed-forward torch model; other layers with parameters pass through
            unquantized and are listed in ``result.skipped``.
        calibration: model inputs ``(N, ...)`` (tensor or array).
        config: a :class:`QuantConfig`.
        progress: called as ``progress(layer_name, 1)`` for each neuron solved.
        journal: a run journal (:class:`annealq.records.Journal`) that records every neuron
            answer (workflow ``ptq``, one step per layer) and lets an interrupted run resume
            without solving those neurons again.
        executor: a ``concurrent.futures.Executor`` (for example a Dask client's) for the
            per-neuron solving.
    """
    if journal is not None and not hasattr(journal, "step"):
        raise TypeError(f"journal must be an annealq.records.Journal (or None), got {type(journal).__name__}: "
                        f"pass Journal(run_dir)")
    modes = {m: m.training for m in model.modules()}
    try:
        return _quantize(model, calibration, config, progress, journal, executor)
    finally:  # the user's model is left exactly as it was, its mode included
        for m, training in modes.items():
            m.train(training)


def _quantize(model, calibration, config, progress, journal, executor) -> QuantizationResult:
    float_model = model
    quantized = copy.deepcopy(model).eval()
    targets = quantizable_layers(quantized)
    if not targets:
        raise ValueError(f"{type(model).__name__} has no nn.Linear, nn.Conv1d or nn.Conv2d layer: annealq quantizes "
                         f"those (other layers pass through); passed-through layers: {passed_through(model)}")
    originals = dict(quantizable_layers(float_model))
    # the model's own precision runs the forward passes; Gram matrices and solving are float64
    x = as_tensor(calibration, dtype=float_dtype(model))
    try:
        targets, unused = forward_order(quantized, targets, x[:2])
    except RuntimeError as err:
        raise ValueError(f"running the model on the calibration data failed: {err}") from err
    if not targets:
        raise ValueError(f"{type(model).__name__}'s forward pass calls none of its layers "
                         f"{', '.join(name for name, _ in unused)}: nothing would be quantized; quantize a model "
                         f"whose forward uses its nn.Linear / nn.Conv1d / nn.Conv2d modules")
    unknown = sorted(set(dict(config.layer_bits)) - {name for name, _ in targets})
    if unknown:
        raise ValueError(f"layer_bits names layers {unknown} that {type(model).__name__} does not quantize: its "
                         f"layers are {[name for name, _ in targets]}")
    reports = []
    for name, layer in targets:
        spec = LayerSpec.of(layer)
        try:
            if config.inputs == "quantized":
                acc = layer_grams(layer, quantized, x, float_model=float_model, float_layer=originals[name])
            else:
                acc = layer_grams(originals[name], float_model, x)
        except RuntimeError as err:
            raise ValueError(f"running the model on the calibration data failed before layer {name!r}: {err}") from err
        step = journal.step("ptq", config, name) if journal is not None else None
        on_answer = None if progress is None else (lambda answer, name=name: progress(name, 1))
        q = quantize_layer(spec.weight_matrix(), spec.bias(), config=config.for_layer(name), name=name,
                           executor=executor, journal=step, on_answer=on_answer,
                           grams=[acc.objective(g) for g in range(spec.groups)])
        spec.write(q.weight, q.bias)
        reports.append(LayerReport(name, spec.fan_in, spec.out_channels, q, spec.kind, tuple(layer.weight.shape),
                                   spec.groups))
    skipped = passed_through(model) + [(name, f"{type(m).__name__} (not called)") for name, m in unused]
    return QuantizationResult(quantized, config, reports, skipped)
