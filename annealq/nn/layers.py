"""Quantizable layers as matrices: ``nn.Linear`` and ``nn.Conv1d``/``nn.Conv2d`` seen as neurons over patches.

A convolution's output channel is a neuron whose inputs are the unfolded input patches:
``C_in / groups * prod(kernel)`` of them (plus 1 with a bias), one patch per output position.
Its weight matrix is ``(C_out, C_in / groups * prod(kernel))`` (channel-major, as torch stores
it), and its channels split into ``groups`` blocks that see disjoint input channels: one
rounding problem per block.  The Gram matrices of the patches are accumulated over batches,
so no more than a bounded number of patches exists at once.

Example:
    >>> import torch
    >>> conv = torch.nn.Conv2d(4, 6, 3, padding=1, groups=2)
    >>> spec = LayerSpec.of(conv)
    >>> spec.groups, spec.fan_in, spec.weight_matrix().shape
    (2, 18, (6, 18))
    >>> patches(conv, torch.rand(5, 4, 8, 8)).shape  # groups, samples x positions, fan-in
    torch.Size([2, 320, 18])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

QUANTIZABLE = (nn.Linear, nn.Conv1d, nn.Conv2d)
PATCH_ELEMENTS = 1 << 22  # patch values unfolded at once (float32: 16 MB) while accumulating Gram matrices


def quantizable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``nn.Linear``, ``nn.Conv1d`` and ``nn.Conv2d`` modules in registration order (forward order)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, QUANTIZABLE)]


@torch.no_grad()
def forward_order(model: nn.Module, layers: list, example: torch.Tensor) -> tuple[list, list]:
    """``(called, never_called)``: ``layers`` (name, module) sorted by their first call on ``example``."""
    order: list[str] = []
    hooks = [m.register_forward_hook(lambda mod, args, out, name=name: order.append(name)) for name, m in layers]
    try:
        model.eval()(example)
    finally:
        for h in hooks:
            h.remove()
    rank = {n: i for i, n in enumerate(dict.fromkeys(order))}
    called = sorted((item for item in layers if item[0] in rank), key=lambda item: rank[item[0]])
    return called, [item for item in layers if item[0] not in rank]


@dataclass(frozen=True)
class LayerSpec:
    """A quantizable layer's shape: ``out_channels`` neurons in ``groups`` blocks of ``fan_in`` weights."""

    layer: nn.Module
    out_channels: int
    fan_in: int
    groups: int

    @classmethod
    def of(cls, layer: nn.Module) -> "LayerSpec":
        if isinstance(layer, nn.Linear):
            return cls(layer, layer.out_features, layer.in_features, 1)
        if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
            w = layer.weight
            return cls(layer, w.shape[0], int(np.prod(w.shape[1:])), layer.groups)
        kinds = [t.__name__ for t in QUANTIZABLE]
        raise TypeError(f"{type(layer).__name__} is not quantizable: annealq quantizes {kinds}")

    @property
    def kind(self) -> str:
        return type(self.layer).__name__

    def weight_matrix(self) -> np.ndarray:
        """``(out_channels, fan_in)`` float64."""
        return self.layer.weight.detach().double().cpu().reshape(self.out_channels, -1).numpy()

    def bias(self) -> np.ndarray | None:
        b = self.layer.bias
        return None if b is None else b.detach().double().cpu().numpy()

    def group_rows(self, g: int) -> slice:
        per = self.out_channels // self.groups
        return slice(g * per, (g + 1) * per)

    @torch.no_grad()
    def write(self, weight: np.ndarray, bias: np.ndarray | None) -> None:
        """Copy a ``(out_channels, fan_in)`` weight matrix (and bias) into the layer."""
        w = self.layer.weight
        w.copy_(torch.as_tensor(weight, dtype=w.dtype).reshape(w.shape))
        if bias is not None:
            self.layer.bias.copy_(torch.as_tensor(bias, dtype=self.layer.bias.dtype))


def patches(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``(groups, rows, fan_in)``: what each output position of ``layer`` multiplies with its weights."""
    if isinstance(layer, nn.Linear):
        return x.reshape(1, -1, x.shape[-1])
    conv2d = isinstance(layer, nn.Conv2d)
    mode = "constant" if layer.padding_mode == "zeros" else layer.padding_mode
    x = F.pad(x, layer._reversed_padding_repeated_twice, mode=mode)
    if not conv2d:
        x = x.unsqueeze(2)  # (B, C, 1, L): a height-1 image
    pair = (lambda v: tuple(v)) if conv2d else (lambda v: (1, v[0]))
    (kh, kw), (sh, sw), (dh, dw) = pair(layer.kernel_size), pair(layer.stride), pair(layer.dilation)
    # strided views (no im2col): windows of the dilated span, then every dilation-th element
    win = x.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)[..., ::dh, ::dw]
    b, c, lh, lw = win.shape[:4]
    g = layer.groups
    # (B, C, Lh, Lw, kh, kw), channel-major like the weight -> (groups, B * Lh * Lw, C / groups * kh * kw)
    win = win.reshape(b, g, c // g, lh, lw, kh, kw).permute(1, 0, 3, 4, 2, 5, 6)
    return win.reshape(g, b * lh * lw, (c // g) * kh * kw)


class GramAccumulator:
    """Per group, ``X~_q^T X~_q`` (and ``X~_f^T X~_q``, ``X~_f^T X~_f`` when float inputs are given)."""

    def __init__(self, spec: LayerSpec, with_bias: bool, paired: bool):
        k = spec.fan_in + with_bias
        self.with_bias, self.paired = with_bias, paired
        shape = (spec.groups, k, k)
        self.gram = np.zeros(shape)
        self.cross = np.zeros(shape) if paired else None
        self.float_gram = np.zeros(shape) if paired else None
        self.spec = spec

    def _augment(self, p: torch.Tensor) -> torch.Tensor:
        p = p.double()
        return torch.cat([p, torch.ones(*p.shape[:-1], 1, dtype=p.dtype)], dim=-1) if self.with_bias else p

    def add(self, quantized: torch.Tensor, floating: torch.Tensor | None = None) -> None:
        """Add a batch of layer inputs (as the layer receives them)."""
        layer = self.spec.layer
        kernel = 1 if isinstance(layer, nn.Linear) else int(np.prod(layer.kernel_size))
        step = max(1, PATCH_ELEMENTS // max(1, quantized[0].numel() * kernel))  # samples unfolded at once
        for lo in range(0, quantized.shape[0], step):
            pq = self._augment(patches(layer, quantized[lo:lo + step]))
            self.gram += (pq.transpose(1, 2) @ pq).numpy()
            if self.paired:
                pf = self._augment(patches(layer, floating[lo:lo + step]))
                self.cross += (pf.transpose(1, 2) @ pq).numpy()
                self.float_gram += (pf.transpose(1, 2) @ pf).numpy()

    def objective(self, g: int) -> dict:
        """Block ``g``'s Gram matrices: ``gram`` (and ``cross``, ``float_gram``)."""
        out = {"gram": self.gram[g]}
        if self.paired:
            out.update(cross=self.cross[g], float_gram=self.float_gram[g])
        return out


@torch.no_grad()
def layer_grams(layer: nn.Module, model: nn.Module, calibration: torch.Tensor, *, float_model: nn.Module | None = None,
                float_layer: nn.Module | None = None, batch_size: int = 256) -> GramAccumulator:
    """Gram matrices of ``layer``'s inputs when ``model`` runs on ``calibration``, batch by batch.

    With ``float_model`` (and its copy of the layer, ``float_layer``) the float network runs on
    the same batches and the cross terms for a float target are accumulated too.
    """
    spec = LayerSpec.of(layer)
    acc = GramAccumulator(spec, layer.bias is not None, float_model is not None)
    seen: dict[str, torch.Tensor] = {}

    def capture(key):
        def hook(module, args, out):
            seen[key] = args[0].detach()
        return hook

    hooks = [layer.register_forward_hook(capture("q"))]
    if float_model is not None:
        hooks.append(float_layer.register_forward_hook(capture("f")))
    try:
        model.eval()
        if float_model is not None:
            float_model.eval()
        for chunk in torch.split(calibration, batch_size):
            seen.clear()
            model(chunk)
            if float_model is not None:
                float_model(chunk)
            if "q" not in seen:
                raise RuntimeError(f"the {spec.kind} layer was not called by the model's forward pass")
            acc.add(seen["q"].float(), seen.get("f"))
    finally:
        for h in hooks:
            h.remove()
    return acc
