"""Quantization grids: one class for every workflow's b-bit grids, one ``step`` and ``offset`` per row.

A grid maps integer *codes* ``u`` in ``0 .. 2**bits - 1`` (the bits read as an unsigned binary
number) to values ``offset + step * u``, per row (an output channel, a class):

- ``codes(w)``: the codes of the grid points nearest to ``w`` (clipped to the grid);
- ``values(codes)``: the weights of codes; ``nearest(w)``: ``values(codes(w))``, the weights
  rounded onto the grid;
- ``Grid.symmetric(bits, scale)`` (PTQ): ``bits >= 2``, the signed integer grid
  ``scale * (-2**(bits-1) .. 2**(bits-1) - 1)``; ``bits == 1``, the symmetric binary grid
  ``{-scale, +scale}`` (asymmetric ``{-s, 0}`` binary grids lose the sign of half the weights and
  fail badly; annealq does not use them); ``signed(codes)`` gives the integers ``q`` with
  ``value = scale * q``;
- ``Grid.from_range(bits, half_range, layout)`` (K-bit fixed point): ``signed`` (two's
  complement, zero included) or ``midrise`` (``2**bits`` levels evenly over ``[-R, R]``).

Example:
    >>> import numpy as np
    >>> g = Grid.fit(np.array([[0.5, -1.0, 0.25]]), bits=2, scale="absmax")
    >>> g.nearest(np.array([[0.5, -1.0, 0.25]])).round(3), g.signed(g.codes(np.array([[0.5, -1.0, 0.25]])))
    (array([[ 0.667, -1.333,  0.   ]]), array([[ 1, -2,  0]], dtype=int8))
    >>> h = Grid.from_range(bits=2, half_range=[1.0, 2.0])
    >>> h.values(np.array([[0, 1, 2, 3], [0, 1, 2, 3]])).tolist(), h.codes(np.array([[0.4, -7.0], [0.9, 1.2]])).tolist()
    ([[-1.0, -0.5, 0.0, 0.5], [-2.0, -1.0, 0.0, 1.0]], [[3, 0], [3, 3]])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALE_METHODS = ("absmax", "mse")
LAYOUTS = ("signed", "midrise")
#: Most bits of a grid: beyond this a QUBO's coefficients span more than 2^24 (float32's mantissa on
#: the QPU and in the batched annealer) and a step stops being representable.
MAX_BITS = 24
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
    """``bits``, and per row a positive ``step`` and an ``offset`` (the value of code 0)."""

    bits: int
    step: np.ndarray  # (n,)
    offset: np.ndarray  # (n,)

    def __post_init__(self):
        check_bits(self.bits, MAX_BITS)
        step = np.asarray(self.step, dtype=np.float64).reshape(-1)
        offset = np.broadcast_to(np.asarray(self.offset, dtype=np.float64), step.shape).copy()
        if not (np.all(np.isfinite(step)) and np.all(step > 0) and np.all(np.isfinite(offset))):
            raise ValueError("a grid needs finite positive steps and finite offsets")
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "offset", offset)

    # -- constructors -----------------------------------------------------------------------

    @classmethod
    def symmetric(cls, bits: int, scale) -> "Grid":
        """The signed integer grid times ``scale`` per row (``{-scale, +scale}`` at one bit)."""
        bits = check_bits(bits)
        scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            raise ValueError("grid scales must be finite and positive")
        spacing, origin = (2, -1) if bits == 1 else (1, -(2 ** (bits - 1)))
        return cls(bits, scale * spacing, scale * origin)

    @classmethod
    def from_range(cls, bits: int, half_range, layout: str = "signed") -> "Grid":
        """The ``layout`` grid (module docstring) spanning ``±half_range`` per row."""
        bits = check_bits(bits, MAX_BITS)
        r = np.asarray(half_range, dtype=np.float64).reshape(-1)
        if not (np.all(np.isfinite(r)) and np.all(r > 0)):
            raise ValueError(f"grid half-ranges must be finite and positive, got {r}")
        if layout == "midrise":
            return cls(bits, 2.0 * r / (2**bits - 1), -r)
        if layout == "signed":
            return cls(bits, 2.0 * r if bits == 1 else r / 2 ** (bits - 1), -r)
        raise ValueError(f"layout={layout!r} is not supported: use one of {LAYOUTS}")

    @classmethod
    def fit(cls, w: np.ndarray, bits: int, scale: str = "mse") -> "Grid":
        """A :meth:`symmetric` grid with per-row scales for the weights ``w`` (n, f).

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
            return cls.symmetric(bits, base)
        factors = _MSE_BINARY if bits == 1 else _MSE_SHRINK
        best, best_err = base.copy(), np.full(len(base), np.inf)
        for a in factors:
            g = cls.symmetric(bits, base * a)
            err = ((g.nearest(w) - w) ** 2).sum(axis=1)
            better = err < best_err
            best[better], best_err[better] = base[better] * a, err[better]
        return cls.symmetric(bits, best)

    # -- codes and values ---------------------------------------------------------------------

    @property
    def num_levels(self) -> int:
        return 2**self.bits

    @property
    def spacing(self) -> int:
        """Steps between neighbouring signed integers of a :meth:`symmetric` grid (2 at one bit)."""
        return 2 if self.bits == 1 else 1

    @property
    def scale(self) -> np.ndarray:
        """A :meth:`symmetric` grid's scale per row (``value = scale * signed integer``)."""
        return self.step / self.spacing

    def position(self, w: np.ndarray) -> np.ndarray:
        """Fractional code of each weight (not clipped); ``w / step - offset / step`` rounds as plain
        rounding does on a symmetric grid (``offset / step`` is an exact integer or half there)."""
        return np.asarray(w, dtype=np.float64) / self.step[:, None] - (self.offset / self.step)[:, None]

    def codes(self, w: np.ndarray) -> np.ndarray:
        """Codes of the grid points nearest to ``w``, clipped to the grid (ties to even, as numpy rounds)."""
        return np.clip(np.rint(self.position(w)), 0, self.num_levels - 1).astype(np.int64)

    def values(self, codes: np.ndarray) -> np.ndarray:
        """The weights of ``codes``."""
        return self.offset[:, None] + self.step[:, None] * np.asarray(codes, dtype=np.float64)

    def nearest(self, w: np.ndarray) -> np.ndarray:
        """``w`` rounded to the nearest grid points."""
        return self.values(self.codes(w))

    def signed(self, codes: np.ndarray) -> np.ndarray:
        """A :meth:`symmetric` grid's signed integers ``q`` of ``codes`` (``value = scale * q``, int8)."""
        origin = np.rint(self.offset / self.scale)[:, None]
        return (self.spacing * np.asarray(codes) + origin).astype(np.int8)

    def contains(self, w, rtol: float = 1e-9) -> bool:
        """Whether every weight is a grid point (up to ``rtol`` of a step)."""
        w = np.asarray(w, dtype=np.float64)
        return bool(np.all(np.abs(w - self.nearest(w)) <= rtol * self.step[:, None]))
