"""The QNN workflow: a quantized ``features -> hidden -> classes`` MLP trained by rounds whose
weights come from a QUBO oracle.

- Methods ``targets`` (the default), ``random``, ``rounding``, ``greedy``:
  :mod:`annealq.qnn.targets` (per-neuron fit QUBOs on layer targets, accepted by the true loss).
- Methods ``qcgd`` and ``penalty`` (binary weights): round ``t`` takes the next mini-batch,
  solves the output block (``W2`` on the spline-model activations of the current ``W1``), then
  the hidden block (``W1`` with the new ``W2``) as QCBOs (:mod:`annealq.formulations.qnn`) —
  per sample group with progressive hedging when ``scenario > 0`` (method ``qcgd``) — and takes
  a discrete conditional-gradient step towards the answer (:func:`step_towards`).  Each oracle
  answer's raw feasibility, violation and residual are recorded as returned
  (:meth:`QNNResult.check`).

Every oracle call is one journal step: a run interrupted and started again with the same
journal reuses what was solved and ends bit-identical.

Example:
    >>> from annealq.qnn.toy import toy_dataset
    >>> result = train(toy_dataset(), QNNConfig(hidden=2, batch=4, iterations=2, inner=2, pool=0, method="qcgd",
    ...                                         route="steepest"))
    >>> result.oracle_calls, result.history[-1]["violations"], result.check()["off_levels"]
    (18, 0, 0)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from annealq.data.checks import check_inputs, check_labels
from annealq.formulations.qnn import hidden_block, output_block
from annealq.formulations.qnn_fit import LEVELS
from annealq.formulations.splines import activation_spline, fip_interval
from annealq.qnn.config import FIT_METHODS, QNNConfig
from annealq.qnn.network import QuantizedMLP, input_levels, layer_scales
from annealq.qnn.targets import train_fit
from annealq.qnn.solvers import Solution, checked, conditional_gradient, penalty_solve, progressive_hedging
from annealq.report.tables import Column
from annealq.workflows import register_workflow, run


@dataclass
class QNNResult:
    """The trained network and one record per round (``history``)."""

    network: QuantizedMLP
    config: QNNConfig
    history: list = field(default_factory=list)
    interval: tuple = (0, 0)

    @property
    def oracle_calls(self) -> int:
        return self.history[-1]["oracle_calls"] if self.history else 0

    def check(self) -> dict:
        """The returned network against its constraints: ``off_levels`` (weights not on their
        layer's levels, from the network), and from the oracle's raw answers as recorded in the
        history (never recomputed from the weights): ``oracle_answers``, ``raw_infeasible``
        (answers that violated a constraint as returned), ``raw_violation`` (their summed
        violations) and ``max_raw_residual`` (largest ``|A x - b|`` of an answer in equality form).
        The fit methods' QUBOs have no constraints: their answers always decode onto the levels."""
        net = self.network
        off = sum(int(((c < 0) | (c >= len(LEVELS[n].values))).sum())
                  for c, n in zip((net.w1, net.w2), net.weight_levels))
        raw = [a for r in self.history for a in r.get("raw_answers", [])]
        return {"off_levels": off, "oracle_answers": len(raw),
                "raw_infeasible": sum(not a["feasible"] for a in raw),
                "raw_violation": float(sum(a["violation"] for a in raw)),
                "max_raw_residual": max((a["residual"] for a in raw if a.get("residual") is not None), default=0.0)}


def train(data, config: QNNConfig = QNNConfig(), **kwargs) -> QNNResult:
    """Train with the workflow that handles ``config``'s type (:func:`train_qnn`)."""
    return run("qnn", data, config, **kwargs)


def prepare(data, config: QNNConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` as integer levels of the (pooled) inputs."""
    shape = getattr(data, "image_shape", None)
    if shape is None:
        raise ValueError("data must be an annealq Dataset (x_train, y_train, x_test, y_test, num_classes, "
                         "image_shape): load one with annealq.data.load_dataset")
    labels = []
    for part in ("train", "test"):
        x = check_inputs(getattr(data, f"x_{part}"), f"data.x_{part}", ndim=2)
        labels.append(np.asarray(check_labels(getattr(data, f"y_{part}"), f"data.y_{part}", samples=len(x),
                                              classes=int(data.num_classes))))
    prep = [input_levels(x, image_shape=shape, pool=config.pool, levels=config.input_levels)
            for x in (data.x_train, data.x_test)]
    return prep[0], labels[0], prep[1], labels[1]


def step_towards(net: QuantizedMLP, w1, w2, x_int, y, loss: str) -> tuple[QuantizedMLP, float, int]:
    """The discrete conditional-gradient step from ``net`` towards the blocks' answer ``(w1, w2)``:
    the changed bits in order of their single-flip gain, and the prefix (0, 1, 2, 4, ... or all
    of them) with the lowest loss on ``(x_int, y)``.  Returns ``(network, loss, bits flipped)``."""
    start = np.concatenate([net.w1.ravel(), net.w2.ravel()])
    target = np.concatenate([np.asarray(w1).ravel(), np.asarray(w2).ravel()])
    changed = np.flatnonzero(start != target)

    def at(bits):
        return QuantizedMLP(bits[: net.w1.size].reshape(net.w1.shape), bits[net.w1.size:].reshape(net.w2.shape),
                         net.s1, net.s2, net.activation, net.levels)

    def flipped(idx):
        bits = start.copy()
        bits[idx] ^= 1
        return bits

    gains = [at(flipped([i])).loss(x_int, y, loss) for i in changed]
    order = changed[np.argsort(gains, kind="stable")]
    sizes = sorted({0, len(order)} | {2 ** k for k in range(int(np.log2(max(len(order), 1))) + 1)})
    trials = [(at(flipped(order[:k])).loss(x_int, y, loss), k) for k in sizes if k <= len(order)]
    value, k = min(trials)
    return at(flipped(order[:k])), float(value), int(k)


@register_workflow("qnn", "annealq.qnn.train", QNNConfig, row_key=("method", "route", "bits"), columns=(
    Column("method"), Column("route"), Column("bits"), Column("bits_per_weight", "bits/weight", "number"),
    Column("accuracy", kind="percent"), Column("train_loss", "train loss", "fixed"),
    Column("oracle_calls", "oracle calls"), Column("seconds", kind="seconds"),
    Column("hidden_oracle_share", "hidden changes from oracle", "percent"),
    Column("raw_feasible", "raw feasible", "percent"), Column("raw_residual", "raw residual", "number"),
    Column("violations")))
def train_qnn(data, config: QNNConfig = QNNConfig(), *, sampler=None, journal=None, init: QuantizedMLP | None = None,
              progress: Callable[[dict], None] | None = None) -> QNNResult:
    """Train a quantized MLP on ``data`` (an annealq Dataset) as in the module docstring.

    Args:
        sampler: the oracle (a route name or dimod sampler; default ``config.solver.route``;
            with method ``penalty``, route ``hybrid-cqm`` is Leap's hybrid CQM solver and
            ``exact-cqm`` dimod's exact CQM solver).
        journal: an :class:`annealq.records.Journal` (workflow ``qnn``): resume and records.
        init: the network to start from (default: ``config.init``).
        progress: called with each round's record.
    """
    x_tr, y_tr, x_te, y_te = prepare(data, config)
    classes, features = int(data.num_classes), x_tr.shape[1]
    rng = np.random.default_rng(config.seed)
    names = config.weight_levels
    s1, s2 = layer_scales(x_tr, config.hidden, config.activation, config.input_levels, config.seed, names)
    random_codes = (rng.integers(0, len(LEVELS[names[0]].values), (config.hidden, features)).astype(np.int8),
                    rng.integers(0, len(LEVELS[names[1]].values), (classes, config.hidden)).astype(np.int8))
    if init is not None:
        if init.w1.shape != (config.hidden, features) or init.w2.shape != (classes, config.hidden):
            raise ValueError(f"init has weights {init.w1.shape} and {init.w2.shape}, the data and config need "
                             f"({config.hidden}, {features}) and ({classes}, {config.hidden})")
        net = init
    elif config.init == "float":
        from annealq.qnn.baselines import float_network

        model = float_network(x_tr, y_tr, classes=classes, hidden=config.hidden, activation=config.activation,
                              loss=config.loss, levels=config.input_levels, seed=config.seed)
        codes = [LEVELS[n].codes_of(w / np.abs(w).max()).astype(np.int8)
                 for n, w in zip(names, (model[i].weight.detach().numpy() for i in (0, 2)))]
        net = QuantizedMLP(*codes, s1, s2, config.activation, config.input_levels, names)
    else:
        net = QuantizedMLP(*random_codes, s1, s2, config.activation, config.input_levels, names)
    sampler = config.solver.route if sampler is None else sampler
    evals = rng.permutation(len(x_tr))[: config.eval_samples]
    order = np.concatenate([rng.permutation(len(x_tr)) for _ in range(-(-config.iterations * config.batch
                                                                         // len(x_tr)) + 1)])

    def step(name):
        return None if journal is None else journal.step("qnn", config, name)

    if config.method in FIT_METHODS:
        history, net = train_fit(net, config, sampler, (x_tr, y_tr, x_te, y_te, order, evals), step=step,
                                 progress=progress)
        return QNNResult(net, config, history)
    lo, hi = fip_interval(x_tr)
    interval = (int(lo.min()), int(hi.max()))
    act = activation_spline(config.activation, *interval, config.pieces, net.unit)

    def solve_block(problem, start, tag, t) -> Solution:
        if config.method == "penalty":
            return penalty_solve(problem, sampler, config=config.solver, journal=step(f"iter-{t}-{tag}"),
                                 start_weights=start)
        calls = config.inner if problem.constraints else 1  # no constraints: one QUBO says it all
        return conditional_gradient(problem, sampler, iterations=calls, config=config.solver, start_weights=start,
                                    journal=lambda k: step(f"iter-{t}-{tag}-{k}"))

    history, calls, start_time = [], 0, time.perf_counter()
    for t in range(config.iterations):
        batch = order[t * config.batch:(t + 1) * config.batch]
        xb, yb = x_tr[batch], y_tr[batch]
        out = output_block(act(xb @ (2.0 * net.w1 - 1).T), yb, classes=classes, scale=s2, loss=config.loss,
                           loss_pieces=config.loss_pieces)
        sol_out = solve_block(out, net.w2.reshape(-1), "out", t)
        w2 = sol_out.weights.reshape(classes, config.hidden).copy()
        w2_real = s2 * (2.0 * w2 - 1)
        block = dict(hidden=config.hidden, activation=config.activation, pieces=config.pieces, loss=config.loss,
                     loss_pieces=config.loss_pieces, unit=net.unit, unit_interval=interval)
        if config.method == "qcgd" and 0 < config.scenario < len(batch):
            groups = [np.arange(k, min(k + config.scenario, len(batch))) for k in range(0, len(batch), config.scenario)]
            problems = [hidden_block(xb[g], yb[g], w2_real, **block) for g in groups]
            w1_bits, _, hedging, n = progressive_hedging(problems, sampler, iterations=config.inner, config=config.solver,
                                                   start_weights=net.w1.reshape(-1),
                                                   journal=lambda k: step(f"iter-{t}-hidden-{k}"))
            checks = [checked(p, p.complete(w1_bits), oracle_calls=0, seconds=0.0) for p in problems]
            hidden_calls, raw_ok = n, None
            hidden_raw = [a for h in hedging for a in h["raw_answers"]]
        else:
            problems = [hidden_block(xb, yb, w2_real, **block)]
            sol = solve_block(problems[0], net.w1.reshape(-1), "hidden", t)
            w1_bits, checks, hidden_calls, raw_ok = sol.weights, [sol], sol.oracle_calls, sol.raw_feasible
            hidden_raw = sol.history
        calls += sol_out.oracle_calls + hidden_calls
        w1 = np.asarray(w1_bits, np.int8).reshape(config.hidden, features).copy()
        net, train_loss, flips = step_towards(net, w1, w2, x_tr[evals], y_tr[evals], config.loss)
        solutions = [sol_out] + checks
        record = {
            "method": config.method, "iteration": t, "oracle_calls": calls, "objective": float(np.mean([c.energy for c in checks])),
            "train_loss": train_loss, "train_accuracy": net.accuracy(x_tr[evals], y_tr[evals]),
            "accuracy": net.accuracy(x_te, y_te), "flips": flips,
            "violations": int(sum(len(s.violations) for s in solutions)),
            "feasible_answers": None if raw_ok is None else raw_ok + sol_out.raw_feasible,
            "variables": int(out.num_variables + sum(p.num_variables for p in problems)),
            "constraints": int(len(out.constraints) + sum(len(p.constraints) for p in problems)),
            "largest_problem": int(max(p.num_variables for p in problems + [out])),
            "raw_answers": [{"block": block_name, "feasible": bool(a["feasible_answer"]),
                             "violation": a["raw_violation"], "residual": a["raw_residual"]}
                            for block_name, answers in (("output", sol_out.history), ("hidden", hidden_raw))
                            for a in answers],
            "seconds": time.perf_counter() - start_time,
        }
        if any(not s.feasible for s in solutions):
            record["infeasible"] = True  # never silently: the record says so
        history.append(record)
        if progress:
            progress(record)
    return QNNResult(net, config, history, interval)
