"""The binary-weight network the QCBO trains, its inputs (pooled, integer levels) and its scales.

``BinaryMLP``: ``o = W2 f(W1 x)`` with ``x = X / (levels - 1)`` for integer ``X``,
``W1 = s1 (2 b1 - 1)``, ``W2 = s2 (2 b2 - 1)`` (no biases).  The scales are set once from the
data (:func:`layer_scales`: pre-activations of unit variance under random signs) and shared
by every method trained in the same harness.

Example:
    >>> import numpy as np
    >>> x = input_levels(np.array([[0.0, 0.5, 1.0, 0.2]]), image_shape=(2, 2), pool=0, levels=3)
    >>> x.tolist()
    [[0, 1, 2, 0]]
    >>> net = BinaryMLP(np.ones((2, 4), np.int8), np.array([[1, 1], [0, 0]], np.int8), s1=1.0, s2=1.0)
    >>> net.logits(x).tolist()
    [[3.0, -3.0]]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annealq.formulations.splines import ACTIVATIONS, LOSSES


def input_levels(x, *, image_shape, pool: int, levels: int) -> np.ndarray:
    """Images ``(N, prod(image_shape))`` in [0, 1] -> average-pooled to ``pool x pool`` (per
    channel; ``pool=0`` keeps them) -> integers ``0 .. levels - 1``."""
    x = np.asarray(x, dtype=np.float64)
    if pool:
        shape = tuple(image_shape)
        chans, (h, w) = (shape[0] if len(shape) == 3 else 1), shape[-2:]
        if h % pool or w % pool:
            raise ValueError(f"pool={pool} must divide the image side ({h}x{w}): choose a divisor or pool=0")
        img = x.reshape(len(x), chans, pool, h // pool, pool, w // pool)
        x = img.mean(axis=(3, 5)).reshape(len(x), -1)
    return np.clip(np.round(x * (levels - 1)), 0, levels - 1).astype(np.int64)


@dataclass
class BinaryMLP:
    """Binary weights ``w1`` ``(hidden, features)``, ``w2`` ``(classes, hidden)`` (bits) and scales."""

    w1: np.ndarray
    w2: np.ndarray
    s1: float
    s2: float
    activation: str = "relu"
    levels: int = 3

    def hidden(self, x_int) -> np.ndarray:
        z = (np.asarray(x_int, np.float64) / (self.levels - 1)) @ (self.s1 * (2.0 * self.w1 - 1)).T
        return ACTIVATIONS[self.activation](z)

    def logits(self, x_int) -> np.ndarray:
        return self.hidden(x_int) @ (self.s2 * (2.0 * self.w2 - 1)).T

    def accuracy(self, x_int, y) -> float:
        return float(np.mean(self.logits(x_int).argmax(axis=1) == np.asarray(y)))

    def loss(self, x_int, y, loss: str) -> float:
        return mean_loss(self.logits(x_int), y, loss)

    @property
    def unit(self) -> float:
        """Real pre-activation of one integer step of ``Z = X . (2 b - 1)``."""
        return self.s1 / (self.levels - 1)

    @property
    def num_weights(self) -> int:
        return self.w1.size + self.w2.size


def mean_loss(logits, y, loss: str) -> float:
    """Mean over samples of the summed one-vs-rest loss (targets +-1)."""
    logits = np.asarray(logits, np.float64)
    target = np.where(np.arange(logits.shape[1])[None, :] == np.asarray(y)[:, None], 1.0, -1.0)
    return float(LOSSES[loss](logits, target).sum(axis=1).mean())


def layer_scales(x_int, hidden: int, activation: str, levels: int, seed: int = 0) -> tuple[float, float]:
    """``(s1, s2)``: unit-variance pre-activations of both layers under random sign weights."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x_int, np.float64) / (levels - 1)
    s1 = 1.0 / np.sqrt(max(np.mean(np.sum(x * x, axis=1)), 1e-12))
    signs = rng.choice([-1.0, 1.0], size=(hidden, x.shape[1]))
    h = ACTIVATIONS[activation](x @ (s1 * signs).T)
    s2 = 1.0 / np.sqrt(max(np.mean(np.sum(h * h, axis=1)), 1e-12))
    return float(s1), float(s2)
