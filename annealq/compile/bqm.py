"""Compile a layer problem's neurons into dimod binary quadratic models.

Built from numpy arrays (dense linear vector, upper-triangular coupling matrix): a dict of
pairs is ~100x slower for dense neurons.

Example:
    >>> import numpy as np
    >>> from annealq.formulations import LayerProblem
    >>> p = LayerProblem(gram=np.eye(2), target=[[0.4, -0.2]], base=[[0, -0.5]], coeffs=[[0.5, 0.5]])
    >>> bqm = neuron_bqm(p, 0)
    >>> bool(np.isclose(bqm.energy([1, 1]), p.energies(np.array([[1, 1]]))[0]))
    True
"""
from __future__ import annotations

import hashlib

import dimod
import numpy as np

from annealq.formulations.problem import LayerProblem


def neuron_bqm(problem: LayerProblem, i: int) -> dimod.BinaryQuadraticModel:
    """Neuron ``i``'s QUBO on variables ``0 .. m-1``; its energy is the reconstruction error."""
    return dimod.BinaryQuadraticModel(problem.linear[i], problem.quadratic(i), float(problem.offset[i]),
                                      dimod.BINARY)


def problem_hash(bqm: dimod.BinaryQuadraticModel) -> str:
    """A content hash of a BQM (variables, biases, offset, vartype), for records and resume."""
    lin, (row, col, quad), offset, labels = bqm.to_numpy_vectors(return_labels=True)
    h = hashlib.sha256()
    h.update(repr((bqm.vartype.name, list(labels), float(offset))).encode())
    for a in (lin, row, col, quad):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:24]
