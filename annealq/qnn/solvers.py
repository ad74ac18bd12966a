"""Solvers of a :class:`~annealq.formulations.qnn.QCBO` block, each returning a checked :class:`Solution`.

- :func:`conditional_gradient` (method ``qcgd``): a CGAL-type conditional-gradient loop on
  the lifted set ``conv{x x^T : x binary}`` in the way of Q-FW (Yurtsever, Birdal & Golyanik,
  ECCV 2022).  Inequalities get binary slacks, so the constraints read ``A x = b``; the lifted
  constraints are ``A diag(X) = b`` and the squared residual ``<A^T A, X> - 2 b^T A diag(X) +
  |b|^2 = 0`` (zero on the hull only when every atom is feasible).  Iteration ``t``:
  ``beta_t = sqrt(t + 1)``; the linear minimisation oracle minimises the augmented
  Lagrangian's gradient over the atoms ``x x^T``, which is a QUBO (quadratic part
  ``Q + kappa A^T A`` with ``kappa = mu + beta_t q(X)``) solved by :func:`annealq.solve` on any
  route or dimod sampler; ``X <- (1 - eta_t) X + eta_t x x^T`` with ``eta_t = 2 / (t + 2)``;
  the multipliers move as in the augmented Lagrangian method, ``y += r(X)``, ``mu += q(X)``
  (objective scaled to unit largest bias, constraint rows to unit largest coefficient), so no
  penalty weight is asked for.  Every oracle answer's weights are also completed to their
  feasible lifting (:meth:`QCBO.complete`); the best feasible state found is returned.
- :func:`penalty_solve` (method ``penalty``): the CQM through ``annealq.solve`` (penalty BQM
  with the "bound" multiplier rule, or ``sample_cqm`` for dimod's ``ExactCQMSolver`` and Leap's
  hybrid CQM solver, routes ``exact-cqm`` and ``hybrid-cqm``).
- :func:`progressive_hedging`: per-sample (or per-group) subproblems sharing the weight bits,
  each advanced by one conditional-gradient step per iteration with the hedging terms
  ``lambda_s . w + rho_t / 2 |w - w_bar|^2`` (linear on binaries), ``rho_t = 0.1 * 1.5^t``,
  a scenario proposes its answer's weights when their completion lowers its own objective
  (else the consensus), consensus ``w_bar`` by majority; the best of the consensus and the
  proposals on the whole batch is returned.

A returned state is never infeasible without ``feasible=False`` and its violations.

Example:
    >>> import numpy as np
    >>> from annealq.formulations.qnn import hidden_block
    >>> problem = hidden_block(np.array([[1, 0], [1, 1]]), [0, 1], np.array([[1.0], [-1.0]]), hidden=1,
    ...                        pieces=2)
    >>> found = conditional_gradient(problem, "exact", iterations=3)
    >>> found.feasible, found.weights.tolist(), round(found.energy, 3), found.oracle_calls
    (True, [1, 0], 1.0, 3)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from annealq.formulations.batch import QUBOBatch
from annealq.formulations.cqm import CQMBatch
from annealq.formulations.qnn import QCBO
from annealq.samplers.config import SolverConfig
from annealq.samplers.solve import solve

SLACK_BITS_FRACTIONAL = 6  # resolution of a slack on a constraint with real coefficients
BETA0 = 1e-3  # small by measurement: the oracle explores, the completion projects (docs/qnn.md)


@dataclass
class Solution:
    """A solver's answer to one block.

    Attributes:
        state: the QCBO state returned (weights first).
        energy: its objective.
        feasible, violations: of ``state`` (checked, ``{label: amount}`` of the violated ones).
        oracle_calls: sampler calls made.
        history: per iteration, ``{"energy", "feasible_answers", "residual"}``.
        raw_feasible: how many oracle answers were feasible as returned (before completion).
    """

    state: np.ndarray
    energy: float
    feasible: bool
    violations: dict
    oracle_calls: int
    seconds: float
    num_weights: int
    history: list = field(default_factory=list)
    raw_feasible: int = 0
    info: dict = field(default_factory=dict)

    @property
    def weights(self) -> np.ndarray:
        return self.state[: self.num_weights]


def checked(problem: QCBO, state, **kw) -> Solution:
    """A :class:`Solution` of ``state`` with its feasibility checked on ``problem``'s constraints."""
    state = np.asarray(state, dtype=np.int8)
    bad = {k: v for k, v in problem.violations(state).items() if v > 1e-9}
    return Solution(state, problem.energy(state), not bad, bad, num_weights=problem.num_weights, **kw)


class EqualityForm:
    """``A [x, slack] = b`` of a QCBO's constraints, rows scaled to unit largest coefficient."""

    def __init__(self, problem: QCBO):
        a, rhs, eq = problem.constraint_matrix()
        m = problem.num_variables
        self.slack = []  # per inequality row: (row, first column, bits, step)
        col = m
        for r in np.flatnonzero(~eq):
            room = rhs[r] - np.minimum(a[r], 0).sum()
            integral = np.allclose(a[r], np.round(a[r])) and float(rhs[r]).is_integer()
            bits = max(int(room).bit_length(), 1) if integral else SLACK_BITS_FRACTIONAL
            step = 1.0 if integral else max(room, 1e-12) / (2 ** bits - 1)
            self.slack.append((r, col, bits, step))
            col += bits
        self.num_variables = col
        self.a = np.zeros((len(rhs), col))
        self.a[:, :m] = a
        for r, c, bits, step in self.slack:
            self.a[r, c:c + bits] = step * 2.0 ** np.arange(bits)
        norm = np.abs(self.a).max(axis=1, initial=0)
        norm[norm == 0] = 1.0
        self.a /= norm[:, None]
        self.b = rhs / norm
        self.m = m

    def extend(self, state) -> np.ndarray:
        """``state`` with its slack bits (the slack that satisfies each inequality, clipped)."""
        out = np.zeros(self.num_variables, dtype=np.int8)
        out[: self.m] = state
        for r, c, bits, step in self.slack:
            room = self.b[r] - self.a[r, : self.m] @ out[: self.m]
            value = int(np.clip(np.round(room / (self.a[r, c] if self.a[r, c] else 1.0)), 0, 2 ** bits - 1))
            out[c:c + bits] = (value >> np.arange(bits)) & 1
        return out

    def residual(self, x) -> np.ndarray:
        res = self.a @ x - self.b
        return np.where(np.abs(res) > 1e-9, res, 0.0)  # a satisfied row has no rounding residue


class ConditionalGradient:
    """The state of the conditional-gradient loop on one QCBO (see module docstring)."""

    def __init__(self, problem: QCBO, start_state, beta0: float = BETA0):
        self.problem, self.beta0 = problem, beta0
        self.form = EqualityForm(problem)
        self.scale = 1.0 / max(np.abs(problem.quadratic).max(initial=0), np.abs(problem.linear).max(initial=0), 1e-12)
        a = self.form.a
        self.gram = a.T @ a
        self.atb = a.T @ self.form.b
        x0 = self.form.extend(start_state)
        res = self.form.residual(x0)
        self.r, self.q = res, float(res @ res)
        self.y, self.mu, self.t = np.zeros(len(res)), 0.0, 0
        self.current = x0

    def qubo(self, extra_linear=None) -> tuple[np.ndarray, np.ndarray]:
        """``(Q0 symmetric with zero diagonal, linear)`` of the oracle's QUBO at this iterate."""
        m = self.problem.num_variables
        beta = self.beta0 * np.sqrt(self.t + 1.0)
        kappa = self.mu + beta * self.q
        quad = kappa * self.gram
        quad[:m, :m] += self.scale * 0.5 * (self.problem.quadratic + self.problem.quadratic.T)
        linear = self.form.a.T @ (self.y + beta * self.r) + kappa * (np.diag(self.gram) - 2 * self.atb)
        linear[:m] += self.scale * self.problem.linear
        if extra_linear is not None:
            linear[: len(extra_linear)] += extra_linear
        np.fill_diagonal(quad, 0.0)
        return quad, linear

    def step(self, atom) -> None:
        """Move the iterate towards ``atom x x^T`` and the multipliers by the new residuals."""
        eta = 2.0 / (self.t + 2.0)
        res = self.form.residual(atom)
        self.r = (1 - eta) * self.r + eta * res
        self.q = (1 - eta) * self.q + eta * float(res @ res)
        self.y = self.y + self.beta0 * self.r
        self.mu = self.mu + self.beta0 * self.q
        self.t += 1


def oracle(quad, linear, sampler, config: SolverConfig, warm, row_id: int, journal) -> np.ndarray:
    """One QUBO through :func:`annealq.solve` (warm start ``warm``); the best state."""
    quad = np.where(np.abs(quad) > 1e-12 * np.abs(quad).max(initial=0), quad, 0.0)  # rounding dust off A^T A
    batch = QUBOBatch(quad, 1.0, linear[None, :], 0.0, ids=[row_id])
    warm = warm[None, None, :] if config.warm_start else None
    (answer,) = solve(batch, sampler, config=config, warm_starts=warm, journal=journal)
    return answer.state.astype(np.int8)


def raw_answer(problem: QCBO, form: EqualityForm, atom) -> dict:
    """An oracle answer as returned: ``raw_violation`` (summed constraint violations of its QCBO
    part) and ``raw_residual`` (``|A x - b|`` of the whole answer, slacks included)."""
    raw = np.asarray(atom[: problem.num_variables])
    return {"raw_violation": float(sum(problem.violations(raw).values())),
            "raw_residual": float(np.linalg.norm(form.residual(atom)))}


def conditional_gradient(problem: QCBO, sampler="sa", *, iterations: int = 10, config: SolverConfig | None = None,
                         start_weights=None, journal: Callable[[int], object] | None = None,
                         row_id: int = 0, on_iteration: Callable[[dict], None] | None = None,
                         beta0: float = BETA0) -> Solution:
    """The conditional-gradient loop (module docstring) for ``iterations`` oracle calls.

    Args:
        sampler: route name or dimod sampler (the oracle); ``config``: its budget and seed.
        start_weights: the network to start from (default all zero bits); it stays a candidate.
        journal: ``journal(t)`` -> the journal step of iteration ``t`` (or None).
    """
    config = config or SolverConfig()
    start = time.perf_counter()
    weights = np.zeros(problem.num_weights, np.int8) if start_weights is None else np.asarray(start_weights, np.int8)
    best = problem.complete(weights)
    best_energy = problem.energy(best)
    loop = ConditionalGradient(problem, best, beta0)
    history, raw_feasible = [], 0
    for t in range(iterations):
        quad, linear = loop.qubo()
        atom = oracle(quad, linear, sampler, config, loop.current, row_id, journal(t) if journal else None)
        loop.step(atom)
        raw = atom[: problem.num_variables]
        completed = problem.complete(raw[: problem.num_weights])
        raw_ok = problem.feasible(raw)
        raw_feasible += raw_ok
        for cand in ([raw] if raw_ok else []) + [completed]:
            e = problem.energy(cand)
            if e < best_energy - 1e-12:
                best, best_energy = cand.astype(np.int8), e
        loop.current = loop.form.extend(best)
        record = {"iteration": t, "energy": best_energy, "feasible_answer": bool(raw_ok),
                  "residual": float(np.sqrt(loop.q)), **raw_answer(problem, loop.form, atom)}
        history.append(record)
        if on_iteration:
            on_iteration(record)
    return checked(problem, best, oracle_calls=iterations, seconds=time.perf_counter() - start, history=history,
                   raw_feasible=raw_feasible, info={"method": "qcgd", "variables": loop.form.num_variables})


def penalty_solve(problem: QCBO, sampler="sa", *, config: SolverConfig | None = None, journal=None,
                  row_id: int = 0, start_weights=None) -> Solution:
    """The CQM through :func:`annealq.solve`: a ``sample_cqm`` sampler gets it as it is, any other
    the penalty BQM (multiplier rule "bound"); the answer's weights are also completed and the
    better feasible state kept (``start_weights`` stays a candidate too)."""
    config = config or SolverConfig()
    start = time.perf_counter()
    cqm = problem.cqm()
    (answer,) = solve(CQMBatch([cqm], ids=[row_id]), sampler, config=config, journal=journal)
    raw = problem.state_from_sample(dict(zip(cqm.variables, answer.state)))
    candidates = ([raw] if answer.feasible else []) + [problem.complete(raw[: problem.num_weights])]
    if start_weights is not None:
        candidates.append(problem.complete(start_weights))
    best = min(candidates, key=problem.energy)
    info = {"method": "penalty", **{k: answer.info[k] for k in ("penalty_multiplier", "penalty_rule") if k in answer.info},
            "answer_feasible": bool(answer.feasible), "answer_violations": {k: v for k, v in answer.violations.items()
                                                                            if v > 1e-9}}
    return checked(problem, best, oracle_calls=1, seconds=time.perf_counter() - start, raw_feasible=int(answer.feasible),
                   history=[{"iteration": 0, "energy": problem.energy(best), "feasible_answer": bool(answer.feasible),
                             "raw_violation": float(sum(answer.violations.values())), "raw_residual": None}],
                   info=info)


def progressive_hedging(problems: list[QCBO], sampler="sa", *, iterations: int = 10,
                        config: SolverConfig | None = None, start_weights=None,
                        journal: Callable[[int], object] | None = None,
                        on_iteration: Callable[[dict], None] | None = None) -> tuple[np.ndarray, float, list, int]:
    """Per-scenario subproblems (same weight bits first) with consensus on the weights.

    Returns ``(weights, mean energy, history, oracle calls)``; every scenario's state of the
    returned weights is their feasible completion (checked by the caller's :func:`checked`).
    """
    config = config or SolverConfig()
    nw = problems[0].num_weights
    if any(p.num_weights != nw for p in problems):
        raise ValueError("progressive hedging needs scenarios over the same weight bits")
    consensus = np.zeros(nw, np.int8) if start_weights is None else np.asarray(start_weights, np.int8)

    def total(w):
        return float(np.mean([p.energy(p.complete(w)) for p in problems]))

    best, best_energy = consensus.copy(), total(consensus)
    loops = [ConditionalGradient(p, p.complete(consensus)) for p in problems]
    lam = np.zeros((len(problems), nw))
    history, calls = [], 0
    for t in range(iterations):
        rho = 0.1 * 1.5 ** t
        step = journal(t) if journal else None
        proposals, raw = [], []
        for s, loop in enumerate(loops):
            quad, linear = loop.qubo(lam[s] + 0.5 * rho * (1.0 - 2.0 * consensus))
            atom = oracle(quad, linear, sampler, config, loop.current, s, step)
            calls += 1
            loop.step(atom)
            loop.current = atom
            raw.append({"feasible_answer": problems[s].feasible(atom[: problems[s].num_variables]),
                        **raw_answer(problems[s], loop.form, atom)})
            own = problems[s]  # the scenario proposes the answer's weights only if they serve it
            better = own.energy(own.complete(atom[:nw])) < own.energy(own.complete(consensus))
            proposals.append(atom[:nw] if better else consensus)
        proposals = np.array(proposals, dtype=np.int8)
        mean = proposals.mean(axis=0)
        lam += rho * (proposals - mean)
        consensus = np.where(mean > 0.5, 1, np.where(mean < 0.5, 0, consensus)).astype(np.int8)
        for w in [consensus, *np.unique(proposals, axis=0)]:
            energy = total(w)
            if energy < best_energy - 1e-12:
                best, best_energy = np.array(w, dtype=np.int8), energy
        record = {"iteration": t, "energy": best_energy, "agreement": float(np.mean(np.abs(mean - 0.5) * 2)),
                  "raw_answers": raw}
        history.append(record)
        if on_iteration:
            on_iteration(record)
    return best, best_energy, history, calls
