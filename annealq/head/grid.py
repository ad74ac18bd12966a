"""K-bit fixed-point grids of a classifier head: one step and offset per class.

Class ``c``'s weights (bias included) take the values ``offset_c + step_c * n`` with integer
``n`` in ``0 .. 2^K - 1`` (K bits read as an unsigned binary number).  Two layouts of a
half-range ``R_c``:

- ``signed``: two's complement, ``n - 2^(K-1)`` steps of ``R_c / 2^(K-1)``: levels
  ``-R_c .. R_c - step``, zero included; at K = 1 the symmetric ``{-R_c, +R_c}``.
- ``midrise``: ``2^K`` levels evenly spanning ``[-R_c, R_c]``, zero excluded.

Example:
    >>> g = FixedPointGrid.signed(bits=2, half_range=[1.0, 2.0])
    >>> g.values(np.array([[0, 1, 2, 3], [0, 1, 2, 3]])).tolist()
    [[-1.0, -0.5, 0.0, 0.5], [-2.0, -1.0, 0.0, 1.0]]
    >>> g.integers(np.array([[0.4, -7.0], [0.9, 1.2]])).tolist()
    [[3, 0], [3, 3]]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annealq.formulations.grids import check_bits

#: Most bits per weight: beyond this the QUBO's coefficients span more than 2^24 (float32's
#: mantissa on the QPU and in the batched annealer) and a step stops being representable.
MAX_BITS = 24
LAYOUTS = ("signed", "midrise")


def check_head_bits(bits) -> int:
    return check_bits(bits, MAX_BITS)


@dataclass(frozen=True)
class FixedPointGrid:
    """``bits``, and per class (row) a positive ``step`` and an ``offset`` (the value of integer 0)."""

    bits: int
    step: np.ndarray
    offset: np.ndarray

    def __post_init__(self):
        check_head_bits(self.bits)
        step = np.asarray(self.step, dtype=np.float64).reshape(-1)
        offset = np.broadcast_to(np.asarray(self.offset, dtype=np.float64), step.shape).copy()
        if not (np.all(np.isfinite(step)) and np.all(step > 0) and np.all(np.isfinite(offset))):
            raise ValueError("a fixed-point grid needs finite positive steps and finite offsets")
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "offset", offset)

    @classmethod
    def from_range(cls, bits: int, half_range, layout: str = "signed") -> "FixedPointGrid":
        """The ``layout`` grid (module docstring) spanning ``±half_range`` per class."""
        bits = check_head_bits(bits)
        r = np.asarray(half_range, dtype=np.float64).reshape(-1)
        if not (np.all(np.isfinite(r)) and np.all(r > 0)):
            raise ValueError(f"grid half-ranges must be finite and positive, got {r}")
        if layout == "midrise":
            return cls(bits, 2.0 * r / (2**bits - 1), -r)
        if layout == "signed":
            return cls(bits, 2.0 * r if bits == 1 else r / 2 ** (bits - 1), -r)
        raise ValueError(f"layout={layout!r} is not supported: use one of {LAYOUTS}")

    @classmethod
    def signed(cls, bits: int, half_range) -> "FixedPointGrid":
        return cls.from_range(bits, half_range, "signed")

    @property
    def max_integer(self) -> int:
        return 2**self.bits - 1

    def values(self, integers) -> np.ndarray:
        """Weights ``(C, f)`` of integers ``(C, f)``."""
        return self.offset[:, None] + self.step[:, None] * np.asarray(integers, dtype=np.float64)

    def integers(self, weights) -> np.ndarray:
        """Integers ``(C, f)`` of the grid points nearest to ``weights`` (clipped to the grid)."""
        n = np.rint((np.asarray(weights, dtype=np.float64) - self.offset[:, None]) / self.step[:, None])
        return np.clip(n, 0, self.max_integer).astype(np.int64)

    def nearest(self, weights) -> np.ndarray:
        """Round to nearest on the grid."""
        return self.values(self.integers(weights))

    def contains(self, weights, rtol: float = 1e-9) -> bool:
        """Whether every weight is a grid point (up to ``rtol`` of a step)."""
        w = np.asarray(weights, dtype=np.float64)
        return bool(np.all(np.abs(w - self.nearest(w)) <= rtol * self.step[:, None]))
