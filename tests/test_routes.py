"""Annealer routes: dimod API, optimum on small QUBOs, info, packing, decomposition, failures."""
import json
import time
import unittest
import warnings

import dimod
import numpy as np
import pytest
import torch
from dwave.system.testing import MockDWaveSampler

import annealq
from annealq.embedding import clique_embedder
from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.profiles import load_profile
from annealq.samplers import (RouteFallbackWarning, ServiceUnreachableError, SolverUnavailableError,
                              TokenMissingError, route_names)
from annealq.samplers.auto import fallback_route
from annealq.samplers import SolverConfig, solve
from annealq.samplers.leap import cloud_errors
from annealq.samplers.qpu import PackedQPUComposite, QPUComposite, simulated_qpu

pytestmark = pytest.mark.filterwarnings("ignore::annealq.samplers.errors.PrecisionWarning")

PROFILE = "Advantage2_system1"  # Zephyr Z12: its busclique cache builds in a fraction of a second


@pytest.fixture
def no_token(monkeypatch, tmp_path):
    """No Leap token anywhere: no environment variable, an empty config file."""
    config = tmp_path / "dwave.conf"
    config.write_text("")
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config))
    fallback_route.cache_clear()
    yield
    fallback_route.cache_clear()


@pytest.fixture
def no_network(no_token, monkeypatch):
    """A (dummy) token but an endpoint nothing listens on (loopback only)."""
    monkeypatch.setenv("DWAVE_API_TOKEN", "annealq-dummy-token-4d1f")
    monkeypatch.setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:9/sapi")


def neuron_problem(rng, n=4, f=4, bits=2):
    """A real rounding problem: n neurons of f weights + a 4-bit bias (f + 4 variables)."""
    w, b, x = rng.normal(size=(n, f)), rng.normal(size=n) * 0.1, rng.normal(size=(40, f))
    return rounding_problem(w, b, x, weight_grid=Grid.fit(w, bits), bias_grid=bias_grid(b, 4))


def optimum(bqm):
    return dimod.ExactSolver().sample(bqm).first.energy


def test_routes_are_registered():
    assert {"qpu", "qpu-packed", "mock-qpu", "mock-qpu-packed", "hybrid", "auto", "fallback"} <= set(route_names())


@pytest.mark.parametrize("route", ["sa", "tabu", "steepest", "exact", "batched", f"mock-qpu:{PROFILE}",
                                   f"mock-qpu-packed:{PROFILE}"])
def test_routes_are_dimod_samplers(route):
    sampler = annealq.sampler(route)
    dimod.testing.assert_sampler_api(sampler)
    if route.startswith("mock-qpu"):
        dimod.testing.assert_composite_api(sampler)
        assert sampler.child.properties["chip_id"] == PROFILE  # the profile's properties, not the mock's


def test_mock_qpu_needs_a_profile():
    with pytest.raises(ValueError, match="needs a hardware profile"):
        annealq.sampler("mock-qpu")


@pytest.mark.parametrize("size", [3, 8, 12])
def test_mock_qpu_reaches_the_brute_force_optimum(size):
    sampler = annealq.sampler(f"mock-qpu:{PROFILE}")
    for seed in range(3):
        bqm = dimod.generators.gnp_random_bqm(size, 1.0, "BINARY", random_state=seed)
        answer = sampler.sample(bqm, num_reads=20, seed=seed)
        assert answer.first.energy == pytest.approx(optimum(bqm))
        assert np.allclose(answer.record.energy, bqm.energies((answer.record.sample, answer.variables)))


def test_neuron_qubos_reach_the_optimum_and_info_is_complete():
    problem = neuron_problem(np.random.default_rng(0))
    sampler = annealq.sampler(f"mock-qpu:{PROFILE}")
    for i in range(problem.num_neurons):
        bqm = problem.qubo.bqm(i)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            answer = sampler.sample(bqm, num_reads=20, seed=i)
        assert answer.first.energy == pytest.approx(optimum(bqm))
        info = answer.info
        assert info["route"] == f"mock-qpu:{PROFILE}" and info["qpu_calls"] == 1
        assert info["chain_strength"] > 0 and info["chain_break_method"] == "majority_vote"
        assert 0 <= info["chain_break_fraction"] <= 1
        chains = clique_embedder(load_profile(PROFILE)).embed(bqm.num_variables)
        assert info["embedding"]["num_qubits"] == sum(len(c) for c in chains.values())
        assert info["embedding"]["max_chain_length"] == max(len(c) for c in chains.values())
        assert info["timing"]["qpu_access_time"] > 0 and info["estimated_qpu_access_time"] > 0
        assert isinstance(info["warnings"], list) and info["scaling"]["scale"] > 0
        json.dumps(info["warnings"]), json.dumps(info["scaling"])  # plain data


def test_chain_options_are_applied(small_profile):
    bqm = dimod.generators.gnp_random_bqm(10, 1.0, "BINARY", random_state=1)
    p = load_profile(small_profile)
    qpu = QPUComposite(simulated_qpu(p), profile=p, route="test", chain_strength=0.5,
                       chain_break_method="minimize_energy")
    answer = qpu.sample(bqm, num_reads=10, seed=0)
    assert answer.info["chain_break_method"] == "minimize_energy"
    assert answer.info["chain_strength"] == pytest.approx(0.5 * answer.info["scaling"]["scale"])
    weak = qpu.sample(bqm, num_reads=10, seed=0, chain_strength=0.01, chain_break_method="majority_vote")
    assert weak.info["chain_break_fraction"] > answer.info["chain_break_fraction"]
    with pytest.raises(ValueError, match="chain_break_method"):
        QPUComposite(simulated_qpu(p), profile=p, chain_break_method="vote")


def test_too_large_neurons_are_decomposed(small_profile):
    p = load_profile(small_profile)
    qpu = QPUComposite(simulated_qpu(p), profile=p, route="test", block_size=5)
    bqm = dimod.generators.gnp_random_bqm(12, 1.0, "BINARY", random_state=2)
    answer = qpu.sample(bqm, num_reads=10, seed=0)
    assert answer.first.energy == pytest.approx(optimum(bqm))
    assert answer.info["qpu_calls"] > 1 and answer.info["decomposition"]["block_size"] == 5
    assert answer.info["embedding"]["num_variables"] == 5


def test_live_solver_profile_is_read_from_the_sampler():
    from dwave.samplers import SimulatedAnnealingSampler

    child = MockDWaveSampler(topology_type="pegasus", topology_shape=[3], broken_nodes=[40, 41],
                             substitute_sampler=SimulatedAnnealingSampler(), substitute_kwargs={"seed": 3})
    qpu = QPUComposite(child, route="qpu-like")
    assert set(qpu.graph.nodes) == set(child.nodelist) and set(map(frozenset, qpu.graph.edges)) == set(
        map(frozenset, child.edgelist))
    bqm = dimod.generators.gnp_random_bqm(6, 1.0, "BINARY", random_state=3)
    assert qpu.sample(bqm, num_reads=10).first.energy == pytest.approx(optimum(bqm))


def test_the_qpu_route_runs_the_same_stack_offline(no_network, monkeypatch):
    """``qpu`` with Leap replaced by a mock: lazy connection, the solver's own graph, auto_scale off."""
    import dwave.system
    from dwave.samplers import SimulatedAnnealingSampler

    import annealq.samplers.qpu as qpu_module

    class FakeLeap(MockDWaveSampler):
        def __init__(self, **config):
            assert config["solver"] == "Advantage_system4.1"  # the profile named the solver
            super().__init__(topology_type="pegasus", topology_shape=[3], broken_nodes=[40],
                             substitute_sampler=SimulatedAnnealingSampler(), substitute_kwargs={"seed": 5})
            self.calls = []

        def sample(self, bqm, **kwargs):
            self.calls.append(kwargs)
            assert kwargs.pop("auto_scale") is False
            return super().sample(bqm, **kwargs)

    monkeypatch.setattr(dwave.system, "DWaveSampler", FakeLeap)
    monkeypatch.setattr(qpu_module, "_is_mock", lambda sampler: False)
    qpu_module.leap_qpu.cache_clear()
    try:
        sampler = annealq.sampler("qpu:Advantage_system4.1")
        assert sampler._child is None  # nothing contacted yet
        bqm = dimod.generators.gnp_random_bqm(6, 1.0, "BINARY", random_state=4)
        answer = sampler.sample(bqm, num_reads=10)
        assert answer.first.energy == pytest.approx(optimum(bqm))
        assert answer.info["route"] == "qpu:Advantage_system4.1" and sampler.child.calls
        assert sampler.profile.name == "MockDWaveSampler" and 40 not in sampler.graph
    finally:
        qpu_module.leap_qpu.cache_clear()


def test_packed_answers_unpack_to_the_one_by_one_energies(small_profile):
    problem = neuron_problem(np.random.default_rng(1), n=6, f=5)  # 9 variables per neuron
    p = load_profile(small_profile)
    packed = PackedQPUComposite(simulated_qpu(p), profile=p, route="packed")
    single = QPUComposite(simulated_qpu(p), profile=p, route="single")
    answers = list(packed.sample_batch(problem.qubo, num_reads=20, num_sweeps=1000, seed=0))
    assert len(answers) == problem.num_neurons
    per_call = answers[0].info["neurons_per_call"]
    assert per_call > 1 and len({a.info["problem_id"] for a in answers}) == -(-problem.num_neurons // per_call)
    for i, answer in enumerate(answers):
        bqm = problem.qubo.bqm(i)
        assert np.allclose(answer.record.energy, bqm.energies((answer.record.sample, answer.variables)))
        alone = single.sample(bqm, num_reads=20, seed=i)
        assert answer.first.energy == pytest.approx(alone.first.energy) == pytest.approx(optimum(bqm))


def test_solve_through_the_packed_route(small_profile):
    problem = neuron_problem(np.random.default_rng(2), n=5, f=4)
    packed = solve(problem, f"mock-qpu-packed:{small_profile}", config=SolverConfig(num_reads=20, seed=0))
    single = solve(problem, f"mock-qpu:{small_profile}", config=SolverConfig(num_reads=20, seed=0))
    assert [a.id for a in packed] == list(range(5))
    assert [a.energy for a in packed] == pytest.approx([a.energy for a in single])
    assert packed[0].sampleset.info["neurons_per_call"] > 1


def test_quantize_a_small_mlp_through_the_mock_qpu():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    calib = torch.rand(64, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", annealq.samplers.PrecisionWarning)
        result = annealq.quantize(model, calib, annealq.QuantConfig(bits=2, route=f"mock-qpu:{PROFILE}",
                                                                     num_reads=10))
    rtn = annealq.quantize(model, calib, annealq.QuantConfig(bits=2, method="rtn"))
    assert [layer.name for layer in result.layers] == ["0", "2"]
    assert result.recon_error <= rtn.recon_error + 1e-9
    assert result.layers[0].quantization.info["route"] == f"mock-qpu:{PROFILE}"


def test_no_token_fails_at_once_with_the_fix(no_token):
    bqm = dimod.BQM({0: 1.0}, {}, 0.0, "BINARY")
    for route in ["qpu", f"qpu:{PROFILE}", "qpu-packed", "hybrid"]:
        start = time.perf_counter()
        with pytest.raises(TokenMissingError, match="DWAVE_API_TOKEN"):
            annealq.sampler(route).sample(bqm)
        assert time.perf_counter() - start < 5


def test_unreachable_service_fails_in_seconds(no_network):
    bqm = dimod.BQM({0: 1.0}, {}, 0.0, "BINARY")
    for route in ["qpu", "hybrid"]:
        start = time.perf_counter()
        with pytest.raises(ServiceUnreachableError, match="could not reach D-Wave Leap") as err:
            annealq.sampler(route).sample(bqm)
        assert time.perf_counter() - start < 10
        assert "annealq-dummy-token-4d1f" not in str(err.value)


def test_solver_errors_are_named():
    from dwave.cloud.exceptions import SolverAuthenticationError, SolverNotFoundError

    with pytest.raises(SolverUnavailableError, match="dwave solvers"):
        with cloud_errors("qpu:Nope", "Nope"):
            raise SolverNotFoundError("Solver with the requested features not available")
    with pytest.raises(SolverUnavailableError, match="refused the configured API token"):
        with cloud_errors("qpu"):
            raise SolverAuthenticationError()


def test_auto_without_token_is_local_annealing(no_token):
    bqm = dimod.generators.gnp_random_bqm(6, 1.0, "BINARY", random_state=0)
    answer = annealq.sampler("auto").sample(bqm, num_reads=5, seed=0)
    assert answer.info["auto"]["route"] == "sa" and answer.info["route"] == "sa"


def test_fallback_only_when_asked_and_recorded(no_token):
    bqm = dimod.generators.gnp_random_bqm(6, 1.0, "BINARY", random_state=0)
    with pytest.raises(TokenMissingError):  # no fallback unless asked for
        annealq.sampler("qpu").sample(bqm)
    sampler = annealq.sampler("fallback:qpu|sa")
    with pytest.warns(RouteFallbackWarning, match="continuing on 'sa'"):
        first = sampler.sample(bqm, num_reads=5)
    second = sampler.sample(bqm, num_reads=5)  # stays on the fallback, warns once
    for answer in (first, second):
        assert answer.info["route"] == "sa"
        [event] = answer.info["fallback"]
        assert (event["from"], event["to"]) == ("qpu", "sa")
    assert "DWAVE_API_TOKEN" in first.info["fallback"][0]["reason"]


def test_quantize_with_a_fallback_route(no_token):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 3))
    with pytest.warns(RouteFallbackWarning):
        result = annealq.quantize(model, torch.rand(32, 6),
                                  annealq.QuantConfig(bits=2, route="fallback:qpu|sa", num_reads=4))
    assert result.layers[0].quantization.info["route"] == "fallback:qpu|sa"


def test_doctor_answers_in_seconds_offline_and_never_shows_the_token(no_network):
    from annealq.doctor import doctor, format_doctor

    start = time.perf_counter()
    report = doctor(timeout=2)
    assert time.perf_counter() - start < 10
    assert report["token_configured"] and PROFILE in report["profiles"] and report["versions"]["dimod"]
    assert report["qpu"]["reachable"] is False and report["hybrid"]["reachable"] is False
    text = format_doctor(report)
    assert "not reachable" in text and "annealq-dummy-token-4d1f" not in text + json.dumps(report)


@pytest.mark.slow
def test_digits_through_the_mock_qpu_matches_local_annealing():
    """int4 on the digits MLP: the mock QPU (the full embedding stack) within 1 point of `sa`."""
    from annealq.data import load_dataset
    from annealq.nn.models import accuracy, pretrained_mlp

    data = load_dataset("digits")
    model, calib = pretrained_mlp(data), torch.as_tensor(data.x_train[:256])
    scores = {}
    for route in ("sa", f"mock-qpu:{PROFILE}"):
        config = annealq.QuantConfig(bits=4, route=route, num_reads=10, num_sweeps=200)
        result = annealq.quantize(model, calib, config)
        scores[route] = accuracy(result.model, data.x_test, data.y_test)
    assert abs(scores["sa"] - scores[f"mock-qpu:{PROFILE}"]) <= 0.01, scores
    assert scores["sa"] > 0.95, scores


@pytest.mark.parametrize("packed", [False, True])
def test_quantization_chain_strength_reaches_the_route(small_profile, packed):
    from annealq.embedding import fixed

    problem = neuron_problem(np.random.default_rng(3), n=3, f=4)
    route = f"mock-qpu{'-packed' if packed else ''}:{small_profile}"
    for answer in solve(problem, route, config=SolverConfig(num_reads=5, seed=0), chain_strength=fixed(0.25)):
        info = answer.sampleset.info
        assert info["chain_strength"] == pytest.approx(0.25 * info["scaling"]["scale"])
    assert solve(problem, "sa", config=SolverConfig(num_reads=5, seed=0), chain_strength=fixed(0.25))  # ignored by local routes
    with pytest.raises(ValueError, match="chain_strength"):
        annealq.QuantConfig(chain_strength=0)


def _quiet_mock(route):
    def build():
        sampler = annealq.sampler(route)
        sampler._warned.update({"precision"})  # dimod's random test BQMs trip precision warnings by design
        return sampler
    return build


@dimod.testing.load_sampler_bqm_tests(_quiet_mock("mock-qpu:Advantage2_system1"))
class TestMockQPUIsADimodSampler(unittest.TestCase):
    """dimod's own sampler contract, run on the mock-QPU route."""


@dimod.testing.load_sampler_bqm_tests(_quiet_mock("mock-qpu-packed:Advantage2_system1"))
class TestPackedMockQPUIsADimodSampler(unittest.TestCase):
    """dimod's own sampler contract, run on the packed mock-QPU route."""
