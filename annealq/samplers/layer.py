"""Solve every neuron QUBO of a layer through a route, keeping no answer worse than a warm start.

Per-neuron routes (any dimod sampler) get one BQM per neuron; a route with a
``sample_layer(problem, ...)`` method (the ``batched`` annealer) takes the whole layer.
Every raw answer is then polished by steepest descent together with the warm starts
(round-to-nearest, GPTQ), so a neuron's result is never worse than its warm starts; a
layer route marked ``polished`` (its reads end descended and no worse than their starts)
skips that second descent when every warm start seeded a read.

Neurons can be spread over worker processes (``workers``) or any
``concurrent.futures.Executor`` (``executor``; a Dask cluster through
``distributed.Client(...).get_executor()``).

Example:
    >>> import numpy as np
    >>> from annealq.formulations import LayerProblem
    >>> p = LayerProblem(gram=np.eye(3), target=np.full((2, 3), 0.3), base=np.zeros((2, 3)),
    ...                  coeffs=np.full((2, 3), 0.5))
    >>> [round(a.energy, 3) for a in solve_layer(p, "exact")]
    [0.12, 0.12]
"""
from __future__ import annotations

import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable, Iterable

import dimod
import numpy as np
from dwave.samplers import SteepestDescentSolver

from annealq.compile.bqm import neuron_bqm
from annealq.formulations.problem import LayerProblem
from annealq.samplers.router import sampler as make_sampler


@dataclass
class NeuronAnswer:
    """One neuron's outcome: the route's raw SampleSet and the polished best state."""

    neuron: int
    sampleset: dimod.SampleSet
    state: np.ndarray
    energy: float
    seconds: float
    bqm: dimod.BinaryQuadraticModel | None = None  # the problem solved, for records
    problem_hash: str | None = None  # as recorded, when read back from a run store


def neuron_seed(seed: int | None, neuron: int) -> int | None:
    """A per-neuron seed, independent of the order and place neurons are solved in."""
    return None if seed is None else int((seed * 1_000_003 + neuron) % 2**32)


def ordered_states(sampleset: dimod.SampleSet, num_variables: int) -> np.ndarray:
    """The SampleSet's samples as an array with columns in variable order ``0 .. m-1``."""
    columns = [sampleset.variables.index(v) for v in range(num_variables)]
    return sampleset.record.sample[:, columns]


def route_parameters(sampler: dimod.Sampler, *, num_reads: int, num_sweeps: int, seed: int | None,
                     chain_strength=None) -> dict:
    """The parameters a route understands; annealers keep their own default schedule.

    dwave-samplers' default ``beta_range`` beat a schedule set from the neuron QUBO's
    worst-case flip energies by 1.7-2.1x in raw energy on a 784-128 layer (10,000 uniform
    inputs, int4 and int2, 10 reads x 1000 sweeps) and was at most 9% worse on digits' layers.
    """
    wanted = {"num_reads": num_reads, "num_sweeps": num_sweeps, "seed": seed, "chain_strength": chain_strength}
    return {k: v for k, v in wanted.items() if k in sampler.parameters and v is not None}


def polish(bqm: dimod.BinaryQuadraticModel, states: np.ndarray) -> tuple[np.ndarray, float]:
    """Steepest descent from each state; the best local minimum and its energy."""
    labels = list(range(bqm.num_variables))
    result = SteepestDescentSolver().sample(bqm, initial_states=(np.asarray(states, dtype=np.int8), labels))
    best = result.first
    return np.array([best.sample[v] for v in labels], dtype=np.int8), float(best.energy)


def _answer(problem: LayerProblem, i: int, neuron: int, sampleset: dimod.SampleSet, bqm,
            warm: np.ndarray | None, seconds: float, polished: bool = False) -> NeuronAnswer:
    """``polished``: the route's best sample already is a descended state no worse than ``warm``."""
    states = ordered_states(sampleset, problem.num_variables)
    if polished:
        best = int(np.argmin(sampleset.record.energy))
        return NeuronAnswer(neuron, sampleset, states[best].astype(np.int8), float(sampleset.record.energy[best]),
                            seconds, bqm)
    if warm is not None:
        states = np.vstack([states, warm])
    state, energy = polish(bqm, states)
    return NeuronAnswer(neuron, sampleset, state, energy, seconds, bqm)


def solve_chunk(problem: LayerProblem, route: str, neurons: list[int], params: dict,
                warm_starts: np.ndarray | None) -> list[NeuronAnswer]:
    """Solve the sub-problem's neurons one by one (``neurons`` are their labels in the layer)."""
    sampler = make_sampler(route)
    answers = []
    for i, neuron in enumerate(neurons):
        bqm = neuron_bqm(problem, i)
        start = time.perf_counter()
        kwargs = route_parameters(sampler, seed=neuron_seed(params.get("seed"), neuron),
                                  num_reads=params["num_reads"], num_sweeps=params["num_sweeps"],
                                  chain_strength=params.get("chain_strength"))
        sampleset = sampler.sample(bqm, **kwargs)
        sampleset.resolve()
        warm = None if warm_starts is None else warm_starts[i]
        answers.append(_answer(problem, i, neuron, sampleset, bqm, warm, time.perf_counter() - start))
    return answers


def _chunks(items: list[int], count: int) -> list[list[int]]:
    return [c for c in (items[k::count] for k in range(count)) if c]


def solve_layer(problem: LayerProblem, route: str = "sa", *, num_reads: int = 20, num_sweeps: int = 1000,
                seed: int | None = None, warm_starts: np.ndarray | None = None, workers: int = 1,
                executor: Executor | None = None, skip: Iterable[int] = (),
                on_answer: Callable[[NeuronAnswer], None] | None = None, chain_strength=None) -> list[NeuronAnswer]:
    """Solve the neurons of ``problem`` not in ``skip``; answers in neuron order.

    Args:
        warm_starts: ``(n, s, m)`` binary states that every answer must not be worse than.
        workers: processes for per-neuron routes (ignored when ``executor`` is given).
        executor: a ``concurrent.futures.Executor`` to run chunks of neurons on.
        on_answer: called in this process with each answer as it arrives (records, progress),
            so an error later in the layer loses nothing already solved.
        chain_strength: a chain-strength policy for routes that embed (QPU routes); others ignore it.
    """
    todo = [i for i in range(problem.num_neurons) if i not in set(skip)]
    params = {"num_reads": num_reads, "num_sweeps": num_sweeps, "seed": seed, "chain_strength": chain_strength}
    answers: list[NeuronAnswer] = []

    def take(batch):
        for a in batch:
            answers.append(a)
            if on_answer is not None:
                on_answer(a)

    if not todo:
        return answers
    probe = make_sampler(route)
    if hasattr(probe, "sample_layer"):
        sub = problem.subset(todo)
        start = time.perf_counter()
        own = {"chain_strength": chain_strength} if chain_strength is not None and "chain_strength" in probe.parameters \
            else {}
        samplesets = probe.sample_layer(sub, num_reads=num_reads, num_sweeps=num_sweeps, seed=seed,
                                        initial_states=None if warm_starts is None else warm_starts[todo], **own)
        seconds = (time.perf_counter() - start) / len(todo)
        # A route that descends every read and keeps each read no worse than its start needs
        # no second polish, as long as every warm start was some read's start.
        polished = getattr(probe, "polished", False) and (warm_starts is None or num_reads >= warm_starts.shape[1])
        for i, (neuron, ss) in enumerate(zip(todo, samplesets)):
            warm = None if warm_starts is None else warm_starts[neuron]
            take([_answer(sub, i, neuron, ss, neuron_bqm(sub, i), warm, seconds, polished)])
    elif executor is None and workers <= 1:
        for neuron in todo:
            take(solve_chunk(problem.subset([neuron]), route, [neuron], params,
                             None if warm_starts is None else warm_starts[[neuron]]))
    else:
        own = executor is None
        pool = ProcessPoolExecutor(workers) if own else executor
        try:
            futures = [pool.submit(solve_chunk, problem.subset(chunk), route, chunk, params,
                                   None if warm_starts is None else warm_starts[chunk])
                       for chunk in _chunks(todo, max(workers, 1) * 4)]
            for f in as_completed(futures):
                take(f.result())
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
    answers.sort(key=lambda a: a.neuron)
    return answers
