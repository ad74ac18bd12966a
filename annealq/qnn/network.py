"""The quantized network the QNN workflow trains, its inputs (pooled, integer levels) and its scales.

``QuantizedMLP``: ``o = W2 f(W1 x)`` with ``x = X / (levels - 1)`` for integer ``X`` and
``W_l = s_l * values_l[codes_l]`` on each layer's weight levels
(:data:`annealq.formulations.qnn_fit.LEVELS`: ``binary`` {-1, +1}, ``2bit`` {-1, -1/3, 1/3, 1},
``ternary`` {-1, 0, 1}), no biases.  For binary layers the codes are the bits ``b`` and
``W = s (2 b - 1)``.  The scales are set once from the data (:func:`layer_scales`) and shared
by every method trained in the same harness.

Example:
    >>> import numpy as np
    >>> x = input_levels(np.array([[0.0, 0.5, 1.0, 0.2]]), image_shape=(2, 2), pool=0, levels=3)
    >>> x.tolist()
    [[0, 1, 2, 0]]
    >>> net = QuantizedMLP(np.ones((2, 4), np.int8), np.array([[1, 1], [0, 0]], np.int8), s1=1.0, s2=1.0)
    >>> net.logits(x).tolist()
    [[3.0, -3.0]]
    >>> net.bits_per_weight(scale_bits=0), net.on_levels()
    (1.0, True)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from annealq.formulations.qnn_fit import LEVELS, bits_per_weight
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
class QuantizedMLP:
    """Weight codes ``w1`` ``(hidden, features)``, ``w2`` ``(classes, hidden)``, per-layer scales
    and level names (``weight_levels``)."""

    w1: np.ndarray
    w2: np.ndarray
    s1: float
    s2: float
    activation: str = "relu"
    levels: int = 3
    weight_levels: tuple = ("binary", "binary")

    def weights(self, layer: int) -> np.ndarray:
        """Real weights of layer 0 or 1."""
        codes, scale = (self.w1, self.s1) if layer == 0 else (self.w2, self.s2)
        return scale * np.asarray(LEVELS[self.weight_levels[layer]].values)[codes]

    def inputs(self, x_int) -> np.ndarray:
        return np.asarray(x_int, np.float64) / (self.levels - 1)

    def hidden(self, x_int) -> np.ndarray:
        return ACTIVATIONS[self.activation](self.inputs(x_int) @ self.weights(0).T)

    def logits(self, x_int) -> np.ndarray:
        return self.hidden(x_int) @ self.weights(1).T

    def accuracy(self, x_int, y) -> float:
        return float(np.mean(self.logits(x_int).argmax(axis=1) == np.asarray(y)))

    def loss(self, x_int, y, loss: str) -> float:
        return mean_loss(self.logits(x_int), y, loss)

    def with_codes(self, w1=None, w2=None) -> "QuantizedMLP":
        return replace(self, w1=self.w1 if w1 is None else w1, w2=self.w2 if w2 is None else w2)

    @property
    def unit(self) -> float:
        """Real pre-activation of one integer step of ``Z = X . (2 b - 1)`` (binary first layer)."""
        return self.s1 / (self.levels - 1)

    @property
    def num_weights(self) -> int:
        return self.w1.size + self.w2.size

    def bits_per_weight(self, scale_bits: int = 32) -> float:
        """Stored bits per weight, the two 32-bit scales included (ternary: 2 stored bits)."""
        return bits_per_weight([(self.w1.size, self.weight_levels[0]), (self.w2.size, self.weight_levels[1])],
                               scale_bits)

    def on_levels(self) -> bool:
        """Every code names one of its layer's levels."""
        return all(((c >= 0) & (c < len(LEVELS[n].values))).all() for c, n in zip((self.w1, self.w2),
                                                                                  self.weight_levels))


LOSS_NAMES = (*LOSSES, "cross_entropy")


def check_network_loss(name: str) -> str:
    if name not in LOSS_NAMES:
        raise ValueError(f"loss {name!r} is not known: use one of {LOSS_NAMES}")
    return name


def _one_vs_rest(logits, y) -> np.ndarray:
    return np.where(np.arange(logits.shape[1])[None, :] == np.asarray(y)[:, None], 1.0, -1.0)


def softmax(logits) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def per_sample_loss(logits, y, loss: str) -> np.ndarray:
    """Each sample's loss: softmax ``cross_entropy``, or the summed one-vs-rest loss (targets +-1)."""
    logits = np.asarray(logits, np.float64)
    if loss == "cross_entropy":
        shifted = logits - logits.max(axis=1, keepdims=True)
        return np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(logits)), np.asarray(y)]
    return LOSSES[loss](logits, _one_vs_rest(logits, y)).sum(axis=1)


def mean_loss(logits, y, loss: str) -> float:
    """Mean over samples of :func:`per_sample_loss`."""
    return float(per_sample_loss(logits, y, loss).mean())


def loss_gradient(logits, y, loss: str) -> np.ndarray:
    """``d loss_n / d logits_n`` per sample ``(N, classes)``.

    >>> g = loss_gradient(np.array([[0.0, 0.0]]), [1], "cross_entropy")
    >>> g.tolist()
    [[0.5, -0.5]]
    """
    o = np.asarray(logits, np.float64)
    if loss == "cross_entropy":
        return softmax(o) - (np.arange(o.shape[1])[None, :] == np.asarray(y)[:, None])
    t = _one_vs_rest(o, y)
    if loss == "squared":
        return 2.0 * (o - t)
    if loss == "squared_hinge":
        return -2.0 * t * np.maximum(0.0, 1.0 - t * o)
    return -t / (1.0 + np.exp(t * o))  # logistic


def layer_scales(x_int, hidden: int, activation: str, levels: int, seed: int = 0,
                 weight_levels: tuple = ("binary", "binary")) -> tuple[float, float]:
    """``(s1, s2)``: unit-variance pre-activations of both layers under uniformly random codes
    (a level set's largest value is ``s``, so ``s = 1 / (rms(levels) sqrt(E|a|^2))``)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x_int, np.float64) / (levels - 1)
    l1, l2 = (LEVELS[n] for n in weight_levels)
    s1 = 1.0 / (l1.rms * np.sqrt(max(np.mean(np.sum(x * x, axis=1)), 1e-12)))
    signs = rng.choice([-1.0, 1.0], size=(hidden, x.shape[1]))  # the binary draw, then rescaled
    h = ACTIVATIONS[activation](x @ (s1 * l1.rms * signs).T)
    s2 = 1.0 / (l2.rms * np.sqrt(max(np.mean(np.sum(h * h, axis=1)), 1e-12)))
    return float(s1), float(s2)
