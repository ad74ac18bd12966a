"""scikit-learn's 8x8 handwritten digits: bundled with scikit-learn, no files needed."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits as _sklearn_digits
from sklearn.model_selection import train_test_split

from .dataset import Dataset

DIGITS_PIXEL_MAX = 16


def load_digits(*, test_size: float = 0.25, seed: int = 0) -> Dataset:
    """Load the 1797 digits (64 features, 10 classes), split stratified by class.

    The split is reproducible: the same ``seed`` gives the same split.
    """
    bunch = _sklearn_digits()
    x = (bunch.data / DIGITS_PIXEL_MAX).astype(np.float32)
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    return Dataset("digits", x_train, y_train, x_test, y_test, 10, (8, 8))
