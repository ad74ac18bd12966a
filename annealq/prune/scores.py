"""Per-unit importance and redundancy from a model and a calibration batch, by hooks.

For every prunable layer (:func:`annealq.prune.graph.prunable_layers`) the activation ``a`` of
each unit where its mask acts, and the loss gradient ``dL/da``, are captured by forward hooks
and tensor hooks, one forward/backward pass over the batch (loss averaged over samples).  The
hook hands a copy downstream, so an in-place activation after the mask point (``ReLU(inplace=True)``)
changes neither ``a`` nor ``dL/da``: they are the same as with the out-of-place activation.
Units tied by a residual add sum their layers' ``a * dL/da`` (the first-order effect of
removing the channel everywhere) and concatenate their activation maps.  With the per-sample
contributions ``z_s = sum_positions a * dL/da`` (``contributions``, ``(samples, units)``):

- ``taylor``: first-order Taylor, ``|sum_s z_s|`` (Molchanov et al.);
- ``fisher``: ``mean_s z_s^2`` (Theis et al.), the diagonal of ``Z^T Z / N``;
- ``l1``: the L1 norm of the unit's weights (its output rows / filters).

:func:`importance` divides each criterion by its mean within the layer (so the terms are
comparable) and mixes them with the stated weights.  Redundancy between the units of a layer
is the cosine similarity of their activation maps over the batch (``"cosine"``); centred
cosine (``"correlation"``, Pearson) is the alternative offered, compared in
``benchmarks/results/prune_denoise.json``.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from annealq.prune.graph import prunable_layers
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    >>> x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    >>> layers, _ = prunable_layers(model, x)
    >>> scores = unit_scores(model, layers, x, y)
    >>> scores["0"].taylor.shape, scores["0"].similarity("cosine").shape
    ((6,), (6, 6))
    >>> imp = importance(scores["0"], {"taylor": 0.5, "l1": 0.5})
    >>> bool(abs(imp.mean() - 1.0) < 1e-9)
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from annealq.data.checks import check_inputs, check_labels
from annealq.nn.modules import in_float32
from annealq.prune.graph import masked

from annealq.prune.registry import CRITERIA

SIMILARITIES = ("cosine", "correlation")


@dataclass
class UnitScores:
    """One layer's per-unit scores, per-sample contributions ``(samples, units)`` and activation maps
    ``(units, samples * positions)``."""

    taylor: np.ndarray
    fisher: np.ndarray
    l1: np.ndarray
    activations: np.ndarray
    contributions: np.ndarray

    def criterion(self, name: str) -> np.ndarray:
        if name not in CRITERIA:
            raise ValueError(f"importance criterion {name!r} does not exist: use one of {CRITERIA}")
        return getattr(self, name)

    def second_order(self, criterion: str) -> np.ndarray:
        """``(units, units)`` matrix ``M`` whose ``(1 - x)^T M (1 - x)`` estimates the loss change of removing
        the units with ``x = 0`` together: ``Z^T Z / N`` (``fisher``) or ``t t^T`` with ``t = sum_s z_s``
        (``taylor``); its diagonal is the criterion (squared, for Taylor)."""
        z = self.contributions
        if criterion == "fisher":
            return z.T @ z / z.shape[0]
        if criterion == "taylor":
            t = z.sum(0)
            return np.outer(t, t)
        raise ValueError(f"criterion {criterion!r} has no second-order term: use 'taylor' or 'fisher'")

    def similarity(self, kind: str = "cosine") -> np.ndarray:
        """``(units, units)`` similarity of the activation maps, zero on the diagonal."""
        if kind not in SIMILARITIES:
            raise ValueError(f"similarity {kind!r} does not exist: use one of {SIMILARITIES}")
        a = self.activations - (self.activations.mean(1, keepdims=True) if kind == "correlation" else 0.0)
        norm = np.linalg.norm(a, axis=1)
        a = a / np.where(norm > 0, norm, 1.0)[:, None]
        sim = a @ a.T
        np.fill_diagonal(sim, 0.0)
        return sim


def check_weights(weights: dict) -> dict:
    """Importance weights ``{criterion: weight >= 0}`` with a positive sum, or a clear error."""
    if not isinstance(weights, dict) or not weights:
        raise ValueError(f"importance must be a non-empty {{criterion: weight}} mapping over {CRITERIA}, got {weights!r}")
    for name, w in weights.items():
        if name not in CRITERIA:
            raise ValueError(f"importance criterion {name!r} does not exist: use one of {CRITERIA}")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not np.isfinite(w) or w < 0:
            raise ValueError(f"importance weight of {name!r} must be a finite number >= 0, got {w!r}")
    if sum(weights.values()) <= 0:
        raise ValueError("importance weights sum to 0: give at least one criterion a positive weight")
    return weights


def importance(scores: UnitScores, weights: dict) -> np.ndarray:
    """The weighted mix of the criteria, each divided by its mean in the layer (weights normalised)."""
    check_weights(weights)
    total = sum(weights.values())
    mix = np.zeros_like(scores.taylor)
    for name, w in weights.items():
        values = scores.criterion(name)
        mean = values.mean()
        mix += (w / total) * (values / mean if mean > 0 else values)
    return mix


def check_pair(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Calibration inputs (float32) and targets: integer class labels (one per sample, non-negative) or real
    targets (finite), with one clear line for anything else; :func:`check_outputs` checks them against the model."""
    x = torch.as_tensor(check_inputs(x, "data"), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if y.is_floating_point():
        y = torch.as_tensor(check_inputs(y, "data targets"))
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"data targets: {y.shape[0]} targets for {x.shape[0]} inputs; give one per sample")
    else:
        y = check_labels(y, "data labels", samples=x.shape[0])
    return x, y


def check_outputs(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str | None = None) -> None:
    """A clear line when ``model`` does not run on ``x`` or ``y`` does not fit its outputs under ``loss``."""
    try:
        with torch.no_grad(), in_float32(model):
            out = model.eval()(x[:2])
    except Exception as err:  # noqa: BLE001 (whatever the model raises on a wrong shape)
        raise ValueError(f"the model does not run on data inputs of shape {tuple(x.shape)} ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}); give inputs shaped as the model expects "
                         f"(samples first)") from None
    kind = loss or default_loss(y)
    if kind == "cross_entropy" and not y.is_floating_point():
        if out.ndim != 2:
            raise ValueError(f"loss 'cross_entropy' needs (samples, classes) outputs, the model gives "
                             f"{tuple(out.shape[1:])} per sample: pass real-valued targets (loss 'mse')")
        check_labels(y, "data labels", classes=out.shape[1])
    elif y[0].numel() != out[0].numel():
        raise ValueError(f"data targets: {tuple(y.shape[1:])} per sample, the model outputs {tuple(out.shape[1:])}; "
                         f"give targets shaped like the outputs, or integer class labels")


def default_loss(y) -> str:
    """``"cross_entropy"`` for integer labels, ``"mse"`` for real-valued targets."""
    return "cross_entropy" if not torch.is_floating_point(torch.as_tensor(y)) else "mse"


def _loss(kind: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if kind == "cross_entropy":
        return nn.functional.cross_entropy(out, y)
    if kind == "mse":
        return nn.functional.mse_loss(out, y.to(out.dtype).reshape(out.shape))
    raise ValueError(f"loss {kind!r} is not supported: use 'cross_entropy' or 'mse'")


def unit_scores(model: nn.Module, layers, x, y, *, loss: str | None = None, masks: dict | None = None,
                max_positions: int = 20_000) -> dict[str, UnitScores]:
    """Scores of every unit of ``layers`` on the batch ``(x, y)`` (under ``masks`` if given).

    ``max_positions`` caps the activation columns kept per layer for the similarity (an evenly
    spaced subset), so memory stays small on large feature maps.
    """
    x, y = check_pair(x, y)
    loss = loss or default_loss(y)
    captured: dict[int, torch.Tensor] = {}
    hooks = []

    def capture(module, args, out):
        out.retain_grad()
        captured[id(module)] = out
        return out.clone()  # what runs on (and any in-place op) is a copy: ``out`` keeps a, and dL/da

    was_training = model.training
    model.eval()
    with masked(model, layers, masks or {}), in_float32(model):  # a float16 model is scored at float32 precision
        for layer in layers:
            hooks += [point.register_forward_hook(capture) for point in layer.score_points]
        try:
            model.zero_grad(set_to_none=True)
            _loss(loss, model(x), y).backward()
        finally:
            for h in hooks:
                h.remove()
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return {layer.name: _layer_scores(layer, captured, max_positions) for layer in layers}


def _layer_scores(layer, captured: dict, max_positions: int) -> UnitScores:
    per_sample, maps = 0.0, []
    for point in layer.score_points:
        a = captured[id(point)].detach().double()
        g = captured[id(point)].grad
        g = torch.zeros_like(a) if g is None else g.double()
        per_sample = per_sample + (a * g).reshape(a.shape[0], a.shape[1], -1).sum(-1)  # (samples, units)
        maps.append(a.transpose(0, 1).reshape(a.shape[1], -1))
    maps = torch.cat(maps, 1)
    if maps.shape[1] > max_positions:
        maps = maps[:, torch.linspace(0, maps.shape[1] - 1, max_positions).long()]
    l1 = sum(m.weight.detach().double().abs().reshape(m.weight.shape[0], -1).sum(1) for m in layer.modules)
    return UnitScores(taylor=per_sample.sum(0).abs().numpy(), fisher=(per_sample ** 2).mean(0).numpy(),
                      l1=l1.numpy(), activations=maps.numpy(), contributions=per_sample.numpy())
