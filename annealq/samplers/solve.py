"""One entry point for every formulation: ``solve(problem, sampler, ...)`` -> one answer per row.

``problem`` is a :class:`~annealq.formulations.QUBOBatch` (or anything with a ``.qubo`` batch,
such as a :class:`~annealq.formulations.LayerProblem`) or a
:class:`~annealq.formulations.CQMBatch`; ``sampler`` is a route name or any
``dimod.Sampler`` instance, registered or not.

- A whole-batch sampler (:class:`BatchSampler`: the ``batched`` annealer, the packed QPU
  routes) gets the batch at once; any other sampler gets one model per row.
- QUBO answers are polished by steepest descent together with the warm starts, so no answer
  is worse than a warm start (a :attr:`BatchSampler.polished` sampler whose reads already end
  descended from every warm start skips it).
- CQM rows go as CQMs to a sampler with ``sample_cqm`` (dimod's ``ExactCQMSolver``, Leap's
  hybrid CQM solver), else as penalty BQMs (:meth:`CQMBatch.penalty_bqm`, the multiplier and
  its rule recorded in the answer's ``info``); the best feasible sample is kept (the least
  violated one when none is feasible) and every answer reports its feasibility.
- Rows run in this process, in ``workers`` processes, or on any ``concurrent.futures``
  executor (a Dask client's ``get_executor()``); ``on_answer`` sees every answer in this
  process as it arrives, so a fault later loses nothing already solved.
- Every answer carries ``parameters``: exactly what its sampler call received.

Example:
    >>> import numpy as np
    >>> from annealq.formulations import QUBOBatch
    >>> batch = QUBOBatch(np.array([[0, 1.0], [1.0, 0]]), scale=1.0, linear=[[-1, -1], [1, -1]], offset=0)
    >>> [(a.id, a.state.tolist(), a.energy) for a in solve(batch, "exact")]
    [(0, [1, 0], -1.0), (1, [0, 1], -1.0)]
"""
from __future__ import annotations

import contextlib
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

import dimod
import numpy as np
from dwave.samplers import SteepestDescentSolver

from annealq.formulations.batch import QUBOBatch
from annealq.formulations.cqm import CQMBatch
from annealq.samplers.config import SolverConfig
from annealq.samplers.roles import BatchSampler, accepted, describe_policy, row_seed, sampler_identity
from annealq.samplers.router import sampler as route_sampler


@dataclass
class Answer:
    """One row's outcome.

    Attributes:
        id: the row's id.
        sampleset: the sampler's raw SampleSet.
        state: best state, ``(m,)`` int8 (a CQM's in ``cqm.variables`` order).
        energy: its energy (a CQM's objective value).
        seconds: wall time of the row's solve (a batch's time shared by its rows).
        parameters: what the sampler call received.
        model: the BQM or CQM solved.
        feasible, violations: for CQM rows, of ``state``.
        info: the route that answered, penalty multiplier and rule, polish, and what a journal read back.
    """

    id: int
    sampleset: dimod.SampleSet
    state: np.ndarray
    energy: float
    seconds: float
    parameters: dict = field(default_factory=dict)
    model: dimod.BinaryQuadraticModel | dimod.ConstrainedQuadraticModel | None = None
    feasible: bool | None = None
    violations: dict | None = None
    info: dict = field(default_factory=dict)


def ordered_states(sampleset: dimod.SampleSet, labels) -> np.ndarray:
    """The SampleSet's samples with columns in the order of ``labels``."""
    columns = [sampleset.variables.index(v) for v in labels]
    return sampleset.record.sample[:, columns]


def polish(bqm: dimod.BinaryQuadraticModel, states: np.ndarray) -> tuple[np.ndarray, float]:
    """Steepest descent from each state (variables ``0 .. m-1``); the best local minimum."""
    labels = list(range(bqm.num_variables))
    result = SteepestDescentSolver().sample(bqm, initial_states=(np.asarray(states, dtype=np.int8), labels))
    best = result.first
    return np.array([best.sample[v] for v in labels], dtype=np.int8), float(best.energy)


def qubo_batch(problem) -> QUBOBatch:
    """The QUBO batch of ``problem`` (itself, or its ``.qubo``)."""
    batch = getattr(problem, "qubo", problem)
    if not isinstance(batch, QUBOBatch):
        raise TypeError(f"cannot solve a {type(problem).__name__}: give a QUBOBatch, a CQMBatch or a problem "
                        f"with a .qubo batch (LayerProblem)")
    return batch


def _resolve(sampler) -> dimod.Sampler:
    if isinstance(sampler, str):
        return route_sampler(sampler)
    if not any(hasattr(sampler, verb) for verb in ("sample", "sample_cqm")):
        raise TypeError(f"sampler must be a route name or a dimod sampler, got {type(sampler).__name__}")
    return sampler


def _call_parameters(sampler, config: SolverConfig, seed, chain_strength) -> tuple[dict, dict]:
    """``(sent, recorded)``: the call's keyword arguments, and the same with the policy as text."""
    sent = accepted(sampler, {**config.parameters(), "seed": seed, "chain_strength": chain_strength})
    return sent, _as_recorded(sent)


def _as_recorded(sent: dict) -> dict:
    """``sent`` as the journal records it: a chain-strength policy as its text."""
    return {**sent, **({"chain_strength": describe_policy(sent["chain_strength"])} if "chain_strength" in sent else {})}


def _qubo_answer(batch: QUBOBatch, r: int, sampleset, parameters, warm, seconds, polished=False,
                 bqm=None, keep_model=True) -> Answer:
    if bqm is None and (keep_model or not polished):
        bqm = batch.bqm(r)  # a polished answer that no journal stores needs no BQM (half of a big layer's time)
    states = ordered_states(sampleset, range(batch.num_variables))
    if polished:
        best = int(np.argmin(sampleset.record.energy))
        state, energy = states[best].astype(np.int8), float(sampleset.record.energy[best])
    else:
        state, energy = polish(bqm, states if warm is None else np.vstack([states, warm]))
    return Answer(int(batch.ids[r]), sampleset, state, energy, seconds, parameters, bqm,
                  info={"polished": not polished})


def solve_rows(batch, sampler, positions: list[int], config: SolverConfig, warm_starts, chain_strength,
               penalty) -> list[Answer]:
    """Solve rows of ``batch`` one model at a time (what a worker process runs)."""
    sampler = _resolve(sampler)
    answers = []
    for k, r in enumerate(positions):
        params, recorded = _call_parameters(sampler, config, row_seed(config.seed, batch.ids[r]), chain_strength)
        start = time.perf_counter()
        if isinstance(batch, CQMBatch):
            answers.append(_cqm_answer(batch, r, sampler, params, recorded, penalty, start))
            continue
        bqm = batch.bqm(r)
        sampleset = sampler.sample(bqm, **params)
        sampleset.resolve()
        warm = None if warm_starts is None else warm_starts[k]
        answers.append(_qubo_answer(batch, r, sampleset, recorded, warm, time.perf_counter() - start, bqm=bqm))
    return answers


def _cqm_answer(batch: CQMBatch, r: int, sampler, params: dict, recorded: dict, penalty, start: float) -> Answer:
    cqm = batch.cqm(r)
    labels = list(cqm.variables)
    info: dict = {}
    if hasattr(sampler, "sample_cqm"):
        sampleset = sampler.sample_cqm(cqm, **{k: v for k, v in params.items() if k != "chain_strength"})
    else:
        bqm, multiplier, rule = batch.penalty_bqm(r, penalty)
        info.update(penalty_multiplier=multiplier, penalty_rule=rule)
        sampleset = sampler.sample(bqm, **params)
    sampleset.resolve()
    states = ordered_states(sampleset, labels).astype(np.int8)
    scored = dimod.SampleSet.from_samples_cqm((states, labels), cqm)  # objective and feasibility, vectorised
    objective, feasible = scored.record.energy, scored.record.is_feasible
    if feasible.any():
        best = int(np.flatnonzero(feasible)[np.argmin(objective[feasible])])
        violations = batch.feasibility(r, dict(zip(labels, states[best])))[1]
    else:  # the least violated read (then the lowest objective)
        checks = [batch.feasibility(r, dict(zip(labels, s)))[1] for s in states]
        best = int(np.lexsort((objective, [sum(v.values()) for v in checks]))[0])
        violations = checks[best]
    info["feasible_reads"] = int(feasible.sum())
    return Answer(int(batch.ids[r]), sampleset, states[best], float(objective[best]), time.perf_counter() - start,
                  recorded, cqm, bool(feasible[best]), violations, info)


def die_with_parent() -> None:
    """Worker initializer: on Linux, end this worker when the process that started it dies
    (even by ``kill -9``), so no orphaned solver keeps running; elsewhere nothing."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _chunks(items: list[int], count: int) -> list[list[int]]:
    return [c for c in (items[k::count] for k in range(count)) if c]


def solve(problem, sampler=None, *, config: SolverConfig | None = None, warm_starts=None,
          executor: Executor | None = None, journal=None, chain_strength=None, penalty="bound",
          on_answer: Callable[[Answer], None] | None = None) -> list[Answer]:
    """Solve every row of ``problem``; answers in row order (see module docstring).

    Every field of ``config`` is applied: ``route`` (unless ``sampler`` is given), ``num_reads``,
    ``num_sweeps``, ``seed`` (per row, :func:`row_seed`), ``workers``, ``chain_strength`` (the
    prefactor of uniform torque compensation on routes that embed) and ``warm_start``.

    Args:
        problem: a QUBOBatch, a CQMBatch, or a problem with a ``.qubo`` batch.
        sampler: a route name or a dimod sampler (default: ``config.route``).
        config: budget, seed, workers, chain strength, warm starts (default ``SolverConfig()``).
        warm_starts: ``(n, s, m)`` binary states per QUBO row that no answer may be worse than
            (ignored when ``config.warm_start`` is False).
        executor: a ``concurrent.futures.Executor`` for per-row samplers (else ``config.workers``).
        journal: a journal step (``annealq.records.Journal.step(...)``): a row whose very problem
            it holds an answer to, from this sampler under these settings, is not solved again
            (whatever run or step recorded it); new answers are saved.
        chain_strength: a chain-strength policy overriding ``config.chain_strength``.
        penalty: the multiplier rule of CQM rows sent as penalty BQMs.
        on_answer: called with each new answer as it arrives.
    """
    config = config or SolverConfig()
    batch = problem if isinstance(problem, CQMBatch) else qubo_batch(problem)
    spec = config.route if sampler is None else sampler  # what worker processes rebuild the sampler from
    route = spec if isinstance(spec, str) else type(spec).__name__
    sampler = _resolve(spec)
    if chain_strength is None:
        from annealq.embedding.chains import chain_strength_policy

        chain_strength = chain_strength_policy("uniform_torque_compensation", prefactor=config.chain_strength)
    if not config.warm_start:
        warm_starts = None
    if warm_starts is not None:
        warm_starts = np.asarray(warm_starts, dtype=np.int8)
        warm_starts = warm_starts.reshape(batch.num_rows, -1, warm_starts.shape[-1])
    done = {}
    if journal is not None:
        done = journal.reusable(batch, solver_settings(spec, sampler, config, chain_strength, warm_starts is not None))
    todo = [r for r in range(batch.num_rows) if int(batch.ids[r]) not in done]
    answers = list(done.values())

    def take(new):
        for a in new:
            a.info["route"] = a.sampleset.info.get("route", route)
            answers.append(a)
            if journal is not None:
                journal.save(a)
            if on_answer is not None:
                on_answer(a)

    if todo and isinstance(sampler, BatchSampler) and isinstance(batch, QUBOBatch):
        keep = journal is not None and getattr(journal, "keeps_problems", True)
        _solve_whole(batch.subset(todo), sampler, config, None if warm_starts is None else warm_starts[todo],
                     chain_strength, take, keep)
    elif todo and executor is None and config.workers <= 1:
        for r in todo:
            take(solve_rows(batch, sampler, [r], config, None if warm_starts is None else warm_starts[[r]],
                            chain_strength, penalty))
    elif todo:
        own = executor is None
        pool = ProcessPoolExecutor(config.workers, initializer=die_with_parent) if own else executor
        try:
            futures = [pool.submit(solve_rows, batch.subset(chunk), spec, list(range(len(chunk))), config,
                                   None if warm_starts is None else warm_starts[chunk], chain_strength, penalty)
                       for chunk in _chunks(todo, config.workers * 4)]
            for f in as_completed(futures):
                take(f.result())
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
    order = {int(i): k for k, i in enumerate(batch.ids)}
    return sorted(answers, key=lambda a: order[a.id])


def solver_settings(spec, sampler, config: SolverConfig, chain_strength, warm: bool) -> dict:
    """What decides a row's answer besides its problem: the sampler's identity, the settings that
    reach it (as it accepts them) and whether warm starts were used; the journal keys answers by it.

    >>> a = solver_settings("sa", route_sampler("sa"), SolverConfig(chain_strength=0.5), None, True)
    >>> a == solver_settings("sa", route_sampler("sa"), SolverConfig(chain_strength=8.0), None, True)
    True
    """
    sent = {**config.parameters(), "seed": config.seed, "chain_strength": describe_policy(chain_strength)}
    return {"sampler": sampler_identity(spec), "parameters": accepted(sampler, sent), "warm_start": warm}


def _solve_whole(sub: QUBOBatch, sampler: BatchSampler, config: SolverConfig, warm, chain_strength, take,
                 keep_model: bool):
    start = time.perf_counter()
    own = accepted(sampler, {**config.parameters(), "chain_strength": chain_strength})
    recorded = _as_recorded(own)
    samplesets = sampler.sample_batch(sub, seed=config.seed, initial_states=warm, **own)
    reads = config.num_reads
    # reads that end descended from every warm start need no second polish
    polished = sampler.polished and (warm is None or reads is None or reads >= warm.shape[1])
    for r, ss in enumerate(samplesets):  # a sampler that times its rows says so; else the time since the last
        seconds = ss.info.get("seconds", time.perf_counter() - start)
        start = time.perf_counter()
        params = {**ss.info.get("parameters", {**own, "seed": config.seed}), **recorded}
        take([_qubo_answer(sub, r, ss, params, None if warm is None else warm[r], seconds, polished,
                           keep_model=keep_model)])
