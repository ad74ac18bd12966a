"""Baselines on the same inputs, architecture (no biases), levels and scales as the QNN workflow.

- ``float``: the float network, mini-batch Adam on the same loss.
- ``ste``: quantization-aware training with the straight-through estimator (BinaryConnect
  generalised to the layer's levels): latent real weights in [-1, 1], forward with
  ``s_l * nearest_level(w)`` (the same per-layer scales and levels as the trained network),
  gradient straight through, latent weights clipped; mini-batch Adam.  :func:`tuned_ste`
  picks the learning rate and the epochs from a small grid on a held-out part of the
  training set, then trains on the whole training set.
- ``ptq``: annealq's rounding-QUBO post-training quantization of the float network at 1 or
  2 bits (``annealq.quantize``, route ``batched``; per output channel scales, no biases).

Example:
    >>> import numpy as np
    >>> from annealq.qnn.toy import toy_dataset
    >>> from annealq.qnn.training import prepare
    >>> from annealq.qnn import QNNConfig
    >>> x, y, _, _ = prepare(toy_dataset(), QNNConfig(pool=0))
    >>> net = ste_network(x, y, classes=2, hidden=2, scales=(1.0, 1.0), weight_levels=("ternary", "binary"),
    ...                   activation="relu", loss="cross_entropy", levels=3, epochs=5)
    >>> net.w1.shape, set(np.unique(net.w1)) <= {0, 1, 2}, net.on_levels()
    ((2, 4), True, True)
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from annealq.formulations.qnn_fit import LEVELS
from annealq.qnn.network import QuantizedMLP

_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}
#: the tuned STE's grid: learning rates, and the epochs checkpoints as fractions of ``epochs``
STE_RATES = (1e-3, 3e-3, 1e-2)
STE_EPOCH_FRACTIONS = (0.25, 0.5, 1.0)


def _torch_loss(logits: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "cross_entropy":
        return nn.functional.cross_entropy(logits, y)
    target = torch.where(torch.arange(logits.shape[1])[None, :] == y[:, None], 1.0, -1.0)
    if loss == "squared":
        per = (logits - target) ** 2
    elif loss == "squared_hinge":
        per = torch.relu(1 - target * logits) ** 2
    else:
        per = nn.functional.softplus(-target * logits)
    return per.sum(dim=1).mean()


def _inputs(x_int, levels: int) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x_int, np.float32) / (levels - 1))


def _batches(n: int, size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    return [order[k:k + size] for k in range(0, n, size)]


def float_network(x_int, y, *, classes: int, hidden: int, activation: str, loss: str, levels: int,
                  epochs: int = 30, seed: int = 0, lr: float = 3e-3, batch_size: int = 128) -> nn.Sequential:
    """The float ``Linear -> activation -> Linear`` network (no biases), mini-batch Adam."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, t = _inputs(x_int, levels), torch.as_tensor(np.asarray(y))
    model = nn.Sequential(nn.Linear(x.shape[1], hidden, bias=False), _ACT[activation](),
                          nn.Linear(hidden, classes, bias=False))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for idx in _batches(len(x), batch_size, gen):
            opt.zero_grad()
            _torch_loss(model(x[idx]), t[idx], loss).backward()
            opt.step()
    return model.eval()


def torch_accuracy(model: nn.Module, x_int, y, levels: int) -> float:
    with torch.no_grad():
        return float((model(_inputs(x_int, levels)).argmax(1).numpy() == np.asarray(y)).mean())


def torch_loss(model: nn.Module, x_int, y, loss: str, levels: int) -> float:
    with torch.no_grad():
        return float(_torch_loss(model(_inputs(x_int, levels)), torch.as_tensor(np.asarray(y)), loss))


def _quantizer(name: str):
    grid = torch.as_tensor(LEVELS[name].values, dtype=torch.float32)

    def codes(w):
        return (w[..., None] - grid).abs().argmin(dim=-1)

    def forward(w, s):
        return s * (grid[codes(w)] - w).detach() + s * w  # forward s * level, gradient straight through
    return codes, forward


def ste_network(x_int, y, *, classes: int, hidden: int, scales, weight_levels=("binary", "binary"),
                activation: str, loss: str, levels: int, epochs: int = 30, seed: int = 0, lr: float = 3e-3,
                batch_size: int = 128, checkpoints=(), x_val=None, y_val=None, start: nn.Sequential | None = None):
    """STE training with the per-layer ``scales`` and ``weight_levels``; the quantized network.

    ``start``: a float network whose weights (scaled to absmax 1) are the initial latent weights.
    With ``checkpoints`` (epochs) and ``(x_val, y_val)``: returns ``{epoch: validation accuracy}``
    instead (the tuning grid of :func:`tuned_ste`)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, t = _inputs(x_int, levels), torch.as_tensor(np.asarray(y))
    w1 = (torch.rand(hidden, x.shape[1]) * 2 - 1).requires_grad_()
    w2 = (torch.rand(classes, hidden) * 2 - 1).requires_grad_()
    if start is not None:
        with torch.no_grad():
            for w, layer in ((w1, start[0]), (w2, start[2])):
                w.copy_(layer.weight / layer.weight.abs().max())
    act = _ACT[activation]()
    (c1, q1), (c2, q2) = (_quantizer(n) for n in weight_levels)
    opt = torch.optim.Adam([w1, w2], lr=lr)

    def forward(inputs):
        return act(inputs @ q1(w1, scales[0]).T) @ q2(w2, scales[1]).T

    scores = {}
    for epoch in range(1, epochs + 1):
        for idx in _batches(len(x), batch_size, gen):
            opt.zero_grad()
            _torch_loss(forward(x[idx]), t[idx], loss).backward()
            opt.step()
            with torch.no_grad():
                w1.clamp_(-1, 1), w2.clamp_(-1, 1)
        if epoch in checkpoints:
            with torch.no_grad():
                scores[epoch] = float((forward(_inputs(x_val, levels)).argmax(1).numpy() == np.asarray(y_val)).mean())
    if checkpoints:
        return scores
    with torch.no_grad():
        codes = [c(w).numpy().astype(np.int8) for c, w in ((c1, w1), (c2, w2))]
    return QuantizedMLP(codes[0], codes[1], float(scales[0]), float(scales[1]), activation, levels,
                        tuple(weight_levels))


def tuned_ste(x_int, y, *, epochs: int = 30, seed: int = 0, held_out: float = 0.1, **kwargs):
    """:func:`ste_network` with the learning rate (:data:`STE_RATES`) and the epochs
    (``STE_EPOCH_FRACTIONS`` of ``epochs``) of the best accuracy on a held-out ``held_out``
    part of the training set, retrained on all of it.  Returns ``(network, {"lr", "epochs", "scores"})``."""
    x, y = np.asarray(x_int), np.asarray(y)
    perm = np.random.default_rng(seed).permutation(len(x))
    cut = max(int(held_out * len(x)), 1)
    val, fit = perm[:cut], perm[cut:]
    points = sorted({max(int(round(f * epochs)), 1) for f in STE_EPOCH_FRACTIONS})
    scores = {}
    for lr in STE_RATES:
        got = ste_network(x[fit], y[fit], epochs=points[-1], seed=seed, lr=lr, checkpoints=points, x_val=x[val],
                          y_val=y[val], **kwargs)
        scores.update({(lr, e): a for e, a in got.items()})
    lr, best_epochs = max(scores, key=lambda k: (scores[k], -k[1], -k[0]))
    net = ste_network(x, y, epochs=best_epochs, seed=seed, lr=lr, **kwargs)
    return net, {"lr": lr, "epochs": best_epochs, "scores": {f"{k[0]:g}@{k[1]}": v for k, v in scores.items()}}


def ptq_network(model: nn.Module, x_int, levels: int, *, bits: int = 1, route: str = "batched",
                seed: int = 0) -> nn.Module:
    """annealq's rounding-QUBO PTQ of the float network at ``bits``, calibrated on ``x_int``."""
    import annealq

    result = annealq.quantize(model, _inputs(x_int, levels), annealq.QuantConfig(bits=bits, route=route, seed=seed))
    return result.model
