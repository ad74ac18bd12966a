"""Splines of activations and losses on integer knots, the FIP interval of a binary layer, and
the network and loss the constrained formulation models with them.

Forward interval propagation (FIP): from the input ranges and the weight levels every
pre-activation of a binary layer lies in a known interval (:func:`fip_interval`); split into
pieces with integer knots, an activation or a loss becomes a piecewise-linear :class:`Spline`
equal to the function at every knot, so the constrained problem stays quadratic.

Example:
    >>> import numpy as np
    >>> lo, hi = fip_interval(np.array([[1, 2], [0, 1]]))
    >>> lo.tolist(), hi.tolist()
    ([-3.0, -1.0], [3.0, 1.0])
    >>> relu = activation_spline("relu", -2, 2, 2, unit=1.0)
    >>> relu(np.array([-2.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np



ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "identity": lambda z: np.asarray(z, dtype=np.float64),
}
LOSSES = {
    "squared": lambda o, y: (o - y) ** 2,
    "squared_hinge": lambda o, y: np.maximum(0.0, 1.0 - y * o) ** 2,
    "logistic": lambda o, y: np.logaddexp(0.0, -y * o),  # one-vs-rest cross-entropy
}


def check_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation {name!r} has no spline here: use one of {tuple(ACTIVATIONS)}")
    return name


def check_loss(name: str) -> str:
    if name not in LOSSES:
        raise ValueError(f"loss {name!r} has no spline here: use one of {tuple(LOSSES)}")
    return name


def check_pieces(pieces, name: str = "pieces") -> int:
    if isinstance(pieces, bool) or not isinstance(pieces, (int, np.integer)) or pieces < 1:
        raise ValueError(f"{name} must be an integer >= 1 (linear pieces per interval), got {pieces!r}")
    return int(pieces)


@dataclass(frozen=True)
class Spline:
    """A continuous piecewise-linear function through ``(knots[k], values[k])``.

    Outside ``[knots[0], knots[-1]]`` the end pieces extend linearly.

    >>> s = Spline.of(np.tanh, -2.0, 2.0, 4)
    >>> bool(np.allclose(s(s.knots), np.tanh(s.knots)))
    True
    >>> round(s.max_error(np.tanh), 3)
    0.082
    """

    knots: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, fn, lo: float, hi: float, pieces: int, integer: bool = False) -> "Spline":
        """The spline of ``fn`` on ``pieces`` equal pieces of ``[lo, hi]`` (integer knots if asked)."""
        pieces = check_pieces(pieces)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"a spline needs a finite interval lo < hi, got [{lo}, {hi}]")
        knots = np.linspace(lo, hi, pieces + 1)
        if integer:
            knots = np.unique(np.round(knots))
        return cls(knots.astype(np.float64), np.asarray(fn(knots), dtype=np.float64))

    @property
    def pieces(self) -> int:
        return len(self.knots) - 1

    @property
    def slopes(self) -> np.ndarray:
        return np.diff(self.values) / np.diff(self.knots)

    def piece(self, z) -> np.ndarray:
        """The piece index of each ``z`` (the lower one at a knot; end pieces outside)."""
        return np.clip(np.searchsorted(self.knots, z, side="right") - 1, 0, self.pieces - 1)

    def __call__(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        k = self.piece(z)
        inside = np.interp(z, self.knots, self.values)  # exact at the knots
        outside = self.values[k] + self.slopes[k] * (z - self.knots[k])
        return np.where((z < self.knots[0]) | (z > self.knots[-1]), outside, inside)

    def max_error(self, fn, points: int = 2001) -> float:
        """``max |spline - fn|`` on a fine grid of the knots' interval."""
        z = np.linspace(self.knots[0], self.knots[-1], points)
        return float(np.max(np.abs(self(z) - fn(z))))


def activation_spline(activation: str, lo: int, hi: int, pieces: int, unit: float) -> Spline:
    """The spline of ``activation(unit * Z)`` over integer ``Z`` in ``[lo, hi]``, integer knots
    (0 is a knot when the interval is symmetric and ``pieces`` even: ReLU then is exact)."""
    fn = ACTIVATIONS[check_activation(activation)]
    return Spline.of(lambda z: fn(unit * z), lo, max(hi, lo + 1), pieces, integer=True)


def loss_spline(loss: str, target: float, lo: float, hi: float, pieces: int) -> Spline:
    """The spline of ``loss(o, target)`` over ``o`` in ``[lo, hi]``."""
    fn = LOSSES[check_loss(loss)]
    return Spline.of(lambda o: fn(o, target), lo, hi, pieces)


def activation_peak(act: Spline, lo: float, hi: float) -> float:
    """``max |act|`` on ``[lo, hi]`` (at the knots inside or the ends: the spline is linear between)."""
    points = np.concatenate([[lo, hi], act.knots[(act.knots > lo) & (act.knots < hi)]])
    return float(np.abs(act(points)).max())


def fip_interval(x_int) -> tuple[np.ndarray, np.ndarray]:
    """FIP bounds of ``Z = 2 X.b - |X|_1`` for binary ``b``: per sample ``[-|x|_1, |x|_1]``.

    The unit interval (every sample) is ``[-max |x|_1, max |x|_1]``; with non-negative inputs
    this is the interval propagated from the input ranges and the weight levels {-1, +1}.
    """
    x = np.asarray(x_int)
    norm = np.abs(x).sum(axis=1).astype(np.float64)
    return -norm, norm


def spline_forward(x_int, w1_bits, w2_bits, *, unit: float, scale_out: float, activation: str, pieces: int,
                   unit_interval: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``(h, o)`` of the network under the spline activation on the FIP knots (the QCBO's model)."""
    act = activation_spline(activation, int(unit_interval[0]), int(unit_interval[1]), pieces, unit)
    z = np.asarray(x_int, dtype=np.float64) @ (2.0 * np.asarray(w1_bits, dtype=np.float64) - 1).T
    h = act(z)
    return h, h @ (scale_out * (2.0 * np.asarray(w2_bits, dtype=np.float64) - 1)).T


def spline_loss_value(o, targets, loss: str, loss_pieces: int, ranges) -> float:
    """Mean over samples of the summed per-class loss spline (``ranges`` ``(N,)`` half-widths of
    each sample's output interval, as in the blocks); exact for ``"squared"``."""
    o = np.asarray(o, dtype=np.float64)
    total = 0.0
    for s in range(o.shape[0]):
        for c in range(o.shape[1]):
            t = 1.0 if targets[s] == c else -1.0
            if loss == "squared":
                total += (o[s, c] - t) ** 2
            else:
                ext = ranges[s] if np.ndim(ranges) == 1 else ranges[s, c]
                total += float(loss_spline(loss, t, -ext, ext if ext > 0 else 1e-6, loss_pieces)(o[s, c]))
    return total / o.shape[0]
