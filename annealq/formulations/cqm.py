"""A batch of constrained quadratic models (binary variables; linear equalities, inequalities,
one-hot groups by ``add_discrete``) with stable ids, a penalty BQM per row for samplers that
take only BQMs (:mod:`annealq.compile.penalty`: the multiplier comes with its rule) and the
feasibility of any answer.

Example:
    >>> import dimod
    >>> a, b = dimod.Binaries("ab")
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(a - 2 * b)
    >>> _ = cqm.add_constraint(a + b <= 1, label="at most one")
    >>> batch = CQMBatch([cqm], ids=[7])
    >>> batch.feasibility(0, {"a": 0, "b": 1}), batch.feasibility(0, {"a": 1, "b": 1})[0]
    ((True, {'at most one': 0.0}), False)
"""
from __future__ import annotations

from dataclasses import dataclass

import dimod
import numpy as np

from annealq.compile.penalty import feasibility, penalty_bqm
from annealq.formulations.batch import row_ids


@dataclass(eq=False)
class CQMBatch:
    """CQMs with stable ids (default ``0 .. n-1``)."""

    models: list
    ids: np.ndarray | None = None

    def __post_init__(self):
        self.models = list(self.models)
        for i, m in enumerate(self.models):
            if not isinstance(m, dimod.ConstrainedQuadraticModel):
                raise TypeError(f"row {i} is a {type(m).__name__}, not a dimod.ConstrainedQuadraticModel")
        self.ids = row_ids(self.ids, len(self.models))

    @property
    def num_rows(self) -> int:
        return len(self.models)

    def cqm(self, r: int) -> dimod.ConstrainedQuadraticModel:
        return self.models[r]

    def subset(self, rows) -> "CQMBatch":
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        return CQMBatch([self.models[r] for r in rows], self.ids[rows])

    def penalty_bqm(self, r: int, multiplier="bound") -> tuple[dimod.BinaryQuadraticModel, float, str]:
        """Row ``r`` as a penalty BQM: ``(bqm, multiplier, rule)`` (:func:`annealq.compile.penalty_bqm`)."""
        return penalty_bqm(self.models[r], multiplier)

    def feasibility(self, r: int, sample) -> tuple[bool, dict]:
        """``(feasible, {constraint label: violation})`` of one sample of row ``r``."""
        return feasibility(self.models[r], sample)
