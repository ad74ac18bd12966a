"""Frozen random convolutional features (Extreme Learning Machine) and their standardisation.

Random filters, ReLU, max pooling, flatten: nothing here is trained, so the head sees a
fixed feature map whose size ``d = filters * (H // pool) * (W // pool)`` is set by the
number of filters and the pooling, not by the data.

Example:
    >>> import torch
    >>> net = RandomConvFeatures(channels=1, filters=4, pool=4, seed=0)
    >>> net(torch.zeros(2, 1, 8, 8)).shape, net.num_features((8, 8))
    (torch.Size([2, 16]), 16)
    >>> scaler = Standardizer().fit(np.array([[0.0, 1.0], [2.0, 1.0]]))
    >>> scaler.transform(np.array([[1.0, 1.0]])).tolist()
    [[0.0, 0.0]]
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

CHUNK = 2048  # images a forward pass takes at once


class RandomConvFeatures(nn.Module):
    """``flatten(maxpool(relu(conv(x))))`` with seeded random filters that are never trained.

    Args:
        channels: input channels (1 for grey images, 3 for colour).
        filters: convolution filters (output channels).
        kernel_size: filter side; the convolution pads to keep the image size.
        pool: max-pooling window and stride.
        seed: the filters' random seed (He-normal weights, zero bias).
    """

    def __init__(self, channels: int = 1, filters: int = 8, kernel_size: int = 3, pool: int = 2, seed: int = 0):
        super().__init__()
        for name, value in (("channels", channels), ("filters", filters), ("kernel_size", kernel_size),
                            ("pool", pool)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.conv = nn.Conv2d(channels, filters, kernel_size, padding=kernel_size // 2)
        self.pool = nn.MaxPool2d(pool)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            std = (2.0 / (channels * kernel_size**2)) ** 0.5
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=generator) * std)
            self.conv.bias.zero_()
        self.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(torch.relu(self.conv(images))), 1)

    def num_features(self, image_size: tuple[int, int]) -> int:
        """``d`` for images of ``(height, width)``."""
        with torch.no_grad():
            return int(self(torch.zeros(1, self.conv.in_channels, *image_size)).shape[1])

    def transform(self, x, image_shape) -> np.ndarray:
        """Features ``(N, d)`` (float64) of flattened images ``x`` ``(N, prod(image_shape))``.

        ``image_shape`` is ``(H, W)`` or ``(channels, H, W)`` (channels first).
        """
        shape = tuple(image_shape) if len(image_shape) == 3 else (1, *image_shape)
        images = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, *shape)
        with torch.no_grad():  # in chunks: the convolution's output is `filters` times the images (3 GB for
            # 60,000 28x28 images and 16 filters)
            return np.concatenate([self(images[i:i + CHUNK]).double().numpy() for i in range(0, len(images), CHUNK)]
                                  or [np.zeros((0, self.num_features(shape[1:])))])


class Standardizer:
    """Per-feature zero mean and unit variance, fitted on the training set.

    A feature constant on the training set (e.g. a filter ReLU never lets through) keeps a
    scale of 1, so it stays constant rather than becoming NaN.
    """

    def fit(self, features) -> "Standardizer":
        x = np.asarray(features, dtype=np.float64)
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std > 1e-12, std, 1.0)
        return self

    def transform(self, features) -> np.ndarray:
        return (np.asarray(features, dtype=np.float64) - self.mean_) / self.scale_


def extract_features(dataset, *, filters: int = 8, pool: int = 4, kernel_size: int = 3, seed: int = 0):
    """Standardised random-conv features of an :class:`annealq.data.Dataset`: ``(train, test)``.

    >>> from annealq.data import load_dataset
    >>> train, test = extract_features(load_dataset("digits"), filters=4, pool=4)
    >>> train.shape, test.shape, bool(abs(train.mean()) < 1e-9)
    ((1347, 16), (450, 16), True)
    """
    shape = dataset.image_shape
    net = RandomConvFeatures(shape[0] if len(shape) == 3 else 1, filters, kernel_size, pool, seed)
    train, test = net.transform(dataset.x_train, shape), net.transform(dataset.x_test, shape)
    scaler = Standardizer().fit(train)
    return scaler.transform(train), scaler.transform(test)
