"""Mixed precision: the bit-allocation CQM, its baselines, the measured terms and per-layer bits in the pipeline."""
import itertools

import dimod
import numpy as np
import pytest
import torch

from annealq.formulations import mixed_precision as mp
from annealq.ptq import QuantConfig, quantize
from annealq.ptq.mixed import LayerTerms, allocate, allocate_bits, measure_terms
from annealq.samplers import SolverConfig


def random_terms(seed, layers=3, candidates=(1, 2, 4)):
    rng = np.random.default_rng(seed)
    k = len(candidates)
    unary = np.sort(rng.random((layers, k)) * 4, axis=1)[:, ::-1].copy()  # more bits, less error
    pairwise = rng.normal(scale=0.5, size=(layers, layers, k, k))
    sizes = rng.integers(1, 6, size=layers) * 6  # a common factor: the constraint is divided by it
    return unary, pairwise, sizes, np.array(candidates)


def every_state(cqm):
    """All 2**n binary states of ``cqm``, scored by dimod from the CQM itself (objective and feasibility)."""
    labels = list(cqm.variables)
    states = np.array(list(itertools.product([0, 1], repeat=len(labels))), dtype=np.int8)
    return dimod.SampleSet.from_samples_cqm((states, labels), cqm)


@pytest.mark.parametrize("seed", [0, 1])
def test_feasible_states_are_exactly_those_within_the_budget(seed):
    unary, pairwise, sizes, cand = random_terms(seed)
    achievable = sorted({mp.size_bits(sizes, cand, c) for c in itertools.product(range(3), repeat=3)})
    for max_bits in (achievable[1], achievable[len(achievable) // 2], achievable[len(achievable) // 2] + 5):
        cqm = mp.mixed_precision_cqm(unary, pairwise, sizes, cand, max_bits)
        result = every_state(cqm)
        assert len(result) == 2 ** 9 and result.record.is_feasible.any()
        for sample, feasible in result.data(["sample", "is_feasible"], sorted_by=None):
            choice = mp.decode(sample, 3, 3)
            within = bool((choice >= 0).all()) and mp.size_bits(sizes, cand, choice) <= max_bits
            assert bool(feasible) == within


@pytest.mark.parametrize("seed", [0, 1])
def test_objective_is_the_sum_of_the_terms_on_every_state(seed):
    unary, pairwise, sizes, cand = random_terms(seed)
    cqm = mp.mixed_precision_cqm(unary, pairwise, sizes, cand, 10 ** 6)
    result = every_state(cqm)
    for sample, energy in result.data(["sample", "energy"], sorted_by=None):
        on = [v for v in cqm.variables if sample[v]]
        expected = sum(unary[v] for v in on) + sum(pairwise[a[0], b[0], a[1], b[1]]
                                                   for a, b in itertools.combinations(sorted(on), 2) if a[0] < b[0])
        assert energy == pytest.approx(expected, abs=1e-9)
        choice = mp.decode(sample, 3, 3)
        if (choice >= 0).all():
            assert energy == pytest.approx(mp.allocation_objective(unary, pairwise, choice), abs=1e-9)


def brute_force(unary, pairwise, sizes, cand, max_bits):
    best = None
    for c in itertools.product(range(len(cand)), repeat=len(sizes)):
        if mp.size_bits(sizes, cand, c) <= max_bits:
            value = mp.allocation_objective(unary, pairwise, c)
            best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", range(4))
def test_knapsack_greedy_uniform_and_the_cqm_routes_against_brute_force(seed):
    unary, pairwise, sizes, cand = random_terms(seed, layers=4)
    max_bits = int(sizes.sum() * 2.5)
    terms = LayerTerms([str(i) for i in range(4)], sizes, tuple(cand.tolist()), unary, pairwise, "kl")
    knap = mp.knapsack(unary, sizes, cand, max_bits)
    assert mp.size_bits(sizes, cand, knap) <= max_bits
    assert mp.allocation_objective(unary, None, knap) == pytest.approx(brute_force(unary, None, sizes, cand, max_bits))
    for choice in (mp.greedy(unary, sizes, cand, max_bits), mp.uniform(sizes, cand, max_bits)):
        assert mp.size_bits(sizes, cand, choice) <= max_bits
    optimum = brute_force(unary, pairwise, sizes, cand, max_bits)
    for method, route in (("cqm", "exact-cqm"), ("cqm", "sa"), ("lagrange", "sa"), ("lagrange", "exact-cqm")):
        a = allocate(terms, 2.5, method=method, sampler=route,
                     solver=SolverConfig(num_reads=50, num_sweeps=500, seed=seed))
        assert a.weight_bits <= max_bits and a.objective == pytest.approx(optimum)
        assert a.info["route_objective"] >= optimum - 1e-9  # the route's own feasible answer, before the polish
        if (method, route) == ("cqm", "exact-cqm"):
            assert a.info["route_objective"] == pytest.approx(optimum) and not a.info["polish_improved"]


def test_sa_allocation_is_reproducible():
    unary, pairwise, sizes, cand = random_terms(5, layers=4)
    terms = LayerTerms([str(i) for i in range(4)], sizes, tuple(cand.tolist()), unary, pairwise, "kl")
    runs = [allocate(terms, 2.0, sampler="sa", solver=SolverConfig(num_reads=20, num_sweeps=200, seed=3))
            for _ in range(2)]
    assert runs[0].bits == runs[1].bits and runs[0].info["route"] == "sa"
    assert runs[0].info["penalty_rule"] == "bound"  # integer constraints: the penalty BQM is exact


def two_layer_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))


def test_measured_terms_give_the_measured_error_of_every_two_layer_allocation():
    """With two layers the second-order objective is exact: the CQM's objective on each feasible state is the
    output error of the model quantized with those bits (each layer on float inputs, as the terms are)."""
    model, x = two_layer_model(), torch.rand(40, 5)
    cfg = QuantConfig(method="gptq")
    terms = measure_terms(model, x, (1, 2, 4), cfg)
    cqm = terms.cqm(terms.max_bits(8))
    with torch.no_grad():
        reference = model(x)
    result = dimod.ExactCQMSolver().sample_cqm(cqm).filter(lambda d: d.is_feasible)
    assert len(result) == 9
    for datum in result.data(["sample", "energy"]):
        choice = mp.decode(datum.sample, 2, 3)
        bits = {n: terms.candidates[k] for n, k in zip(terms.layers, choice)}
        q = quantize(model, x, QuantConfig(method="gptq", inputs="float", layer_bits=bits)).model
        with torch.no_grad():
            kl = torch.nn.functional.kl_div(q(x).log_softmax(1), reference.log_softmax(1), log_target=True,
                                            reduction="batchmean")
        assert datum.energy == pytest.approx(float(kl), rel=1e-5, abs=1e-9)


def test_allocate_bits_meets_the_budget_and_the_pipeline_takes_the_bits():
    model, x = two_layer_model(), torch.rand(40, 5)
    cfg = QuantConfig(method="rtn")
    allocation = allocate_bits(model, x, max_bytes=(30 + 18) * 3 // 8, candidates=(2, 4), config=cfg)
    assert allocation.weight_bits <= allocation.max_bits == 8 * ((48 * 3) // 8)
    result = quantize(model, x, allocation.config(cfg))
    assert {l.name: l.quantization.weight_grid.bits for l in result.layers} == allocation.bits
    with pytest.raises(ValueError, match="does not quantize"):
        quantize(model, x, QuantConfig(method="rtn", layer_bits={"7": 2}))
    with pytest.raises(ValueError, match="below"):
        allocate_bits(model, x, 1.5, candidates=(2, 4), config=cfg)
    with pytest.raises(ValueError, match="exactly one"):
        allocate_bits(model, x, 2, max_bytes=10, candidates=(2, 4), config=cfg)


def test_the_priced_batch_finds_allocations_where_the_penalty_bqm_finds_none():
    """Layer sizes 100x apart: the penalty BQM's squared size term dwarfs the objective and SA ends outside
    the budget; the Lagrangian batch (a price per weight bit, no squared term) lands within it."""
    rng = np.random.default_rng(0)
    unary = np.sort(rng.random((4, 5)) * 1e-2, axis=1)[:, ::-1].copy()
    pairwise = rng.normal(scale=1e-3, size=(4, 4, 5, 5))
    terms = LayerTerms(list("abcd"), np.array([144, 144, 512, 5120]), (1, 2, 3, 4, 8), unary, pairwise, "kl")
    solver = SolverConfig(num_reads=20, num_sweeps=200, seed=0)
    optimum = brute_force(unary, pairwise, terms.sizes, np.array(terms.candidates), terms.max_bits(1.25))
    priced = allocate(terms, 1.25, method="lagrange", sampler="sa", solver=solver)
    assert priced.weight_bits <= priced.max_bits and priced.objective == pytest.approx(optimum)
    with pytest.raises(ValueError, match="no allocation within the budget"):
        allocate(terms, 1.25, method="cqm", sampler="sa", solver=solver)
    default = allocate(terms, 1.25, solver=solver)  # 20 variables: brute force by default
    assert (default.info["route"], default.info["formulation"]) == ("exact-cqm", "constrained")
    assert default.objective == pytest.approx(optimum)


def test_without_a_sampler_larger_models_go_to_sa_on_the_priced_batch():
    unary, pairwise, sizes, cand = random_terms(7, layers=7)
    terms = LayerTerms([str(i) for i in range(7)], sizes, tuple(cand.tolist()), unary, pairwise, "kl")
    a = allocate(terms, 2.0, solver=SolverConfig(num_reads=20, num_sweeps=300, seed=0))
    assert (a.info["route"], a.info["formulation"]) == ("sa", "priced")
    assert a.weight_bits <= a.max_bits
    assert a.objective == pytest.approx(brute_force(unary, pairwise, sizes, cand, a.max_bits))
