"""Weight levels of a quantized layer, their binary encoding, and the per-neuron target-fit QUBO.

**Levels** (:class:`WeightLevels`, values in units of the layer's scale ``s``):

- ``binary``: ``{-1, +1}``, one bit ``b``: ``w = s (2 b - 1)``;
- ``2bit``: ``{-1, -1/3, 1/3, 1}``, two bits: ``w = s (-1 + 2/3 b0 + 4/3 b1)``;
- ``ternary``: ``{-1, 0, +1}``, two bits ``w = s (b0 + b1 - 1)`` (``01`` and ``10`` both read 0,
  so every state is a weight on the levels and no constraint is needed).

**Target fit**: given a layer's inputs ``A`` (``N x f``) and pre-activation targets ``z*``
(``N x n``, one column per neuron), neuron ``i``'s weights on the levels minimise
``|| A w - z*_i ||^2``.  With ``G = A^T A`` shared by every neuron this is annealq's
:class:`~annealq.formulations.problem.LayerProblem` (``target_field = A^T z*_i``,
``target_energy = |z*_i|^2``, ``target`` the relaxed least-squares fit): its QUBO energy *is*
``|| A w - z*_i ||^2`` on every state, and its rows share ``Q0`` (:class:`QUBOBatch`).

Example:
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    >>> z = np.array([[1.0], [0.0], [-2.0]])
    >>> p = fit_problem(a, z, scale=1.0, levels=LEVELS["binary"])
    >>> states = np.array([[[0, 0], [1, 0], [0, 1], [1, 1]]])
    >>> p.energies(states)[0].tolist()    # ||A w - z||^2 for w in {-1,+1}^2
    [8.0, 0.0, 20.0, 20.0]
    >>> bits_per_weight([(2, "binary"), (2, "2bit")], scale_bits=0)
    1.5
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annealq.formulations.problem import LayerProblem


@dataclass(frozen=True)
class WeightLevels:
    """A level set: ``values`` (in units of the scale, ascending), ``bits`` per weight, and the
    encoding ``w = base + coeffs . b`` of a weight's bits ``b`` (``stored_bits`` counted per weight)."""

    name: str
    values: tuple
    base: float
    coeffs: tuple

    @property
    def bits(self) -> int:
        return len(self.coeffs)

    def decode(self, bits) -> np.ndarray:
        """Level values of bit arrays ``(..., weights, bits)``."""
        return self.base + np.asarray(bits, np.float64) @ np.asarray(self.coeffs)

    def code_bits(self, codes) -> np.ndarray:
        """Bits ``(..., bits)`` that decode to ``values[codes]`` (the first such state)."""
        codes = np.asarray(codes, np.int64)
        table = np.zeros((len(self.values), self.bits), np.int8)
        states = np.array([[(s >> k) & 1 for k in range(self.bits)] for s in range(2 ** self.bits)], np.int8)
        decoded = self.decode(states)
        for c, v in enumerate(self.values):
            table[c] = states[int(np.flatnonzero(np.isclose(decoded, v))[0])]
        return table[codes]

    def codes_of(self, values) -> np.ndarray:
        """Codes of the nearest levels to ``values`` (in units of the scale)."""
        grid = np.asarray(self.values)
        return np.abs(np.asarray(values, np.float64)[..., None] - grid).argmin(axis=-1)

    @property
    def rms(self) -> float:
        """Root mean square of the levels (uniform codes)."""
        return float(np.sqrt(np.mean(np.square(self.values))))


LEVELS = {
    "binary": WeightLevels("binary", (-1.0, 1.0), -1.0, (2.0,)),
    "2bit": WeightLevels("2bit", (-1.0, -1 / 3, 1 / 3, 1.0), -1.0, (2 / 3, 4 / 3)),
    "ternary": WeightLevels("ternary", (-1.0, 0.0, 1.0), -1.0, (1.0, 1.0)),
}
SPEC_NAMES = {"1": "binary", "2": "2bit", "ternary": "ternary", "binary": "binary", "2bit": "2bit", "t": "ternary"}


def parse_levels(spec, layers: int = 2) -> tuple:
    """Per-layer level names from ``1``, ``2``, ``"ternary"``, ``"1,2"`` or ``(1, "ternary")``.

    >>> parse_levels(1), parse_levels("1,2"), parse_levels((2, "ternary"))
    (('binary', 'binary'), ('binary', '2bit'), ('2bit', 'ternary'))
    >>> parse_levels(3)
    Traceback (most recent call last):
    ...
    ValueError: bits=3 is not supported: use 1 (binary), 2 (2-bit), ternary, or one per layer such as "1,2"
    """
    parts = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else \
        list(spec) if isinstance(spec, (tuple, list)) else [spec]
    names = [SPEC_NAMES.get(str(p).lower()) if not isinstance(p, bool) else None for p in parts]
    if not parts or None in names or len(names) not in (1, layers):
        raise ValueError(f"bits={spec!r} is not supported: use 1 (binary), 2 (2-bit), ternary, or one per layer "
                         f"such as \"1,2\"")
    return tuple(names * layers if len(names) == 1 else names)


def bits_per_weight(layers, scale_bits: int = 32) -> float:
    """Stored bits per weight of a network: each weight its level set's bits (ternary: its 2
    stored bits), plus one ``scale_bits`` scale per layer; ``layers`` are ``(weights, level name)``.

    >>> round(bits_per_weight([(16 * 16, "binary"), (10 * 16, "binary")]), 3)
    1.154
    """
    layers = list(layers)
    total = sum(n * LEVELS[name].bits + scale_bits for n, name in layers)
    return total / sum(n for n, _ in layers)


def fip_bounds(inputs, scale: float, levels: WeightLevels) -> tuple[np.ndarray, np.ndarray]:
    """Forward interval propagation through one layer: per sample, the interval every
    pre-activation lies in for any weights on ``scale * levels`` (``inputs`` ``(N, f)``).

    >>> lo, hi = fip_bounds(np.array([[1.0, -2.0]]), 0.5, LEVELS["ternary"])
    >>> lo.tolist(), hi.tolist()
    ([-1.5], [1.5])
    """
    a = np.asarray(inputs, np.float64)
    lo_v, hi_v = scale * min(levels.values), scale * max(levels.values)
    lo = np.minimum(a * lo_v, a * hi_v).sum(axis=1)
    hi = np.maximum(a * lo_v, a * hi_v).sum(axis=1)
    return lo, hi


def fit_problem(inputs, targets, *, scale: float, levels: WeightLevels, ridge: float = 1e-6,
                neuron_ids=None) -> LayerProblem:
    """The per-neuron QUBOs ``min_w || inputs @ w - targets[:, i] ||^2`` over weights on
    ``scale * levels`` (module docstring); ``ridge`` (relative) only keeps the relaxed fit
    ``target`` finite on a singular Gram matrix, the energies are exact; ``neuron_ids`` are the
    QUBO rows' ids (seeds, journal records)."""
    a = np.asarray(inputs, np.float64)
    z = np.asarray(targets, np.float64)
    if a.ndim != 2 or z.ndim != 2 or z.shape[0] != a.shape[0]:
        raise ValueError(f"inputs (N, f) and targets (N, neurons) must share N, got {a.shape} and {z.shape}")
    n, f = z.shape[1], a.shape[1]
    gram = a.T @ a
    field = (a.T @ z).T
    lam = ridge * max(float(np.mean(np.diag(gram))), 1e-12)
    relaxed = np.linalg.solve(gram + lam * np.eye(f), field.T).T
    k = levels.bits
    return LayerProblem(gram=gram, target=relaxed, base=np.full((n, f), scale * levels.base),
                        coeffs=np.tile(scale * np.asarray(levels.coeffs), (n, f)),
                        variable_weight=np.repeat(np.arange(f), k), target_field=field,
                        target_energy=np.einsum("ij,ij->j", z, z), meta={"formulation": "qnn-fit",
                                                                         "levels": levels.name},
                        neuron_ids=neuron_ids)
