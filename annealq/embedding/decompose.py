"""Block coordinate descent for problems larger than the largest clique that fits.

A neuron's QUBO with more variables than the target's largest clique is solved by
sweeping over blocks of at most ``block_size`` variables: all other variables are
fixed at their current values (the sub-BQM is what
``bqm.copy().fix_variables(fixed)`` gives, built from the BQM's numpy vectors, ~100x
faster on a dense 785-variable neuron), the sub-problem on the block goes to any dimod sampler
(an embedded QPU sampler in production; :class:`dimod.ExactSolver` or
:class:`dwave.samplers.SimulatedAnnealingSampler` in tests), and its best answer is
kept when it lowers the energy. Sweeps repeat until one brings no improvement.

Examples:
    >>> import dimod
    >>> from annealq.embedding.decompose import solve_by_blocks
    >>> bqm = dimod.generators.gnp_random_bqm(10, 1.0, "BINARY", random_state=3)
    >>> answer = solve_by_blocks(bqm, dimod.ExactSolver(), block_size=5, seed=0)
    >>> bool(answer.first.energy == dimod.ExactSolver().sample(bqm).first.energy)
    True
    >>> answer.info["num_subproblem_calls"] > 0
    True
"""

from __future__ import annotations

from typing import Mapping, Optional

import dimod
import numpy as np

__all__ = ["condition_on", "solve_by_blocks"]


class _Vectors:
    """A BQM's numpy vectors in a fixed variable order, for fast conditioning."""

    def __init__(self, bqm: dimod.BinaryQuadraticModel, variables: list):
        self.variables = variables
        self.vartype = bqm.vartype
        self.ldata, (self.irow, self.icol, self.qdata), self.offset = bqm.to_numpy_vectors(
            variable_order=variables)

    def condition(self, block_idx: np.ndarray, x: np.ndarray) -> dimod.BinaryQuadraticModel:
        n = len(self.variables)
        inside = np.zeros(n, dtype=bool)
        inside[block_idx] = True
        local = np.full(n, -1, dtype=np.int64)
        local[block_idx] = np.arange(len(block_idx))
        rin, cin = inside[self.irow], inside[self.icol]
        both, row_only, col_only = rin & cin, rin & ~cin, cin & ~rin
        neither = ~(rin | cin)
        k = len(block_idx)
        linear = self.ldata[block_idx].astype(float)
        linear += np.bincount(local[self.irow[row_only]], minlength=k,
                              weights=self.qdata[row_only] * x[self.icol[row_only]])
        linear += np.bincount(local[self.icol[col_only]], minlength=k,
                              weights=self.qdata[col_only] * x[self.irow[col_only]])
        offset = (float(self.offset) + float(self.ldata[~inside] @ x[~inside])
                  + float(np.sum(self.qdata[neither] * x[self.irow[neither]]
                                 * x[self.icol[neither]])))
        return dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear, (local[self.irow[both]], local[self.icol[both]], self.qdata[both]),
            offset, self.vartype, variable_order=[self.variables[i] for i in block_idx])


def condition_on(bqm: dimod.BinaryQuadraticModel, fixed: Mapping) -> dimod.BinaryQuadraticModel:
    """The sub-BQM on the free variables, given values of the ``fixed`` ones.

    Same result as ``bqm.copy().fix_variables(fixed)`` (offset included).

    >>> import dimod
    >>> bqm = dimod.BQM({"a": 1.0, "b": 2.0}, {("a", "b"): -3.0}, 0.5, "BINARY")
    >>> sub = condition_on(bqm, {"b": 1})
    >>> float(sub.linear["a"]), float(sub.offset)
    (-2.0, 2.5)
    """
    variables = list(bqm.variables)
    vectors = _Vectors(bqm, variables)
    x = np.array([fixed.get(v, 0) for v in variables], dtype=float)
    free = np.array([i for i, v in enumerate(variables) if v not in fixed], dtype=np.int64)
    return vectors.condition(free, x)


def _random_state(variables, vartype, rng) -> dict:
    values = (0, 1) if vartype is dimod.BINARY else (-1, 1)
    picks = rng.integers(0, 2, size=len(variables))
    return {v: values[int(b)] for v, b in zip(variables, picks)}


def solve_by_blocks(bqm: dimod.BinaryQuadraticModel, sampler: dimod.Sampler,
                    block_size: int, *, initial_state: Optional[Mapping] = None,
                    num_restarts: int = 1, perturbation: float = 0.3,
                    max_sweeps: int = 100, patience: int = 3, shuffle: bool = True,
                    seed: Optional[int] = None, sampler_kwargs: Optional[Mapping] = None,
                    tolerance: float = 1e-12) -> dimod.SampleSet:
    """Minimise ``bqm`` by block coordinate descent with sub-problems for ``sampler``.

    Args:
        bqm: the problem (any size).
        sampler: solves the block sub-problems (at most ``block_size`` variables).
        block_size: variables per block, e.g. the target's largest clique.
        initial_state: start of the first restart (default: random).
        num_restarts: number of descents; one row each in the answer. Restarts after
            the first begin from the best state so far with a ``perturbation``
            fraction of its variables flipped at random (iterated local search);
            ``perturbation=None`` makes them independent random starts.
        perturbation: fraction of variables flipped for a restart.
        max_sweeps: bound on sweeps per restart.
        patience: stop after this many consecutive sweeps without improvement (with
            ``shuffle`` each sweep tries a new partition; without it, 1 suffices).
        shuffle: new random partition into blocks at every sweep (helps escape
            block-local minima); otherwise contiguous blocks in variable order.
        seed: seeds the starts and the partitions.
        sampler_kwargs: passed to every ``sampler.sample`` call (e.g. ``num_reads``).
        tolerance: minimum energy decrease accepted as an improvement.

    Returns:
        A SampleSet of the final state of every restart (lowest energy first by
        ``.first``), with ``info``: ``num_subproblem_calls`` (sampler calls),
        ``num_sweeps`` (per restart), ``block_size``, ``converged`` (per restart:
        ``patience`` sweeps ended without improvement) and ``energy_trace`` (per restart, after
        every sweep).
    """
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    sampler_kwargs = dict(sampler_kwargs or {})
    rng = np.random.default_rng(seed)
    variables = list(bqm.variables)
    n = len(variables)
    position = {v: i for i, v in enumerate(variables)}
    states, sweeps, converged, traces = [], [], [], []
    calls = 0

    if n <= block_size:  # fits in one piece: a single call
        answer = sampler.sample(bqm, **sampler_kwargs)
        calls = 1
        states.append(dict(answer.first.sample))
        sweeps, converged = [1], [True]
        traces.append([float(answer.first.energy)])
    else:
        vectors = _Vectors(bqm, variables)
        best_x, best_energy = None, np.inf
        for restart in range(num_restarts):
            if restart == 0 and initial_state is not None:
                state = {v: initial_state[v] for v in variables}
            elif best_x is not None and perturbation is not None:
                x = best_x.copy()
                flips = rng.choice(n, size=max(1, int(round(perturbation * n))), replace=False)
                x[flips] = (1 - x[flips]) if bqm.vartype is dimod.BINARY else -x[flips]
                state = {v: x[i].item() for i, v in enumerate(variables)}
            else:
                state = _random_state(variables, bqm.vartype, rng)
            x = np.array([state[v] for v in variables], dtype=float)
            trace = [float(bqm.energy(state))]
            done = False
            sweep = stale = 0
            while sweep < max_sweeps and not done:
                sweep += 1
                order = rng.permutation(n) if shuffle else np.arange(n)
                improved = False
                for start in range(0, n, block_size):
                    block_idx = np.sort(order[start:start + block_size])
                    sub = vectors.condition(block_idx, x)
                    answer = sampler.sample(sub, **sampler_kwargs)
                    calls += 1
                    candidate = dict(answer.first.sample)
                    current = {variables[i]: x[i] for i in block_idx}
                    if sub.energy(candidate) < sub.energy(current) - tolerance:
                        for v, value in candidate.items():
                            x[position[v]] = value
                        improved = True
                state = {v: x[i].item() for i, v in enumerate(variables)}
                trace.append(float(bqm.energy(state)))
                stale = 0 if improved else stale + 1
                done = stale >= (patience if shuffle else 1)
            states.append({v: int(x[i]) for i, v in enumerate(variables)})
            if trace[-1] < best_energy:
                best_x, best_energy = x.copy(), trace[-1]
            sweeps.append(sweep)
            converged.append(done)
            traces.append(trace)

    answer = dimod.SampleSet.from_samples_bqm(states, bqm)
    answer.info.update(num_subproblem_calls=calls, num_sweeps=sweeps,
                       block_size=int(block_size), converged=converged,
                       energy_trace=traces)
    return answer
