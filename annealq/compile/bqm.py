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


def same_problem(a: dimod.BinaryQuadraticModel, b: dimod.BinaryQuadraticModel, rtol: float = 1e-9) -> bool:
    """Whether two BQMs are one problem up to float rounding (the same neuron built from a
    whole layer or from a subset of its neurons differs in the last bits, so hashes differ).

    >>> p = LayerProblem(gram=np.eye(2), target=[[0.4, -0.2]], base=[[0, -0.5]], coeffs=[[0.5, 0.5]])
    >>> same_problem(neuron_bqm(p, 0), neuron_bqm(p, 0)), same_problem(neuron_bqm(p, 0), dimod.BQM("BINARY"))
    (True, False)
    """
    if a.vartype is not b.vartype or a.num_variables != b.num_variables or set(a.variables) != set(b.variables):
        return False
    order = list(a.variables)
    la, (ra, ca, qa), oa = a.to_numpy_vectors(variable_order=order, sort_indices=True)
    lb, (rb, cb, qb), ob = b.to_numpy_vectors(variable_order=order, sort_indices=True)
    scale = max(np.abs(la).max(initial=0), np.abs(qa).max(initial=0), abs(oa), 1e-300)
    return bool(np.array_equal(ra, rb) and np.array_equal(ca, cb) and np.allclose(la, lb, rtol=0, atol=rtol * scale)
                and np.allclose(qa, qb, rtol=0, atol=rtol * scale) and abs(oa - ob) <= rtol * scale)
