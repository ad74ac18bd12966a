"""Quantization grids: signed b-bit integer grids with one scale per output channel.

A grid maps integer *codes* ``u`` in ``0 .. 2**bits - 1`` to levels
``scale * (spacing * u + origin)``:

- ``bits >= 2``: the signed integer grid ``-2**(bits-1) .. 2**(bits-1) - 1``
  (spacing 1, origin ``-2**(bits-1)``), levels ``scale * q``;
- ``bits == 1``: the symmetric binary grid ``{-scale, +scale}`` (spacing 2, origin -1).
  Asymmetric ``{-s, 0}`` binary grids lose the sign of half the weights and fail badly;
  annealq does not use them.

Example:
    >>> import numpy as np
    >>> g = Grid.fit(np.array([[0.5, -1.0, 0.25]]), bits=2, scale="absmax")
    >>> g.levels(g.nearest(np.array([[0.5, -1.0, 0.25]]))).round(3)
    array([[ 0.667, -1.333,  0.   ]])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALE_METHODS = ("absmax", "mse")
_MSE_SHRINK = np.linspace(0.30, 1.00, 71)  # candidate fractions of the abs-max scale
_MSE_BINARY = np.linspace(0.50, 1.50, 101)  # candidate multiples of mean |w| at 1 bit


def check_bits(bits, maximum: int = 8, what: str = "bits") -> int:
    """An integer number of bits from 1 to ``maximum`` (every workflow's bits go through here).

    >>> check_bits(4), check_bits(20, maximum=24)
    (4, 20)
    >>> check_bits(9)
    Traceback (most recent call last):
    ...
    ValueError: bits=9 is not supported: use an integer from 1 (binary) to 8
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= maximum:
        raise ValueError(f"{what}={bits!r} is not supported: use an integer from 1 (binary) to {maximum}")
    return int(bits)


@dataclass(frozen=True)
class Grid:
    """A per-channel grid: ``bits`` and one positive ``scale`` per output channel (row)."""

    bits: int
    scale: np.ndarray  # (n,) one per output channel

    def __post_init__(self):
        check_bits(self.bits)
        scale = np.asarray(self.scale, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            raise ValueError("grid scales must be finite and positive")
        object.__setattr__(self, "scale", scale)

    @property
    def num_levels(self) -> int:
        return 2**self.bits

    @property
    def spacing(self) -> int:
        return 2 if self.bits == 1 else 1

    @property
    def origin(self) -> int:
        return -1 if self.bits == 1 else -(2 ** (self.bits - 1))

    @property
    def step(self) -> np.ndarray:
        """Distance between neighbouring levels, per channel, shape (n, 1)."""
        return (self.scale * self.spacing)[:, None]

    def position(self, w: np.ndarray) -> np.ndarray:
        """Fractional code of each weight (not clipped)."""
        return (w / self.scale[:, None] - self.origin) / self.spacing

    def nearest(self, w: np.ndarray) -> np.ndarray:
        """Round-to-nearest codes, clipped to the grid (ties to even, as numpy rounds)."""
        return np.clip(np.rint(self.position(w)), 0, self.num_levels - 1).astype(np.int64)

    def levels(self, codes: np.ndarray) -> np.ndarray:
        return self.scale[:, None] * (self.spacing * np.asarray(codes) + self.origin)

    def integers(self, codes: np.ndarray) -> np.ndarray:
        """Signed integer values ``q`` with ``level = scale * q`` (int8)."""
        return (self.spacing * np.asarray(codes) + self.origin).astype(np.int8)

    def quantize(self, w: np.ndarray) -> np.ndarray:
        """Round-to-nearest quantized weights."""
        return self.levels(self.nearest(w))

    @classmethod
    def fit(cls, w: np.ndarray, bits: int, scale: str = "mse") -> "Grid":
        """Per-row scales for the weights ``w`` (n, f).

        ``absmax``: the symmetric range ``max|w|`` covers the grid's half-width
        (``bits == 1``: ``mean|w|``, the L2-optimal binary scale).
        ``mse``: the scale among shrunk abs-max candidates that minimises the weight MSE of
        round-to-nearest (searched per row).
        """
        bits = check_bits(bits)
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(f"weights must be a 2-D matrix (out, in), got shape {w.shape}")
        if scale not in SCALE_METHODS:
            raise ValueError(f"scale={scale!r} is unknown: use one of {SCALE_METHODS}")
        absw = np.abs(w)
        if bits == 1:
            base = absw.mean(axis=1)
        else:
            base = absw.max(axis=1) / ((2**bits - 1) / 2)
        base = np.where(base > 0, base, 1.0)  # an all-zero row: any scale represents it
        if scale == "absmax":
            return cls(bits, base)
        factors = _MSE_BINARY if bits == 1 else _MSE_SHRINK
        best, best_err = base.copy(), np.full(len(base), np.inf)
        for a in factors:
            g = cls(bits, base * a)
            err = ((g.quantize(w) - w) ** 2).sum(axis=1)
            better = err < best_err
            best[better], best_err[better] = base[better] * a, err[better]
        return cls(bits, best)
