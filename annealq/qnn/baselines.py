"""Baselines on the same inputs, architecture (no biases) and bits as the QCBO-trained network.

- ``float``: the float network trained with Adam on the same loss.
- ``ste``: BinaryConnect-style quantization-aware training: latent real weights, forward with
  ``s_l * sign(w)`` (the same per-layer scales as the QCBO network), straight-through gradient,
  latent weights clipped to [-1, 1].
- ``ptq``: annealq's rounding-QUBO post-training quantization of the float network at 1 bit
  (``annealq.quantize``, route ``batched``; per output channel scales, biases disabled).

Example:
    >>> import numpy as np
    >>> from annealq.qnn.toy import toy_dataset
    >>> from annealq.qnn.training import prepare
    >>> from annealq.qnn import QNNConfig
    >>> x, y, _, _ = prepare(toy_dataset(), QNNConfig(pool=0))
    >>> net = ste_network(x, y, classes=2, hidden=2, s1=1.0, s2=1.0, activation="relu", loss="squared", levels=3,
    ...                   epochs=20)
    >>> net.w1.shape, set(np.unique(net.w1)) <= {0, 1}
    ((2, 4), True)
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from annealq.qnn.network import BinaryMLP

_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}


def _torch_loss(logits: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
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


def float_network(x_int, y, *, classes: int, hidden: int, activation: str, loss: str, levels: int,
                  epochs: int = 300, seed: int = 0) -> nn.Sequential:
    """The float ``Linear -> activation -> Linear`` network (no biases), full-batch Adam."""
    torch.manual_seed(seed)
    x, t = _inputs(x_int, levels), torch.as_tensor(np.asarray(y))
    model = nn.Sequential(nn.Linear(x.shape[1], hidden, bias=False), _ACT[activation](),
                          nn.Linear(hidden, classes, bias=False))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(epochs):
        opt.zero_grad()
        _torch_loss(model(x), t, loss).backward()
        opt.step()
    return model.eval()


def torch_accuracy(model: nn.Module, x_int, y, levels: int) -> float:
    with torch.no_grad():
        return float((model(_inputs(x_int, levels)).argmax(1).numpy() == np.asarray(y)).mean())


def torch_loss(model: nn.Module, x_int, y, loss: str, levels: int) -> float:
    with torch.no_grad():
        return float(_torch_loss(model(_inputs(x_int, levels)), torch.as_tensor(np.asarray(y)), loss))


def ste_network(x_int, y, *, classes: int, hidden: int, s1: float, s2: float, activation: str, loss: str, levels: int,
                epochs: int = 300, seed: int = 0, lr: float = 0.005, start: nn.Sequential | None = None) -> BinaryMLP:
    """BinaryConnect training with the per-layer scales ``s1``, ``s2``; the binary network.
    ``start``: a float network whose weights (scaled to absmax 1) are the initial latent weights."""
    torch.manual_seed(seed)
    x, t = _inputs(x_int, levels), torch.as_tensor(np.asarray(y))
    w1 = (torch.rand(hidden, x.shape[1]) * 2 - 1).requires_grad_()
    w2 = (torch.rand(classes, hidden) * 2 - 1).requires_grad_()
    if start is not None:
        with torch.no_grad():
            for w, layer in ((w1, start[0]), (w2, start[2])):
                w.copy_(layer.weight / layer.weight.abs().max())
    act = _ACT[activation]()
    opt = torch.optim.Adam([w1, w2], lr=lr)

    def binary(w, s):
        return s * (torch.where(w >= 0, 1.0, -1.0) - w).detach() + s * w  # forward s*sign(w), gradient s

    for _ in range(epochs):
        opt.zero_grad()
        _torch_loss(act(x @ binary(w1, s1).T) @ binary(w2, s2).T, t, loss).backward()
        opt.step()
        with torch.no_grad():
            w1.clamp_(-1, 1), w2.clamp_(-1, 1)
    bits = [(w.detach().numpy() >= 0).astype(np.int8) for w in (w1, w2)]
    return BinaryMLP(bits[0], bits[1], s1, s2, activation, levels)


def ptq_network(model: nn.Module, x_int, levels: int, *, route: str = "batched", seed: int = 0) -> nn.Module:
    """annealq's 1-bit rounding-QUBO PTQ of the float network, calibrated on ``x_int``."""
    import annealq

    result = annealq.quantize(model, _inputs(x_int, levels), annealq.QuantConfig(bits=1, route=route, seed=seed))
    return result.model
