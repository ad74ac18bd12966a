"""Mixed-precision PTQ: bits per layer chosen under a size budget from measured error terms.

1. :func:`measure_terms` quantizes every layer at every candidate bit-width once (float inputs,
   so a layer's weights do not depend on the others), then measures the model's output error
   with one layer quantized (``unary``) and with each pair of layers quantized
   (``pairwise = delta(i, j) - delta(i) - delta(j)``, CLADO's cross-layer terms).  Pair terms
   with the later layer re-quantized on the earlier one's outputs (the pipeline's error
   correction) were measured and dropped: the correction enters every pair that holds the
   earlier layer, so with three layers or more the objective went below zero (docs/mixed_precision.md).
2. :func:`allocate` picks one bit-width per layer under the budget: ``cqm`` (the CQM of
   :mod:`annealq.formulations.mixed_precision` through :func:`annealq.solve`, any CQM route),
   ``lagrange`` (the same objective with the budget as a price per weight bit, a batch of
   prices through :func:`annealq.solve`: for annealer routes, whose penalty BQM of the size
   constraint has couplings far above the objective), or the classical baselines ``knapsack``
   (exact, no cross terms), ``greedy``, ``uniform``.
3. ``quantize(model, calibration, allocation.config(config))`` quantizes with those bits.

:func:`allocate_bits` does 1 and 2.  Measured on digits: benchmarks/results/ptq_mixed.json.

Example:
    >>> import torch
    >>> from annealq.ptq import QuantConfig, quantize
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> x, cfg = torch.rand(64, 6), QuantConfig(method="gptq")
    >>> allocation = allocate_bits(model, x, budget=3, candidates=(2, 4), config=cfg)
    >>> sorted(allocation.bits.values()), allocation.average_bits <= 3
    ([2, 4], True)
    >>> [layer.quantization.weight_grid.bits for layer in quantize(model, x, allocation.config(cfg)).layers] \\
    ...     == [allocation.bits["0"], allocation.bits["2"]]
    True
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from annealq.formulations import mixed_precision as mp
from annealq.formulations.cqm import CQMBatch
from annealq.formulations.grids import check_bits
from annealq.nn.layers import quantizable_layers
from annealq.nn.modules import as_tensor
from annealq.ptq.config import QuantConfig
from annealq.ptq.pipeline import quantize
from annealq.samplers.config import SolverConfig
from annealq.samplers.solve import ordered_states, solve

#: output error measured against the float model: ``kl`` (mean KL divergence of the softmax
#: outputs, label-free), ``mse`` (mean squared output difference), ``loss`` (cross-entropy increase;
#: needs labels)
METRICS = ("kl", "mse", "loss")
ALLOCATORS = ("cqm", "lagrange", "knapsack", "greedy", "uniform")
DEFAULT_CANDIDATES = (1, 2, 3, 4, 8)
#: the CQM route when none is given: brute force up to this many variables (layers x candidates), else
#: simulated annealing on the penalty BQM
EXACT_LIMIT = 20
#: distinct reads within the budget polished by feasible one/two-layer moves (the best ones)
POLISH_STARTS = 16


@dataclass
class LayerTerms:
    """Measured error terms of one model: ``unary (L, K)``, ``pairwise (L, L, K, K)`` (``i < j`` filled).

    ``sizes``: weights per layer; ``seconds``: the measurement's time.
    """

    layers: list[str]
    sizes: np.ndarray
    candidates: tuple[int, ...]
    unary: np.ndarray
    pairwise: np.ndarray
    metric: str
    seconds: float = 0.0

    def max_bits(self, budget: float | None = None, max_bytes: int | None = None) -> int:
        """The budget in weight bits: ``budget`` average bits per weight, or ``max_bytes`` of weights."""
        if (budget is None) == (max_bytes is None):
            raise ValueError("give exactly one of budget (average bits per weight) and max_bytes (weight bytes)")
        if budget is not None:
            if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget < math.inf:
                raise ValueError(f"budget must be a positive number of bits per weight, got {budget!r}")
            return math.floor(budget * int(self.sizes.sum()) + 1e-9)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes <= 0:
            raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
        return 8 * int(max_bytes)

    def cqm(self, max_bits: int, cross: bool = True):
        """The mixed-precision CQM of these terms (``cross=False``: without the pairwise terms)."""
        return mp.mixed_precision_cqm(self.unary, self.pairwise if cross else None, self.sizes, self.candidates,
                                      max_bits)

    def objective(self, choice, cross: bool = True) -> float:
        """The measured-terms objective of ``choice`` (candidate index per layer)."""
        return mp.allocation_objective(self.unary, self.pairwise if cross else None, choice)

    def to_dict(self) -> dict:
        return {"layers": self.layers, "sizes": self.sizes.tolist(), "candidates": list(self.candidates),
                "unary": self.unary.tolist(), "pairwise": self.pairwise.tolist(), "metric": self.metric,
                "seconds": self.seconds}


@dataclass
class Allocation:
    """Bits per layer chosen by ``method`` under ``max_bits`` weight bits.

    ``objective``: the measured-terms objective (cross terms included, whatever the method
    optimised); ``info``: the route, its feasibility and timing for ``cqm``.
    """

    method: str
    bits: dict[str, int]
    objective: float
    weight_bits: int
    max_bits: int
    weights: int
    info: dict = field(default_factory=dict)

    @property
    def average_bits(self) -> float:
        return self.weight_bits / self.weights

    def config(self, base: QuantConfig = QuantConfig()) -> QuantConfig:
        """``base`` with these per-layer bits (:attr:`QuantConfig.layer_bits`)."""
        return replace(base, layer_bits=self.bits)

    def to_dict(self) -> dict:
        return {"method": self.method, "bits": self.bits, "objective": self.objective, "weight_bits": self.weight_bits,
                "max_bits": self.max_bits, "average_bits": self.average_bits, "info": self.info}


def _check_candidates(candidates) -> tuple[int, ...]:
    values = tuple(candidates)
    if not values or len(set(values)) != len(values):
        raise ValueError(f"candidates must be distinct bit-widths, e.g. (1, 2, 3, 4, 8), got {candidates!r}")
    return tuple(sorted(check_bits(b, what="candidate bits") for b in values))


def _output_error(metric: str, labels):
    """``error(outputs, float_outputs)``: 0 for the float model under ``kl`` and ``mse``."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not supported: use one of {METRICS}")
    if metric == "loss":
        if labels is None:
            raise ValueError("metric 'loss' needs the calibration labels: pass labels=... or use metric 'kl'")
        y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
        return lambda out, ref: float(nn.functional.cross_entropy(out, y) - nn.functional.cross_entropy(ref, y))
    if metric == "kl":
        return lambda out, ref: float(nn.functional.kl_div(out.log_softmax(1), ref.log_softmax(1), log_target=True,
                                                           reduction="batchmean"))
    return lambda out, ref: float(((out - ref) ** 2).mean())


@torch.no_grad()
def measure_terms(model: nn.Module, calibration, candidates=DEFAULT_CANDIDATES, config: QuantConfig = QuantConfig(),
                  *, labels=None, metric: str | None = None, pairs: bool = True) -> LayerTerms:
    """The error terms of every layer and candidate (module docstring), quantizing with ``config``'s method.

    ``metric``: :data:`METRICS` (default ``loss`` with ``labels``, else ``kl``); ``pairs=False``
    leaves the pairwise terms zero (what the knapsack and greedy need).
    """
    start = time.perf_counter()
    candidates = _check_candidates(candidates)
    error = _output_error(metric or ("loss" if labels is not None else "kl"), labels)
    x = as_tensor(calibration, dtype=next((p.dtype for p in model.parameters() if p.is_floating_point()),
                                          torch.float32))
    weights = {}  # (layer, bits) -> (weight, bias) quantized with float inputs
    for b in candidates:
        result = quantize(model, x, replace(config, bits=b, inputs="float", layer_bits=()))
        modules = dict(quantizable_layers(result.model))
        for report in result.layers:
            m = modules[report.name]
            weights[report.name, b] = _params(m)
    names = [report.name for report in result.layers]
    work, float_copy = copy.deepcopy(model).eval(), copy.deepcopy(model).eval()  # the user's model untouched
    modules = dict(quantizable_layers(work))
    floats = {n: _params(modules[n]) for n in names}
    reference = float_copy(x)

    def measured(assignment: dict) -> float:
        for n, b in assignment.items():
            _load(modules[n], weights[n, b])
        try:
            return error(work(x), reference)
        finally:
            for n in assignment:
                _load(modules[n], floats[n])

    L, K = len(names), len(candidates)
    base = error(reference, reference)
    unary = np.array([[measured({n: b}) - base for b in candidates] for n in names])
    pairwise = np.zeros((L, L, K, K))
    for i, j in ((i, j) for i in range(L) for j in range(i + 1, L) if pairs):
        for a, bi in enumerate(candidates):
            for c, bj in enumerate(candidates):
                pairwise[i, j, a, c] = (measured({names[i]: bi, names[j]: bj}) - base - unary[i, a]
                                        - unary[j, c])
    sizes = np.array([modules[n].weight.numel() for n in names], dtype=np.int64)
    return LayerTerms(names, sizes, candidates, unary, pairwise, metric or ("loss" if labels is not None else "kl"),
                      time.perf_counter() - start)


def _params(module: nn.Module) -> tuple:
    return module.weight.detach().clone(), None if module.bias is None else module.bias.detach().clone()


def _load(module: nn.Module, params) -> None:
    module.weight.copy_(params[0])
    if params[1] is not None:
        module.bias.copy_(params[1])


def allocate(terms: LayerTerms, budget: float | None = None, *, max_bytes: int | None = None, method: str = "cqm",
             sampler=None, solver: SolverConfig | None = None) -> Allocation:
    """Bits per layer under the budget (``budget`` average bits per weight, or ``max_bytes``) by ``method``
    (:data:`ALLOCATORS`).

    ``cqm``: ``sampler`` is a CQM route name (``exact-cqm``, ``hybrid-cqm``, or a BQM route such
    as ``sa`` that gets the penalty BQM) or a dimod sampler.  ``lagrange``: the same routes on a
    batch of one-hot CQMs priced per weight bit (:func:`~annealq.formulations.mixed_precision.prices`);
    what BQM routes solve well.  ``sampler`` None: ``exact-cqm`` up to :data:`EXACT_LIMIT`
    variables, else ``sa`` on the priced batch (``info["formulation"]`` says which was solved).
    The :data:`POLISH_STARTS` best distinct reads within the budget are polished by
    :func:`~annealq.formulations.mixed_precision.descend` and the best kept (``info``: the route's
    own best read within the budget and its objective, and whether the polish changed it).
    ``solver``: the route's reads, sweeps and seed (default 100 reads x 1000 sweeps, seed 0).
    """
    if method not in ALLOCATORS:
        raise ValueError(f"method={method!r} is not supported: use one of {ALLOCATORS}")
    max_bits = terms.max_bits(budget, max_bytes)
    info: dict = {}
    if method in ("cqm", "lagrange"):
        mp.knapsack(terms.unary, terms.sizes, terms.candidates, max_bits)  # the budget's one-line check
        solver = solver or SolverConfig(num_reads=100, num_sweeps=1000, seed=0)
        small = len(terms.layers) * len(terms.candidates) <= EXACT_LIMIT
        priced = method == "lagrange" or (sampler is None and not small)
        if sampler is None:
            sampler = "exact-cqm" if small else "sa"
        if priced:
            models = [mp.mixed_precision_cqm(terms.unary, terms.pairwise, terms.sizes, terms.candidates, None, price)
                      for price in mp.prices(terms.unary, terms.pairwise, terms.sizes)]
        else:
            models = [terms.cqm(max_bits)]
        answers = solve(CQMBatch(models), sampler, config=solver)
        choice, routed = _polished(terms, max_bits, answers)
        if choice is None:
            raise ValueError(f"route {answers[0].info['route']!r} found no allocation within the budget in "
                             f"{solver.num_reads} reads: raise num_reads, use method 'lagrange', or route "
                             f"'exact-cqm' or 'hybrid-cqm'")
        info = {"route": answers[0].info["route"], "formulation": "priced" if priced else "constrained",
                "route_objective": terms.objective(routed),
                "route_bits": {n: int(terms.candidates[k]) for n, k in zip(terms.layers, routed)},
                "polish_improved": bool((choice != routed).any()), "seconds": float(sum(a.seconds for a in answers)),
                "reads_within_budget": int(sum(a.info.get("reads_within_budget", 0) for a in answers)),
                **{k: answers[0].info[k] for k in ("penalty_multiplier", "penalty_rule") if k in answers[0].info}}
    elif method == "uniform":
        choice = mp.uniform(terms.sizes, terms.candidates, max_bits)
    else:
        choice = getattr(mp, method)(terms.unary, terms.sizes, terms.candidates, max_bits)
    bits = {n: int(terms.candidates[k]) for n, k in zip(terms.layers, choice)}
    return Allocation(method, bits, terms.objective(choice), mp.size_bits(terms.sizes, terms.candidates, choice),
                      max_bits, int(terms.sizes.sum()), info)


def _polished(terms: LayerTerms, max_bits: int, answers: list) -> tuple:
    """``(polished, routed)``: the best of :func:`~annealq.formulations.mixed_precision.descend` from every
    distinct read within the budget, and the best such read before the polish (None, None without one)."""
    starts = set()
    for answer in answers:
        labels = list(answer.model.variables)
        within = 0
        for s in ordered_states(answer.sampleset, labels):
            c = mp.decode(dict(zip(labels, s)), len(terms.layers), len(terms.candidates))
            if (c >= 0).all() and mp.size_bits(terms.sizes, terms.candidates, c) <= max_bits:
                starts.add(tuple(c))
                within += 1
        answer.info["reads_within_budget"] = within
    if not starts:
        return None, None
    rank = lambda c: (terms.objective(c), tuple(c))  # noqa: E731
    best = sorted(starts, key=rank)[:POLISH_STARTS]
    ends = [mp.descend(terms.unary, terms.pairwise, terms.sizes, terms.candidates, max_bits, c) for c in best]
    return min(ends, key=rank), np.array(best[0])


def allocate_bits(model: nn.Module, calibration, budget: float | None = None, *, max_bytes: int | None = None,
                  candidates=DEFAULT_CANDIDATES, config: QuantConfig = QuantConfig(), method: str = "cqm",
                  sampler=None, solver: SolverConfig | None = None, labels=None,
                  metric: str | None = None) -> Allocation:
    """:func:`measure_terms` then :func:`allocate`: bits per layer of ``model`` under the budget.

    Quantize with them: ``quantize(model, calibration, allocation.config(config))``.
    """
    terms = measure_terms(model, calibration, candidates, config, labels=labels, metric=metric,
                          pairs=method == "cqm")
    allocation = allocate(terms, budget, max_bytes=max_bytes, method=method, sampler=sampler, solver=solver)
    allocation.info["terms"] = terms.to_dict()
    return allocation
