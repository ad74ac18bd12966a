"""Annealing schedules set from a problem's coefficients.

The hot end accepts the largest single-flip energy change with probability 1/2; the cold
end rejects the smallest meaningful change with probability 99%, as in simulated
annealing practice (and dwave-samplers' default), but computed from the flip energies of
the dense neuron QUBO rather than from bias magnitudes alone.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: 1.0, 1: -2.0}, {(0, 1): 0.5}, 0, "BINARY")
    >>> hot, cold = beta_range(bqm)
    >>> hot < cold
    True
"""
from __future__ import annotations

import dimod
import numpy as np


def flip_energy_bounds(linear: np.ndarray, quadratic: np.ndarray) -> tuple[float, float]:
    """Largest possible and smallest meaningful single-flip energy change.

    ``quadratic`` is the dense ``(m, m)`` coupling matrix (either triangle, zero diagonal).
    """
    q = np.abs(quadratic) + np.abs(quadratic).T
    largest = float(np.max(np.abs(linear) + q.sum(axis=1), initial=0.0))
    nonzero = np.concatenate([np.abs(linear[linear != 0]), q[q > 0]])
    smallest = float(np.quantile(nonzero, 0.01)) if nonzero.size else 0.0
    return largest, smallest


def beta_range(bqm: dimod.BinaryQuadraticModel) -> tuple[float, float]:
    """``(hot, cold)`` inverse temperatures for ``bqm`` (see module docstring)."""
    lin, (row, col, quad), _ = bqm.to_numpy_vectors(variable_order=list(bqm.variables))
    dense = np.zeros((bqm.num_variables, bqm.num_variables))
    dense[row, col] = quad
    largest, smallest = flip_energy_bounds(lin, dense)
    if largest <= 0:
        return 0.1, 1.0
    smallest = smallest if smallest > 0 else largest * 1e-3
    return float(np.log(2) / largest), float(np.log(100) / smallest)
