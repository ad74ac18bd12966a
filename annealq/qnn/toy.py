"""A tiny two-class image set (2x2 pixels) for examples and tests.

>>> data = toy_dataset()
>>> data.x_train.shape, data.num_classes, data.image_shape
((16, 4), 2, (2, 2))
"""
from __future__ import annotations

import numpy as np

from annealq.data.dataset import Dataset


def toy_dataset(samples: int = 24, seed: int = 0) -> Dataset:
    """Class 1 when the left column is brighter than the right one; 2/3 train, 1/3 test."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (samples, 4)) / 2.0
    y = (x[:, [0, 2]].sum(1) > x[:, [1, 3]].sum(1)).astype(np.int64)
    cut = 2 * samples // 3
    x = x.astype(np.float32)
    return Dataset("toy", x[:cut], y[:cut], x[cut:], y[cut:], 2, (2, 2))
