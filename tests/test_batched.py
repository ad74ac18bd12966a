"""Tests for the ``batched`` route: the vectorised layer annealer."""
from __future__ import annotations

import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.samplers.batched import BatchedAnnealer, _Chains, descend_best, tabu_search
from annealq.samplers import SolverConfig, solve
from annealq.samplers.router import sampler


def layer(fan_in: int, bits: int, levels: int, seed: int = 0, neurons: int = 3):
    rng = np.random.default_rng(seed)
    w, b, x = rng.normal(size=(neurons, fan_in)), rng.normal(size=neurons), rng.normal(size=(60, fan_in))
    return rounding_problem(w, b, x, weight_grid=Grid.fit(w, bits), bias_grid=bias_grid(b, 8), levels=levels)


def optimum(problem, i: int) -> float:
    return float(dimod.ExactSolver().sample(problem.qubo.bqm(i)).first.energy)


def test_sampler_api():
    dimod.testing.assert_sampler_api(BatchedAnnealer())
    assert isinstance(sampler("batched"), BatchedAnnealer)


@dimod.testing.load_sampler_bqm_tests(BatchedAnnealer)
class TestOceanBQMs(unittest.TestCase):
    """dimod's own checks on small BQMs of every vartype, empty ones included."""


@pytest.mark.parametrize("fan_in, levels", [(9, 2), (11, 2), (5, 4)])
@pytest.mark.parametrize("bits", [4, 2, 1])
def test_finds_every_neurons_optimum(fan_in, levels, bits):
    p = layer(fan_in, bits, levels, seed=bits)
    assert p.num_variables <= 16
    sets = BatchedAnnealer().sample_batch(p.qubo, num_reads=32, num_sweeps=200, seed=1)
    assert len(sets) == p.num_neurons
    for i, ss in enumerate(sets):
        assert ss.vartype is dimod.BINARY and list(ss.variables) == list(range(p.num_variables))
        assert ss.first.energy == pytest.approx(optimum(p, i), rel=1e-9, abs=1e-9)
        bqm = p.qubo.bqm(i)
        np.testing.assert_allclose(ss.record.energy, bqm.energies(ss), rtol=1e-9, atol=1e-9)
        hot, cold = ss.info["beta_range"]
        assert 0 < hot <= cold and ss.info["seconds"] >= 0


def test_blocked_field_updates_stay_exact():
    p = layer(150, 4, 2, seed=7, neurons=5)  # 151 variables: several blocks
    rng = np.random.default_rng(0)
    states = rng.integers(0, 2, (5, p.num_variables))
    chains = _Chains(p.shared_quadratic, p.coeffs, p.linear, states, np.float64)
    for beta in (0.01, 1.0, 100.0, 1e4):  # dense and sparse block updates
        chains.sweep(rng.standard_exponential(chains.a.shape) * 2.0 / beta)
    fresh = _Chains(p.shared_quadratic, p.coeffs, p.linear, chains.states(), np.float64)
    np.testing.assert_allclose(chains.field, fresh.field, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(chains.energies() + p.offset, p.energies(chains.states()[:, None])[:, 0], rtol=1e-9)


def test_seed_reproducible():
    p = layer(40, 4, 2, seed=3, neurons=4)
    for steps in (None, 0):  # with the tabu search, and without it (reads then still differ by seed)
        run = lambda seed: BatchedAnnealer().sample_batch(  # noqa: E731
            p.qubo, num_reads=5, num_sweeps=3, tabu_steps=steps, seed=seed)
        first, again = run(7), run(7)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a.record.sample, b.record.sample)
    other = run(8)
    assert any(not np.array_equal(a.record.sample, c.record.sample) for a, c in zip(first, other))


def test_warm_starts_are_never_lost():
    p = layer(40, 2, 2, seed=4, neurons=4)
    rng = np.random.default_rng(0)
    starts = np.concatenate([p.encode(p.target)[:, None], rng.integers(0, 2, (4, 2, p.num_variables))], axis=1)
    start_energy = p.energies(starts)
    sets = BatchedAnnealer().sample_batch(p.qubo, num_reads=6, num_sweeps=5, seed=0, initial_states=starts)
    for i, ss in enumerate(sets):
        reads = ss.record.energy  # read r started from starts[i, r % 3]
        assert np.all(reads <= start_energy[i, np.arange(6) % 3] + 1e-9)
        assert ss.info["beta_range"][0] == pytest.approx(ss.info["beta_range"][1] / 10)


def test_sample_spin_bqm_with_labels():
    rng = np.random.default_rng(5)
    labels = [f"q{k}" for k in range(10)]
    bqm = dimod.BinaryQuadraticModel({v: rng.normal() for v in labels},
                                     {(u, v): rng.normal() for i, u in enumerate(labels) for v in labels[i + 1:]},
                                     0.5, dimod.SPIN)
    ss = BatchedAnnealer().sample(bqm, num_reads=5, num_sweeps=50, seed=2)
    assert ss.vartype is dimod.SPIN and set(ss.variables) == set(labels)
    assert ss.first.energy == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)
    dimod.testing.assert_sampleset_energies(ss, bqm)


def test_sample_keeps_initial_states_and_beta_range():
    bqm = dimod.BinaryQuadraticModel({"a": 1.0, "b": -1.0}, {("a", "b"): 0.5}, 0.0, dimod.BINARY)
    ss = BatchedAnnealer().sample(bqm, num_reads=2, num_sweeps=0, initial_states=[{"a": 0, "b": 1}], seed=0,
                                  beta_range=(0.5, 2.0))
    assert ss.info["beta_range"] == (0.5, 2.0)
    assert all(s == {"a": 0, "b": 1} for s in ss.samples())


def test_solve_with_the_batched_route():
    p = layer(9, 4, 2, seed=6)
    answers = solve(p, config=SolverConfig(route="batched", num_reads=4, num_sweeps=50, seed=0))
    assert [a.energy for a in answers] == pytest.approx([optimum(p, i) for i in range(p.num_neurons)])


def test_tabu_search_leaves_local_minima_for_the_optimum():
    p = layer(15, 2, 2, seed=9, neurons=3)
    rng = np.random.default_rng(1)
    reads = 2
    coeffs, linear = np.repeat(p.coeffs, reads, 0), np.repeat(p.linear, reads, 0)
    random = rng.integers(0, 2, (3 * reads, p.num_variables)).astype(np.int8)
    minima = descend_best(p.shared_quadratic, coeffs, linear, [random])  # steepest-descent local minima
    found = tabu_search(p.shared_quadratic, coeffs, linear, minima, 300, rng)
    start, end = (p.energies(s.reshape(3, reads, -1)) for s in (minima, found))
    best = [optimum(p, i) for i in range(3)]
    assert start.min(axis=1)[0] > best[0] + 1.0  # descent alone stops short of neuron 0's optimum
    assert np.all(end <= start + 1e-9)
    assert end.min(axis=1) == pytest.approx(best, rel=1e-9, abs=1e-9)


def test_tabu_search_keeps_variables_without_a_step():
    p = layer(10, 2, 2, seed=9, neurons=2)
    coeffs = p.coeffs.copy()
    coeffs[:, [1, 4]] = 0.0
    states = np.random.default_rng(2).integers(0, 2, (2, p.num_variables)).astype(np.int8)
    found = tabu_search(p.shared_quadratic, coeffs, p.linear, states, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(found[:, [1, 4]], states[:, [1, 4]])
    assert np.array_equal(tabu_search(p.shared_quadratic, coeffs, p.linear, states, 0, None), states)


@pytest.mark.parametrize("num_reads", [1, 3])
def test_batched_answers_are_never_worse_than_any_warm_start(num_reads):
    p = layer(30, 2, 2, seed=10, neurons=4)
    rng = np.random.default_rng(4)
    warm = np.concatenate([p.encode(p.target)[:, None], rng.integers(0, 2, (4, 2, p.num_variables))], axis=1)
    config = SolverConfig(route="batched", num_reads=num_reads, num_sweeps=2, seed=0)
    answers = solve(p, config=config, warm_starts=warm)
    best_warm = p.energies(warm).min(axis=1)
    for a in answers:
        assert a.energy <= best_warm[a.id] + 1e-9
        assert a.energy == pytest.approx(float(p.energies(a.state[None, None], [a.id])[0, 0]), rel=1e-9)
