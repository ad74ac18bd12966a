"""Vectorised simulated annealing, then tabu search, of every neuron of a layer at once (route ``batched``).

All ``n * num_reads`` chains run together against the layer's shared matrix ``G_v``.
Neuron ``i``'s energy with ``c = coeffs[i]``, ``L = linear[i]``, ``u = c * v`` is

    E_i(v) = offset_i + L . v + u^T G0 u,       G0 = G_v with its diagonal set to 0.

Each chain keeps ``a = 2 c (1 - 2v)`` and the field ``f = L / c + 2 G0 u``; flipping
variable ``k`` costs ``dE = a_k f_k / 2``, negates ``a_k`` and adds ``G0[:, k] a_k`` to
``f`` (a variable with ``c_k = 0`` never matters and keeps its starting value).

Choices, one line each (measured: benchmarks/results/speed.json, speed_batched.json; docs/ptq.md):

- sweeps are exact sequential Metropolis sweeps with lazy blocked field updates (``BLOCK``
  variables, then one matrix product): as exact as one flip at a time, at BLAS speed;
- float32 for annealing and tabu, float64 for the final descent: half the memory traffic,
  exact reported energies;
- a short anneal (``NUM_SWEEPS``) then a tabu search (``MIN_TABU_STEPS`` steps at least):
  single flips stall on these QUBOs (inputs of nonzero mean give ``G`` one dominant
  direction, so a balanced pair of flips is needed) and tabu's uphill moves get past it;
- the schedule's ends come from typical flips, not worst-case bounds (cold: rejects a tenth
  of a typical step's energy with probability 99%; hot: accepts a tenth of the median
  starting flip with probability 1/2; warm starts from ``cold / WARM_SPAN``): worst-case
  bounds start too hot and stop too warm on real layers;
- reads ``min(NUM_READS, READ_BUDGET // m)`` (:func:`default_reads`): on wide rows more reads
  cost time without lowering the error, on narrow ones they pay;
- a final greedy descent from the searched states and from the warm starts, so no read is
  worse than its start;
- numpy rather than torch (many small per-variable operations), single-threaded BLAS
  (``blas_threads``): multi-threaded BLAS was slower with the other core busy.

Example:
    >>> import numpy as np
    >>> from annealq.formulations import LayerProblem
    >>> p = LayerProblem(gram=np.eye(3) + 0.5, target=np.full((2, 3), 0.3), base=np.zeros((2, 3)),
    ...                  coeffs=np.full((2, 3), 0.5))
    >>> sets = BatchedAnnealer().sample_batch(p.qubo, num_reads=4, seed=1)
    >>> [round(float(s.first.energy), 3) for s in sets]
    [0.175, 0.175]
"""
from __future__ import annotations

import time

import dimod
import numpy as np
import scipy.sparse
from threadpoolctl import threadpool_limits

from annealq.formulations.batch import QUBOBatch
from annealq.samplers.roles import BatchSampler

BLOCK = 64
NUM_SWEEPS = 20  # a short anneal seeds the tabu search (module docstring)
NUM_READS = 10  # reads per row by default, but at most READ_BUDGET // m (at least 2) for wide rows
READ_BUDGET = 3200  # reads x variables: 4 reads at 785 variables end within 0.03% of 10 in a quarter of the time
WARM_SPAN = 10.0  # warm starts anneal from cold / WARM_SPAN
COLD_FRACTION = 0.1  # the cold end rejects this fraction of a typical step's energy with probability 99%
HOT_FRACTION = 0.1  # the hot end accepts this fraction of the median starting flip with probability 1/2
SPARSE_CHAINS = 0.3  # below this fraction of chains moved in a block, update only their fields
FROZEN_SWEEPS = 10  # annealing stops early after this many sweeps in which no chain changed
TABU_TENURE = 20  # a flipped variable stays tabu this many steps (at most a quarter of the variables), plus 0-2
MIN_TABU_STEPS = 2000  # tabu steps by default: the number of variables, at least this


def cold_betas(coeffs: np.ndarray, diagonal: np.ndarray) -> np.ndarray:
    """``(n,)``: ``log(100) / (COLD_FRACTION * median_k c_k^2 G_kk)`` (1 for a neuron without steps);
    ``diagonal``: ``(G_kk)`` ``(m,)``."""
    own = coeffs**2 * diagonal
    typical = np.array([np.median(row[row > 0]) if np.any(row > 0) else 0.0 for row in own])
    return np.divide(np.log(100.0), COLD_FRACTION * typical, out=np.ones(len(own)), where=typical > 0)


def bqm_cold_beta(binary: dimod.BinaryQuadraticModel) -> float:
    """``log(100) / q``, ``q`` the 1% quantile of a binary BQM's nonzero ``|h|`` and ``|J|`` (1 when none)."""
    linear, (_, _, quadratic), _ = binary.to_numpy_vectors()
    biases = np.abs(np.concatenate([linear, quadratic]))
    biases = biases[biases > 0]
    return float(np.log(100.0) / np.quantile(biases, 0.01)) if biases.size else 1.0


def geometric_betas(ranges: np.ndarray, num_sweeps: int) -> np.ndarray:
    """``(num_sweeps, n)`` inverse temperatures, geometric from each neuron's hot to cold end."""
    frac = np.linspace(0.0, 1.0, num_sweeps) if num_sweeps != 1 else np.ones(1)  # one sweep: the cold end
    return ranges[:, 0] * (ranges[:, 1] / ranges[:, 0]) ** frac[:, None]


class Grouped:
    """``Q0`` of a grouped :class:`QUBOBatch`: ``Q0_jk = gram[groups[j], groups[k]]`` off the diagonal."""

    def __init__(self, gram, groups):
        self.gram = np.asarray(gram, dtype=np.float64)
        self.groups = np.asarray(groups, dtype=np.int64)


class _Dense:
    """``Q0`` held whole, ``(m, m)`` in the annealing dtype (its diagonal dropped)."""

    def __init__(self, quadratic, dtype):
        self.quadratic = quadratic
        self.g = np.ascontiguousarray(quadratic - np.diag(np.diag(quadratic)), dtype=dtype)

    def field(self, x):
        """``2 Q0 x`` (float64) of ``x`` ``(m, B)``."""
        return 2.0 * (self.quadratic - np.diag(np.diag(self.quadratic))) @ x

    def row_field(self, u):
        """``2 u Q0`` of ``u`` ``(B, m)`` with ``Q0`` in the annealing dtype."""
        return 2.0 * u @ self.g

    def block(self, lo, hi):
        return self.g[lo:hi, lo:hi]

    def push(self, lo, hi, moves, out=None):
        """``Q0[:, lo:hi] @ moves``."""
        return np.matmul(self.g[lo:hi].T, moves, out=out)  # g symmetric: g[lo:hi].T == g[:, lo:hi]

    def rows(self, k, out):
        np.take(self.g, k, axis=0, out=out)


class _Grouped:
    """``Q0`` as :class:`Grouped`: only the ``(f, f)`` gram is held; products go through it (memory ``f^2 + m``).

    Groups in ascending runs (a fixed-point problem's bits, weight by weight) are expanded by
    ``np.repeat``, about 5x faster than an index gather on the head's rows.
    """

    def __init__(self, grouped: Grouped, dtype):
        self.gram, self.groups = grouped.gram, grouped.groups
        self.g = np.ascontiguousarray(self.gram, dtype=dtype)
        self.own = np.diag(self.gram)[self.groups]  # the diagonal that Q0 drops
        self.own_d = self.own.astype(dtype)
        m, f = len(self.groups), len(self.gram)
        self.pool = scipy.sparse.csr_matrix((np.ones(m), (self.groups, np.arange(m))), shape=(f, m))
        counts = np.bincount(self.groups, minlength=f)
        self.counts = counts if np.array_equal(np.repeat(np.arange(f), counts), self.groups) else None

    def expand(self, x, axis: int = 0):
        """``x`` indexed by ``groups`` along ``axis``: from one entry per group to one per variable."""
        if self.counts is None:
            return np.take(x, self.groups, axis=axis)
        return np.repeat(x, self.counts, axis=axis)

    def field(self, x):
        return 2.0 * (self.expand(self.gram @ (self.pool @ x)) - self.own[:, None] * x)

    def row_field(self, u):
        return self.field(u.T).T

    def block(self, lo, hi):
        g = self.groups[lo:hi]
        out = self.g[np.ix_(g, g)]
        np.fill_diagonal(out, 0.0)
        return out

    def push(self, lo, hi, moves, out=None):
        result = self.expand(self.g[:, self.groups[lo:hi]] @ moves)
        result[lo:hi] -= self.own_d[lo:hi, None] * moves
        if out is None:
            return result
        out[...] = result
        return out

    def rows(self, k, out):
        out[...] = self.expand(self.g[self.groups[k]], axis=1)
        out[np.arange(len(k)), k] = 0.0


def couplings(quadratic, dtype):
    """``Q0`` for the annealer: a dense ``(m, m)`` array (diagonal ignored) or a :class:`Grouped`."""
    return _Grouped(quadratic, dtype) if isinstance(quadratic, Grouped) else _Dense(quadratic, dtype)


class _Chains:
    """Chains as columns ``(m, B)``: signed doubled coefficients ``a`` and fields ``f``."""

    def __init__(self, quadratic, coeffs, linear, states, dtype):
        """``coeffs``, ``linear``, binary ``states``: ``(B, m)``; ``quadratic``: ``(m, m)`` or :class:`Grouped`."""
        self.dtype = dtype
        self.g0 = couplings(quadratic, dtype)
        self.coeffs = coeffs.T
        self.start = states.T
        self.ratio = np.divide(linear.T, self.coeffs, out=np.zeros(self.coeffs.shape), where=self.coeffs != 0)
        self.a = np.ascontiguousarray(2.0 * self.coeffs * (1 - 2 * self.start), dtype=dtype)
        self.field = np.ascontiguousarray(self.ratio + self.g0.field(self.coeffs * self.start), dtype=dtype)

    def states(self) -> np.ndarray:
        """``(B, m)`` binary states."""
        flipped = self.a * self.coeffs < 0
        return np.where(self.coeffs != 0, flipped, self.start).T.astype(np.int8)

    def flip_energies(self) -> np.ndarray:
        """``(m, B)`` energy change of flipping each variable now."""
        return self.a * self.field / 2.0

    def energies(self) -> np.ndarray:
        """``(B,)`` energies without the offset: ``sum_k v_k c_k (f_k + L_k / c_k) / 2``."""
        v = self.a * self.coeffs < 0
        return np.sum(v * self.coeffs * (self.field + self.ratio), axis=0) / 2.0

    def sweep(self, thresholds: np.ndarray) -> bool:
        """One sequential sweep: variable ``k`` of chain ``b`` flips when ``2 dE < thresholds[k, b]``.

        Returns whether any chain changed.
        """
        m, chains = self.a.shape
        moves = np.zeros((min(BLOCK, m), chains), self.dtype)
        push = np.empty((m, chains), self.dtype)
        de = np.empty(chains, self.dtype)
        flip = np.empty(chains, bool)
        g, f, a = self.g0, self.field, self.a
        changed = False
        for lo in range(0, m, BLOCK):
            hi = min(lo + BLOCK, m)
            moves[:] = 0
            block = g.block(lo, hi)
            for k in range(lo, hi):
                np.dot(block[k - lo, : k - lo], moves[: k - lo], out=de)
                de += f[k]
                de *= a[k]
                np.less(de, thresholds[k], out=flip)
                np.copyto(moves[k - lo], a[k], where=flip)
                np.negative(a[k], out=a[k], where=flip)
            moved = np.flatnonzero(moves.any(axis=0))
            if moved.size > SPARSE_CHAINS * chains:
                f += g.push(lo, hi, moves[: hi - lo], out=push)
            elif moved.size:
                f[:, moved] += g.push(lo, hi, moves[: hi - lo, moved])
            changed = changed or moved.size > 0
        return changed

    def descend(self) -> None:
        """Steepest descent: every chain flips its most negative ``dE`` until none is negative."""
        a, field = self.a.T.copy(), self.field.T.copy()  # chains as rows: a chain's flip updates one row
        live = np.arange(len(a) if self.a.size else 0)
        while live.size:
            de = a[live] * field[live]
            k = np.argmin(de, axis=1)
            down = de[np.arange(live.size), k] < 0
            live, k = live[down], k[down]
            push = np.empty((live.size, a.shape[1]), a.dtype)
            self.g0.rows(k, out=push)
            field[live] += push * a[live, k][:, None]
            a[live, k] *= -1
        self.a[...], self.field[...] = a.T, field.T


def tabu_search(quadratic, coeffs, linear, states, steps: int, rng: np.random.Generator,
                dtype=np.float32) -> np.ndarray:
    """Tabu search from binary ``states`` ``(B, m)``; each chain's best state seen, ``(B, m)``.

    Each step every chain makes its best single flip, uphill too, among the variables it has
    not flipped in its last ``tenure`` steps (``min(TABU_TENURE, m // 4)`` plus 0-2, drawn
    per chain); a tabu flip is allowed when it reaches the chain's best energy so far.
    Chains are rows here (the flip's field update is one contiguous row of ``G0`` per chain).
    """
    chains, m = states.shape
    if steps <= 0 or not states.size:
        return states
    g0 = couplings(quadratic, dtype)
    live = coeffs != 0
    u = coeffs * states
    ratio = np.divide(linear, coeffs, out=np.zeros(coeffs.shape), where=live)
    field = ratio + g0.row_field(u)
    energy2 = np.sum(u * (field + ratio), axis=1)  # twice the energy without the offset
    a = np.where(live, 2.0 * coeffs * (1 - 2 * states), 1.0).astype(dtype)
    field = np.where(live, field, np.inf).astype(dtype)  # a variable with c_k = 0 is never flipped
    tenure = max(1, min(TABU_TENURE, m // 4))
    own = tenure + rng.integers(0, 3, chains)
    span = tenure + 2
    history = np.full((steps, chains), -1, np.int64)
    best2, best_step = energy2.copy(), np.full(chains, -1)
    rows = np.arange(chains)
    de2 = np.empty((chains, m), dtype)
    push = np.empty((chains, m), dtype)
    for step in range(steps):
        np.multiply(a, field, out=de2)  # twice each flip's energy change
        lo = max(0, step - span)
        recent = history[lo:step]  # (<= span, B): the newest last
        if recent.size:
            age = np.arange(step - lo, 0, -1)[:, None]  # steps since each recent move
            ks = np.maximum(recent, 0)
            aspires = de2[rows, ks] < (best2 - energy2)
            blocked = (age <= own) & (recent >= 0) & ~aspires
            de2[np.broadcast_to(rows, ks.shape)[blocked], ks[blocked]] = np.inf
        k = np.argmin(de2, axis=1)
        d2 = de2[rows, k]
        moving = np.isfinite(d2)
        if not moving.all():
            k = np.where(moving, k, -1)
            d2 = np.where(moving, d2, 0.0)
        idx = np.maximum(k, 0)
        step_a = np.where(moving, a[rows, idx], 0).astype(dtype)
        g0.rows(idx, out=push)
        push *= step_a[:, None]
        field += push
        a[rows, idx] = np.where(moving, -a[rows, idx], a[rows, idx])
        energy2 += d2
        history[step] = k
        better = energy2 < best2
        best2[better] = energy2[better]
        best_step[better] = step
    # undo every chain's flips made after its best step
    later = (np.arange(steps)[:, None] > best_step) & (history >= 0)
    step_idx, chain_idx = np.nonzero(later)
    parity = np.zeros(chains * m, np.int64)
    np.add.at(parity, chain_idx * m + history[step_idx, chain_idx], 1)
    final = np.where(live, a * coeffs < 0, states)
    return (final ^ (parity.reshape(chains, m) % 2).astype(bool)).astype(np.int8)


def typical_flip_betas(chains: _Chains, n: int) -> np.ndarray:
    """``(n,)``: ``log 2 / (HOT_FRACTION * median |dE|)`` over each neuron's chains (``inf`` when all are 0)."""
    de = np.abs(chains.flip_energies()).T.reshape(n, -1)
    median = np.array([np.median(row[row > 0]) if np.any(row > 0) else 0.0 for row in de])
    return np.divide(np.log(2.0), HOT_FRACTION * median, out=np.full(n, np.inf), where=median > 0)


def default_tabu_steps(num_variables: int) -> int:
    return max(MIN_TABU_STEPS, num_variables)


def default_reads(num_variables: int) -> int:
    """``NUM_READS``, fewer for wide rows (``READ_BUDGET // m``, at least 2).

    >>> default_reads(65), default_reads(785)
    (10, 4)
    """
    return max(2, min(NUM_READS, READ_BUDGET // max(num_variables, 1)))


def anneal(quadratic, coeffs, linear, states, cold, num_sweeps: int, rng: np.random.Generator, *,
           warm: bool = False, ranges=None, tabu_steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Anneal chains from ``states`` ``(n, reads, m)``; final states (same shape) and ``(hot, cold)`` per neuron.

    ``quadratic``: the shared ``(m, m)`` matrix; ``coeffs``, ``linear``: ``(n, m)``; ``cold``:
    ``(n,)`` cold ends; ``warm``: the states are warm starts (start colder, never end worse);
    ``ranges``: ``(n, 2)`` explicit ``(hot, cold)`` overriding the schedule; ``tabu_steps``:
    the tabu search after annealing (default :func:`default_tabu_steps`, 0: none).
    """
    n, reads, m = states.shape
    start = states.reshape(n * reads, m)
    coeffs, linear = np.repeat(coeffs, reads, axis=0), np.repeat(linear, reads, axis=0)
    chains = _Chains(quadratic, coeffs, linear, start, np.float32)
    if ranges is None:
        hot = cold / WARM_SPAN if warm else np.minimum(typical_flip_betas(chains, n), cold)
        ranges = np.stack([hot, cold], axis=1)
    thresholds = np.empty((m, n * reads), np.float32)
    frozen = 0
    for beta in geometric_betas(ranges, num_sweeps):
        rng.standard_exponential(thresholds.shape, dtype=np.float32, out=thresholds)
        thresholds *= np.repeat(2.0 / beta, reads).astype(np.float32)
        frozen = 0 if chains.sweep(thresholds) else frozen + 1
        if frozen == FROZEN_SWEEPS:
            break
    searched = tabu_search(quadratic, coeffs, linear, chains.states(),
                           default_tabu_steps(m) if tabu_steps is None else tabu_steps, rng)
    candidates = [searched] + ([start] if warm else [])
    return descend_best(quadratic, coeffs, linear, candidates).reshape(n, reads, m), ranges


def descend_best(quadratic, coeffs, linear, candidates: list) -> np.ndarray:
    """Steepest descent (float64) from each of several ``(B, m)`` candidate states; the best per chain."""
    count = len(candidates)
    exact = _Chains(quadratic, np.tile(coeffs, (count, 1)), np.tile(linear, (count, 1)), np.vstack(candidates),
                    np.float64)
    exact.descend()
    chains = candidates[0].shape[0]
    best = np.argmin(exact.energies().reshape(count, chains), axis=0)
    return exact.states().reshape(count, chains, -1)[best, np.arange(chains)]


def initial_chains(initial_states, n: int, reads: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, reads, m)`` starts: ``initial_states`` ``(n, s, m)`` tiled over the reads, else random."""
    if initial_states is None:
        return rng.integers(0, 2, size=(n, reads, m), dtype=np.int8)
    init = np.asarray(initial_states, dtype=np.int8).reshape(n, -1, m)
    return init[:, np.arange(reads) % init.shape[1]]


class BatchedAnnealer(dimod.Sampler, BatchSampler):
    """Simulated annealing and tabu search of a whole layer at once, or of one BQM (see module docstring).

    Args:
        blas_threads: BLAS threads while annealing (1: robust on a shared 2-core machine).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": -1.0, "b": 1.0}, {("a", "b"): -3.0}, 0, "SPIN")
        >>> float(BatchedAnnealer().sample(bqm, num_reads=3, seed=0).first.energy)
        -3.0
    """

    parameters = {"num_reads": [], "num_sweeps": [], "tabu_steps": [], "seed": [], "initial_states": [],
                  "beta_range": []}
    properties: dict = {}
    polished = True  # every read ends descended, no worse than its start (solve skips its polish)

    def __init__(self, blas_threads: int = 1):
        self.blas_threads = blas_threads

    def sample_batch(self, batch: QUBOBatch, *, num_reads: int | None = None, num_sweeps: int = NUM_SWEEPS,
                     tabu_steps: int | None = None, seed=None, initial_states=None) -> list[dimod.SampleSet]:
        """One SampleSet per row: variables ``0 .. m-1``, energies from :meth:`QUBOBatch.energies`.

        ``num_reads``: default :func:`default_reads` (at least one per warm start); ``initial_states`` ``(n, s, m)`` are tiled
        over the reads; no read ends worse than its start.
        """
        start = time.perf_counter()
        rng = np.random.default_rng(seed)
        n, m = batch.num_rows, batch.num_variables
        if num_reads is None:  # every warm start gets a read of its own
            starts = 0 if initial_states is None else np.asarray(initial_states).reshape(n, -1, m).shape[1]
            num_reads = max(default_reads(m), starts)
        states = initial_chains(initial_states, n, num_reads, m, rng)
        with threadpool_limits(self.blas_threads, user_api="blas"):
            quadratic = batch.quadratic if batch.groups is None else Grouped(batch.quadratic, batch.groups)
            states, ranges = anneal(quadratic, batch.scale, batch.linear, states,
                                    cold_betas(batch.scale, np.diag(batch.quadratic) if batch.groups is None
                                               else np.zeros(m)), num_sweeps, rng,
                                    warm=initial_states is not None, tabu_steps=tabu_steps)
        energies = batch.energies(states)
        seconds = time.perf_counter() - start
        steps = default_tabu_steps(m) if tabu_steps is None else tabu_steps
        sent = {"num_reads": num_reads, "num_sweeps": num_sweeps, "tabu_steps": steps, "seed": seed}
        return [dimod.SampleSet.from_samples(
            (states[i], range(m)), dimod.BINARY, energies[i],
            info={"beta_range": (float(ranges[i, 0]), float(ranges[i, 1])), "num_sweeps": num_sweeps,
                  "tabu_steps": steps, "seconds": seconds / n, "batch_seconds": seconds, "parameters": sent})
            for i in range(n)]

    def sample(self, bqm: dimod.BinaryQuadraticModel, *, num_reads: int = 10, num_sweeps: int = NUM_SWEEPS,
               tabu_steps: int | None = None, seed=None, initial_states=None, beta_range=None,
               **kwargs) -> dimod.SampleSet:
        """Anneal one BQM of any vartype and labels; ``beta_range`` = ``(hot, cold)`` overrides the schedule."""
        self.remove_unknown_kwargs(**kwargs)
        start = time.perf_counter()
        rng = np.random.default_rng(seed)
        binary = bqm.change_vartype(dimod.BINARY, inplace=False)
        labels = list(binary.variables)
        linear, quadratic = _dense(binary, labels)
        init = _binary_states(initial_states, bqm, labels)
        states = initial_chains(init, 1, num_reads, len(labels), rng)
        ranges = None if beta_range is None else np.asarray(beta_range, dtype=np.float64).reshape(1, 2)
        with threadpool_limits(self.blas_threads, user_api="blas"):
            states, ranges = anneal(quadratic, np.ones((1, len(labels))), linear[None], states,
                                    np.array([bqm_cold_beta(binary)]), num_sweeps, rng,
                                    warm=init is not None, ranges=ranges, tabu_steps=tabu_steps)
        samples = states[0] if bqm.vartype is dimod.BINARY else 2 * states[0] - 1
        info = {"beta_range": (float(ranges[0, 0]), float(ranges[0, 1])), "num_sweeps": num_sweeps,
                "tabu_steps": default_tabu_steps(len(labels)) if tabu_steps is None else tabu_steps,
                "seconds": time.perf_counter() - start}
        return dimod.SampleSet.from_samples_bqm((samples, labels), bqm, info=info)


def _dense(binary: dimod.BinaryQuadraticModel, labels: list) -> tuple[np.ndarray, np.ndarray]:
    """Linear vector and the symmetric matrix ``G`` with ``sum_{k<l} J_kl v_k v_l = v^T G v``."""
    linear, (row, col, quad), _ = binary.to_numpy_vectors(variable_order=labels)
    upper = np.zeros((len(labels), len(labels)))
    np.add.at(upper, (row, col), quad)
    return linear, (upper + upper.T) / 2.0


def _binary_states(initial_states, bqm: dimod.BinaryQuadraticModel, labels: list):
    """``initial_states`` (dimod samples-like) as binary ``(1, s, m)`` in ``labels`` order, or None."""
    if initial_states is None:
        return None
    samples, given = dimod.as_samples(initial_states)
    columns = samples[:, [list(given).index(v) for v in labels]]
    return ((columns > 0) if bqm.vartype is dimod.SPIN else columns).astype(np.int8)[None]
