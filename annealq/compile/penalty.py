"""Constrained models to penalty BQMs, with the multiplier chosen by a stated rule, and feasibility.

Samplers that take only BQMs get dimod's ``cqm_to_bqm`` with a multiplier returned with its rule:

- ``"bound"`` (default): ``1 + sum |objective biases|``, more than the objective can change
  between any two binary assignments.  When every constraint has integer coefficients and
  right-hand side (one-hot groups, counts, k-hot), an infeasible assignment pays at least the
  multiplier, so the penalty BQM's ground state is feasible and optimal: exact.  Otherwise it
  is a heuristic, and the rule returned says ``bound (inexact: fractional constraints)``.
- ``"dimod"``: dimod's own default (10x the largest objective bias), no guarantee.
- a positive number: used as given.

Example:
    >>> import dimod
    >>> x = [dimod.Binary(i) for i in range(3)]
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(-1 * x[0] - 2 * x[1] + 3 * x[0] * x[1])
    >>> cqm.add_constraint(x[0] + x[1] + x[2] == 1, label="one")
    'one'
    >>> bqm, multiplier, rule = penalty_bqm(cqm)
    >>> multiplier, rule
    (7.0, 'bound')
    >>> feasibility(cqm, dimod.ExactSolver().sample(bqm).first.sample)
    (True, {'one': 0.0})
"""
from __future__ import annotations

import dimod
import numpy as np

MULTIPLIER_RULES = ("bound", "dimod")


def penalty_bqm(cqm: dimod.ConstrainedQuadraticModel, multiplier="bound") -> tuple[dimod.BinaryQuadraticModel, float, str]:
    """``(bqm, multiplier, rule)`` (rules in the module docstring); dimod adds inequalities' slacks."""
    if isinstance(multiplier, str):
        if multiplier not in MULTIPLIER_RULES:
            raise ValueError(f"multiplier rule {multiplier!r} is unknown: use a positive number or one of "
                             f"{MULTIPLIER_RULES}")
        rule = multiplier
        value = objective_bound(cqm) + 1.0 if rule == "bound" else None
        if rule == "bound" and not integral_constraints(cqm):
            rule = "bound (inexact: fractional constraints)"
    else:
        value, rule = float(multiplier), "given"
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"a penalty multiplier must be positive and finite, got {multiplier!r}")
    bqm, _ = dimod.cqm_to_bqm(cqm, lagrange_multiplier=value)
    if value is None:  # dimod's default, recomputed to be recorded
        value = 10.0 * max(_objective_biases(cqm), default=1.0)
    return bqm, float(value), rule


def feasibility(cqm: dimod.ConstrainedQuadraticModel, sample) -> tuple[bool, dict]:
    """``(feasible, {constraint label: violation})`` of one sample (slack variables ignored)."""
    sample = {v: sample[v] for v in cqm.variables}
    violations = {str(k): float(max(v, 0.0)) for k, v in cqm.iter_violations(sample, clip=True)}
    return bool(cqm.check_feasible(sample)), violations


def _objective_biases(cqm: dimod.ConstrainedQuadraticModel) -> list[float]:
    obj = cqm.objective
    return [abs(float(b)) for b in list(obj.linear.values()) + list(obj.quadratic.values())]


def objective_bound(cqm: dimod.ConstrainedQuadraticModel) -> float:
    """``sum |biases|`` of the objective: no two binary assignments differ by more."""
    return float(sum(_objective_biases(cqm)))


def integral_constraints(cqm: dimod.ConstrainedQuadraticModel) -> bool:
    """Whether every constraint has integer coefficients and right-hand side."""
    for c in cqm.constraints.values():
        lhs = c.lhs
        values = list(lhs.linear.values()) + list(getattr(lhs, "quadratic", {}).values()) + [c.rhs, lhs.offset]
        if any(float(v) != round(float(v)) for v in values):
            return False
    return True
