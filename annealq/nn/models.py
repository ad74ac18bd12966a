"""Reference models: a float MLP and a small CNN trained on a dataset with a fixed seed, cached on disk.

Example:
    >>> model = mlp([64, 16, 10])
    >>> sum(p.numel() for p in model.parameters())
    1210
    >>> import torch
    >>> cnn((8, 8), 10)(torch.rand(2, 64)).shape  # flat images in, like the MLP
    torch.Size([2, 10])
    >>> REFERENCE["fashion-mnist"]["mlp"]["sizes"]
    (784, 256, 128, 10)
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

DEFAULT_SIZES = (64, 128, 64, 10)


def mlp(sizes=DEFAULT_SIZES) -> nn.Sequential:
    """``Linear -> ReLU -> ... -> Linear`` with the given layer widths."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def cnn(image: tuple[int, int], classes: int, channels: int = 1, width: int = 16, pool: int = 1) -> nn.Sequential:
    """Flat images ``(N, channels * h * w)`` -> conv 3x3 -> depthwise conv 3x3 stride 2 -> pointwise conv
    (-> average pool ``pool`` x ``pool`` when ``pool`` > 1) -> linear.

    Every convolution kind the PTQ handles: plain, depthwise (``groups = width``, strided),
    1x1; ReLU between them.  The pool keeps the linear layer's fan-in small on large images.
    """
    h, w = image
    h2, w2 = (h + 1) // 2, (w + 1) // 2
    pooled = [nn.AvgPool2d(pool)] if pool > 1 else []
    return nn.Sequential(
        nn.Unflatten(1, (channels, h, w)),
        nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(),
        nn.Conv2d(width, width, 3, stride=2, padding=1, groups=width), nn.ReLU(),
        nn.Conv2d(width, 2 * width, 1), nn.ReLU(), *pooled,
        nn.Flatten(), nn.Linear(2 * width * (h2 // pool) * (w2 // pool), classes))


def accuracy(model: nn.Module, x, y) -> float:
    """Top-1 accuracy (fraction) of ``model`` on inputs ``x`` and labels ``y``."""
    model.eval()
    with torch.no_grad():
        pred = model(torch.as_tensor(x, dtype=torch.float32)).argmax(1).numpy()
    return float((pred == np.asarray(y)).mean())


def train_mlp(x, y, sizes=DEFAULT_SIZES, *, epochs: int = 40, lr: float = 3e-3, seed: int = 0) -> nn.Sequential:
    """Train an MLP with Adam and cross-entropy (full reproducibility through ``seed``)."""
    torch.manual_seed(seed)
    return train(mlp(sizes), x, y, epochs=epochs, lr=lr, seed=seed)


def train(model: nn.Module, x, y, *, epochs: int = 40, lr: float = 3e-3, seed: int = 0,
          batch_size: int = 128) -> nn.Module:
    """Train ``model`` with Adam and cross-entropy, minibatches in a seeded order, on one thread
    (torch's result depends on its thread count: one thread gives the same model on every machine
    of a kind)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(epochs):
            model.train()
            for idx in torch.randperm(len(xt), generator=gen).split(batch_size):
                opt.zero_grad()
                nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
                opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def cache_dir() -> Path:
    return Path(os.environ.get("ANNEALQ_CACHE", Path.home() / ".cache" / "annealq"))


def cached_model(name: str, build: Callable[[], nn.Module], train_once: Callable[[nn.Module], object],
                 seed: int) -> nn.Module:
    """``build()`` (initial weights seeded) trained by ``train_once`` the first time, then loaded from the
    cache (``ANNEALQ_CACHE``, file ``models/<name>.pt``)."""
    path = cache_dir() / "models" / f"{name}.pt"
    torch.manual_seed(seed)
    model = build()
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
    else:
        train_once(model)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)
    return model.eval()


def _cached(dataset, kind: str, build, spec, seed: int, epochs: int) -> nn.Module:
    """``build()`` trained on ``dataset`` once, then loaded from the cache."""
    key = hashlib.sha256(repr((dataset.name, dataset.x_train.shape, spec, seed, epochs, "one thread")).encode()
                         ).hexdigest()[:16]
    return cached_model(f"{dataset.name}-{kind}-{key}", build,
                        lambda m: train(m, dataset.x_train, dataset.y_train, epochs=epochs, seed=seed), seed)


def pretrained_mlp(dataset, sizes=None, *, seed: int = 0, epochs: int = 40) -> nn.Sequential:
    """The float MLP for ``dataset`` (an ``annealq.data.Dataset``), trained once and cached."""
    sizes = tuple(sizes or (dataset.x_train.shape[1], 128, 64, dataset.num_classes))
    return _cached(dataset, "-".join(map(str, sizes)), lambda: mlp(sizes), sizes, seed, epochs)


def pretrained_cnn(dataset, image=None, *, channels: int = 1, width: int = 16, pool: int = 1, seed: int = 0,
                   epochs: int = 40) -> nn.Sequential:
    """The float :func:`cnn` for ``dataset`` (flat images; square by default), trained once and cached."""
    if image is None:
        side = int(round((dataset.x_train.shape[1] / channels) ** 0.5))
        image = (side, side)
    spec = ("cnn", tuple(image), channels, width) + ((pool,) if pool > 1 else ())
    return _cached(dataset, f"cnn{width}" + (f"p{pool}" if pool > 1 else ""),
                   lambda: cnn(image, dataset.num_classes, channels, width, pool), spec, seed, epochs)


#: the reference models' settings per dataset (``kind``: keyword arguments of :func:`pretrained_mlp` or
#: :func:`pretrained_cnn`); Fashion-MNIST: the seeds' 784-256-128-10 MLP and a pooled CNN whose
#: linear layer takes 784 inputs, trained for fewer epochs (60,000 images)
REFERENCE = {
    "digits": {"mlp": {}, "cnn": {}},
    "fashion-mnist": {"mlp": {"sizes": (784, 256, 128, 10), "epochs": 15},
                      "cnn": {"width": 8, "pool": 2, "epochs": 8}},
}


def reference_model(dataset, kind: str = "mlp") -> nn.Sequential:
    """The reference ``mlp`` or ``cnn`` of a dataset listed in :data:`REFERENCE`, trained once and cached."""
    specs = REFERENCE.get(dataset.name)
    if specs is None or kind not in specs:
        known = ", ".join(f"{d} ({'/'.join(k)})" for d, k in REFERENCE.items())
        raise ValueError(f"no reference {kind!r} model for dataset {dataset.name!r}: known are {known}; "
                         f"build one with pretrained_mlp or pretrained_cnn")
    build = pretrained_mlp if kind == "mlp" else pretrained_cnn
    return build(dataset, **specs[kind])
