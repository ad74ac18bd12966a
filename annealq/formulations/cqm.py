"""A batch of constrained quadratic models (binary variables; linear equalities, inequalities,
one-hot groups by ``add_discrete``) with stable ids, a penalty BQM per row for samplers that
take only BQMs (:mod:`annealq.compile.penalty`: the multiplier comes with its rule) and the
feasibility of any answer.

Example:
    >>> import dimod
    >>> x = [dimod.Binary(i) for i in range(3)]
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(-1 * x[0] - 2 * x[1] + 3 * x[0] * x[1])
    >>> cqm.add_constraint(x[0] + x[1] + x[2] == 1, label="one")
    'one'
    >>> batch = CQMBatch([cqm], ids=[7])
    >>> bqm, multiplier, rule = batch.penalty_bqm(0)
    >>> batch.feasibility(0, {0: 0, 1: 1, 2: 0}), batch.feasibility(0, {0: 1, 1: 1, 2: 0})[0]
    ((True, {'one': 0.0}), False)
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
