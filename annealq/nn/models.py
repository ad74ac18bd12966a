"""Reference models: a float MLP trained on a dataset with a fixed seed, cached on disk.

Example:
    >>> from annealq.data import load_dataset
    >>> model = mlp([64, 16, 10])
    >>> sum(p.numel() for p in model.parameters())
    1210
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

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


def accuracy(model: nn.Module, x, y) -> float:
    """Top-1 accuracy (fraction) of ``model`` on inputs ``x`` and labels ``y``."""
    model.eval()
    with torch.no_grad():
        pred = model(torch.as_tensor(x, dtype=torch.float32)).argmax(1).numpy()
    return float((pred == np.asarray(y)).mean())


def train_mlp(x, y, sizes=DEFAULT_SIZES, *, epochs: int = 40, lr: float = 3e-3, seed: int = 0) -> nn.Sequential:
    """Train an MLP with Adam and cross-entropy (full reproducibility through ``seed``)."""
    torch.manual_seed(seed)
    model = mlp(sizes)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(xt), generator=gen).split(128):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval()


def cache_dir() -> Path:
    return Path(os.environ.get("ANNEALQ_CACHE", Path.home() / ".cache" / "annealq"))


def pretrained_mlp(dataset, sizes=None, *, seed: int = 0, epochs: int = 40) -> nn.Sequential:
    """The float MLP for ``dataset`` (an ``annealq.data.Dataset``), trained once and cached."""
    sizes = tuple(sizes or (dataset.x_train.shape[1], 128, 64, dataset.num_classes))
    key = hashlib.sha256(repr((dataset.name, dataset.x_train.shape, sizes, seed, epochs)).encode()).hexdigest()[:16]
    path = cache_dir() / "models" / f"{dataset.name}-{'-'.join(map(str, sizes))}-{key}.pt"
    model = mlp(sizes)
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        return model.eval()
    model = train_mlp(dataset.x_train, dataset.y_train, sizes, epochs=epochs, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model
