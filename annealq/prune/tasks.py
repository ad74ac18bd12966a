"""Offline pruning tasks, each a model trained once with a fixed seed and cached, with its metric.

- ``denoise``: a DnCNN-like residual denoiser (``nn.Sequential`` of 3x3 convolutions predicting the
  noise; denoised = noisy - model(noisy)), trained blind (sigma drawn from 15, 25, 50 per patch)
  on patches of scikit-learn's ``china.jpg`` (grayscale, half size); PSNR (dB) on ``flower.jpg``:
  its left half is the held-out split the refinement searches against, its right half the test.
- ``denoise-halfunet``: the same data and metric with :class:`HalfUNet`, a Half-UNet-like
  denoiser (BatchNorm, in-place ReLU, three scales fused by *additive* skips: channels tied
  across layers, pruned as groups).
- ``digits``: a small CNN on scikit-learn's 8x8 digits; accuracy, the last 300 training images
  held out for the refinement, the test split for the figures.
- ``fashion-mnist``: a conv-BN-ReLU(inplace) CNN on real Fashion-MNIST (gzipped IDX files under a
  data root; Debian: ``apt-get install dataset-fashion-mnist``), trained on 20,000 training images,
  the last 1,000 training images held out, the first 2,000 test images for the figures (the CPU
  budget of a many-row benchmark).

Example:
    >>> task = digits_task()
    >>> task.metric, task.calibration[0].shape[1:]
    ('accuracy', torch.Size([1, 8, 8]))
    >>> task.test(task.model) > 0.9
    True
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from annealq.nn.models import cached_model, train

SIGMAS = (15, 25, 50)


@dataclass
class Task:
    """A model to prune, its calibration batch and its metric on two splits (higher is better).

    Attributes:
        name, metric: e.g. ``"denoise-s25"``, ``"psnr"``.
        model: the trained float model.
        calibration: ``(inputs, targets)`` for the scores and fine-tuning.
        validate: metric on the held-out split (what refinement may look at).
        test: metric on the test split (what the tables report).
    """

    name: str
    metric: str
    model: nn.Module
    calibration: tuple
    validate: Callable[[nn.Module], float]
    test: Callable[[nn.Module], float]


def _cached(build: Callable[[], nn.Module], key: str, train_once: Callable[[nn.Module], object],
            seed: int) -> nn.Module:
    return cached_model(f"prune-{key}-{hashlib.sha256(key.encode()).hexdigest()[:12]}", build, train_once, seed)


# -- denoising -----------------------------------------------------------------------------

def gray_image(name: str) -> np.ndarray:
    """``china.jpg`` or ``flower.jpg`` from scikit-learn, grayscale in [0, 1], 2x2 average-pooled."""
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image(name).astype(np.float64) / 255.0
    g = rgb @ np.array([0.299, 0.587, 0.114])
    h, w = (g.shape[0] // 2) * 2, (g.shape[1] // 2) * 2
    return g[:h, :w].reshape(h // 2, 2, w // 2, 2).mean((1, 3)).astype(np.float32)


def denoiser(channels: int = 16, depth: int = 5) -> nn.Sequential:
    """DnCNN-like: ``depth`` 3x3 convolutions (ReLU between), predicting the noise of a 1-channel image."""
    layers = [nn.Conv2d(1, channels, 3, padding=1), nn.ReLU()]
    for _ in range(depth - 2):
        layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()]
    layers.append(nn.Conv2d(channels, 1, 3, padding=1))
    return nn.Sequential(*layers)


class HalfUNet(nn.Module):
    """Half-UNet-like (Lu et al. 2022): an encoder at full, 1/2 and 1/4 resolution (two conv-BN-ReLU
    each), every scale brought back to full size and *added* (so the last conv of each scale is tied to
    the others channel by channel), then a fusing conv-BN-ReLU and a 1-channel output conv."""

    def __init__(self, channels: int = 16):
        super().__init__()

        def block(cin):
            return nn.Sequential(nn.Conv2d(cin, channels, 3, padding=1), nn.BatchNorm2d(channels),
                                 nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 3, padding=1),
                                 nn.BatchNorm2d(channels), nn.ReLU(inplace=True))

        self.enc1, self.enc2, self.enc3 = block(1), block(channels), block(channels)
        self.fuse = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels),
                                  nn.ReLU(inplace=True))
        self.out = nn.Conv2d(channels, 1, 3, padding=1)

    def forward(self, x):
        h1 = self.enc1(x)
        h2 = self.enc2(nn.functional.max_pool2d(h1, 2))
        h3 = self.enc3(nn.functional.max_pool2d(h2, 2))
        size = h1.shape[-2:]
        up = lambda h: nn.functional.interpolate(h, size=size, mode="bilinear", align_corners=False)  # noqa: E731
        return self.out(self.fuse(h1 + up(h2) + up(h3)))


def patches(image: np.ndarray, count: int, size: int, rng) -> torch.Tensor:
    """``count`` random ``size`` x ``size`` crops ``(count, 1, size, size)``."""
    r = rng.integers(0, image.shape[0] - size, count)
    c = rng.integers(0, image.shape[1] - size, count)
    return torch.as_tensor(np.stack([image[i:i + size, j:j + size] for i, j in zip(r, c)])[:, None])


def psnr(model: nn.Module, clean: torch.Tensor, noisy: torch.Tensor) -> float:
    """PSNR (dB, peak 1) of ``noisy - model(noisy)`` against ``clean``, clipped to [0, 1]."""
    with torch.no_grad():
        model.eval()
        out = (noisy - model(noisy)).clamp(0, 1)
    mse = float(((out - clean) ** 2).mean())
    return 10.0 * np.log10(1.0 / mse)


def _train_denoiser(model: nn.Module, image: np.ndarray, seed: int, steps: int = 600, batch: int = 16) -> None:
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        clean = patches(image, batch, 32, rng)
        sigma = torch.as_tensor(rng.choice(SIGMAS, (batch, 1, 1, 1)) / 255.0, dtype=torch.float32)
        noise = sigma * torch.randn(clean.shape)
        opt.zero_grad()
        nn.functional.mse_loss(model(clean + noise), noise).backward()
        opt.step()
        sched.step()


ARCHITECTURES = {"dncnn": (denoiser, "dncnn-16x5", ""), "halfunet": (HalfUNet, "halfunet-16", "-halfunet")}


def denoise_task(sigma: int = 25, *, seed: int = 0, calibration_size: int = 64, architecture: str = "dncnn") -> Task:
    """The denoising task at noise level ``sigma`` (of 255) with the ``dncnn`` or ``halfunet`` model; the model
    is shared by every sigma."""
    if sigma <= 0:
        raise ValueError(f"sigma must be a positive noise level (of 255), got {sigma!r}")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"denoiser architecture {architecture!r} is unknown: use one of {tuple(ARCHITECTURES)}")
    build, key, suffix = ARCHITECTURES[architecture]
    train_img, test_img = gray_image("china.jpg"), gray_image("flower.jpg")
    model = _cached(build, f"{key}-seed{seed}-v2", lambda m: _train_denoiser(m, train_img, seed), seed)
    rng = np.random.default_rng(seed + 1)
    clean = patches(train_img, calibration_size, 32, rng)
    noise = (sigma / 255.0) * torch.as_tensor(rng.standard_normal(clean.shape), dtype=torch.float32)
    gen = np.random.default_rng(seed + 2)
    full = torch.as_tensor(test_img)[None, None]
    noisy = full + (sigma / 255.0) * torch.as_tensor(gen.standard_normal(full.shape), dtype=torch.float32)
    half = full.shape[-1] // 2
    val = (full[..., :half], noisy[..., :half])
    test = (full[..., half:], noisy[..., half:])
    return Task(f"denoise{suffix}-s{sigma}", "psnr", model, (clean + noise, noise),
                lambda m: psnr(m, *val), lambda m: psnr(m, *test))


# -- digits classification ---------------------------------------------------------------

def digits_cnn() -> nn.Sequential:
    """conv 16 -> conv 32 -> max-pool -> 64 -> 10 on 8x8 digits."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        model.eval()
        return float((model(x).argmax(1) == y).float().mean())


def digits_task(*, seed: int = 0, calibration_size: int = 256, held_out: int = 300) -> Task:
    """The digits task: the CNN trained on the training split minus ``held_out`` images."""
    from annealq.data import load_dataset

    d = load_dataset("digits")
    x = torch.as_tensor(d.x_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
    y = torch.as_tensor(d.y_train, dtype=torch.long)
    xt = torch.as_tensor(d.x_test, dtype=torch.float32).reshape(-1, 1, 8, 8)
    yt = torch.as_tensor(d.y_test, dtype=torch.long)
    xtr, ytr, xv, yv = x[:-held_out], y[:-held_out], x[-held_out:], y[-held_out:]
    model = _cached(digits_cnn, f"digits-cnn-seed{seed}-v2",
                    lambda m: train(m, xtr, ytr, epochs=30, seed=seed, batch_size=64), seed)
    cal = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(seed))[:calibration_size]
    return Task("digits", "accuracy", model, (xtr[cal], ytr[cal]),
                lambda m: accuracy(m, xv, yv), lambda m: accuracy(m, xt, yt))


def fashion_cnn(width: int = 8) -> nn.Sequential:
    """conv-BN-ReLU ``width`` -> conv-BN-ReLU ``2 width`` -> max-pool -> conv-BN-ReLU ``2 width`` -> max-pool
    -> 64 -> 10 on 28x28 images (in-place ReLUs)."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    return nn.Sequential(*block(1, width), *block(width, 2 * width), nn.MaxPool2d(2), *block(2 * width, 2 * width),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * width * 49, 64), nn.ReLU(inplace=True),
                         nn.Linear(64, 10))


def fashion_task(root=None, *, seed: int = 0, train_size: int = 20_000, held_out: int = 1_000, test_size: int = 2_000,
                 calibration_size: int = 256) -> Task:
    """The Fashion-MNIST task (files under ``root``, see :func:`annealq.data.load_dataset`)."""
    from annealq.data import load_dataset

    d = load_dataset("fashion-mnist", root)
    x = torch.as_tensor(d.x_train, dtype=torch.float32).reshape(-1, 1, 28, 28)
    y = torch.as_tensor(d.y_train, dtype=torch.long)
    xt = torch.as_tensor(d.x_test[:test_size], dtype=torch.float32).reshape(-1, 1, 28, 28)
    yt = torch.as_tensor(d.y_test[:test_size], dtype=torch.long)
    xtr, ytr, xv, yv = x[:train_size], y[:train_size], x[-held_out:], y[-held_out:]
    model = _cached(fashion_cnn, f"fashion-cnn8-n{train_size}-seed{seed}",
                    lambda m: train(m, xtr, ytr, epochs=3, seed=seed, batch_size=128), seed)
    cal = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(seed))[:calibration_size]
    return Task("fashion-mnist", "accuracy", model, (xtr[cal], ytr[cal]),
                lambda m: accuracy(m, xv, yv), lambda m: accuracy(m, xt, yt))


def load_task(name: str, *, sigma: int = 25, seed: int = 0) -> Task:
    """``"denoise"``, ``"denoise-halfunet"`` or ``"digits"``."""
    if name == "denoise":
        return denoise_task(sigma, seed=seed)
    if name == "denoise-halfunet":
        return denoise_task(sigma, seed=seed, architecture="halfunet")
    if name == "digits":
        return digits_task(seed=seed)
    raise ValueError(f"task {name!r} is unknown: use 'denoise', 'denoise-halfunet' or 'digits'")
