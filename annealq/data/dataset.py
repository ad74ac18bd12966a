"""The common return type of every dataset loader."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split of flattened images.

    ``x_*`` are float32 arrays of shape ``(N, features)`` with values in
    ``[0, 1]``; ``y_*`` are int64 class labels in ``[0, num_classes)``.
    ``image_shape`` is the shape of one unflattened image, e.g. ``(28, 28)``
    or ``(3, 32, 32)`` (channels first), so ``features == prod(image_shape)``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    image_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        features = prod(self.image_shape)
        for part, x, y in (("train", self.x_train, self.y_train), ("test", self.x_test, self.y_test)):
            if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != features:
                raise ValueError(
                    f"{self.name}: x_{part} must be float32 of shape (N, {features}), "
                    f"got {x.dtype} {x.shape}"
                )
            if y.dtype != np.int64 or y.shape != (x.shape[0],):
                raise ValueError(
                    f"{self.name}: y_{part} must be int64 of shape ({x.shape[0]},), "
                    f"got {y.dtype} {y.shape}"
                )

    def to_torch(self):
        """Return ``(x_train, y_train, x_test, y_test)`` as torch tensors sharing memory."""
        import torch

        return tuple(torch.from_numpy(a) for a in (self.x_train, self.y_train, self.x_test, self.y_test))
