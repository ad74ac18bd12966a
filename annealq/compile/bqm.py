"""Content hashes and equality of compiled dimod models (BQM and CQM), for records and resume.

Example:
    >>> import numpy as np
    >>> from annealq.formulations import LayerProblem
    >>> p = LayerProblem(gram=np.eye(2), target=[[0.4, -0.2]], base=[[0, -0.5]], coeffs=[[0.5, 0.5]])
    >>> bqm = p.qubo.bqm(0)
    >>> bool(np.isclose(bqm.energy([1, 1]), p.energies(np.array([[1, 1]]))[0]))
    True
    >>> problem_hash(bqm) == problem_hash(p.qubo.bqm(0))
    True
"""
from __future__ import annotations

import hashlib

import dimod
import numpy as np


def _update(h, model) -> None:
    """Feed a BQM, or a CQM's objective or constraint (vartypes, labels, biases, offset), to ``h``."""
    labels = list(model.variables)
    if isinstance(model, dimod.BinaryQuadraticModel):
        lin, (row, col, quad), offset = model.to_numpy_vectors(variable_order=labels, sort_indices=True)
        h.update(repr((model.vartype.name, labels, float(offset))).encode())
        for a in (lin, row, col, quad):
            h.update(np.ascontiguousarray(a).tobytes())
        return
    h.update(repr(([model.vartype(v).name for v in labels], labels, float(model.offset))).encode())
    h.update(repr(sorted((repr(v), float(b)) for v, b in model.iter_linear())).encode())
    h.update(repr(sorted((repr(u), repr(v), float(b)) for u, v, b in model.iter_quadratic())).encode())


def problem_hash(model) -> str:
    """A content hash of a BQM or a CQM (variables, biases, offsets, constraints)."""
    h = hashlib.sha256()
    if isinstance(model, dimod.ConstrainedQuadraticModel):
        _update(h, model.objective)
        for label, c in model.constraints.items():
            h.update(repr((label, c.sense.value, float(c.rhs))).encode())
            _update(h, c.lhs)
    else:
        _update(h, model)
    return h.hexdigest()[:24]


def row_hashes(batch) -> list[str]:
    """A content hash per row of a QUBO or CQM batch: equal rows hash equal in any batch or subset.

    A QUBO row hashes its own arrays (scale, linear, offset) with the shared ``Q0`` digested once,
    so no dense BQM is built; a CQM row hashes its model.

    >>> from annealq.formulations import QUBOBatch
    >>> batch = QUBOBatch(np.zeros((2, 2)), scale=1.0, linear=[[1, 2], [3, 4], [1, 2]], offset=0)
    >>> h = row_hashes(batch)
    >>> h[0] == h[2] != h[1], row_hashes(batch.subset([1])) == [h[1]]
    (True, True)
    """
    if not hasattr(batch, "quadratic"):
        return [problem_hash(batch.cqm(r)) for r in range(batch.num_rows)]
    shared = hashlib.sha256(np.ascontiguousarray(batch.quadratic).tobytes())
    groups = getattr(batch, "groups", None)  # a grouped Q0 is its small matrix and the variables' groups
    if groups is not None:
        shared.update(b"groups" + np.ascontiguousarray(groups, dtype=np.int64).tobytes())
    shared = shared.digest()
    out = []
    for r in range(batch.num_rows):
        h = hashlib.sha256(shared)
        for a in (batch.scale[r], batch.linear[r], batch.offset[r:r + 1]):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        out.append(h.hexdigest()[:24])
    return out


def same_problem(a, b, rtol: float = 1e-9) -> bool:
    """Whether two BQMs (or CQMs) are one problem up to float rounding (the same neuron built
    from a whole layer or from a subset of its neurons differs in the last bits, so hashes differ).

    >>> p = dimod.BQM({0: 1.0, 1: -2.0}, {(0, 1): 0.5}, 0.0, "BINARY")
    >>> same_problem(p, p.copy()), same_problem(p, dimod.BQM("BINARY"))
    (True, False)
    """
    if isinstance(a, dimod.ConstrainedQuadraticModel) or isinstance(b, dimod.ConstrainedQuadraticModel):
        return type(a) is type(b) and problem_hash(a) == problem_hash(b)
    if a.vartype is not b.vartype or a.num_variables != b.num_variables or set(a.variables) != set(b.variables):
        return False
    order = list(a.variables)
    la, (ra, ca, qa), oa = a.to_numpy_vectors(variable_order=order, sort_indices=True)
    lb, (rb, cb, qb), ob = b.to_numpy_vectors(variable_order=order, sort_indices=True)
    scale = max(np.abs(la).max(initial=0), np.abs(qa).max(initial=0), abs(oa), 1e-300)
    return bool(np.array_equal(ra, rb) and np.array_equal(ca, cb) and np.allclose(la, lb, rtol=0, atol=rtol * scale)
                and np.allclose(qa, qb, rtol=0, atol=rtol * scale) and abs(oa - ob) <= rtol * scale)
