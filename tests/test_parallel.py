"""Per-neuron routes spread over processes or a Dask cluster give the same answers."""
import numpy as np
import pytest

from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.samplers.layer import solve_layer


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(6, 10)), rng.normal(size=6), rng.uniform(size=(50, 10))
    return rounding_problem(w, b, x, weight_grid=Grid.fit(w, 2), bias_grid=bias_grid(b))


def states(answers):
    return np.stack([a.state for a in answers])


def test_worker_processes_match_serial(problem):
    serial = solve_layer(problem, "sa", num_reads=4, num_sweeps=100, seed=3)
    parallel = solve_layer(problem, "sa", num_reads=4, num_sweeps=100, seed=3, workers=2)
    assert [a.neuron for a in parallel] == list(range(problem.num_neurons))
    assert np.array_equal(states(serial), states(parallel))


def test_dask_cluster_matches_serial(problem):
    distributed = pytest.importorskip("distributed")
    serial = solve_layer(problem, "sa", num_reads=4, num_sweeps=100, seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        answers = solve_layer(problem, "sa", num_reads=4, num_sweeps=100, seed=3, executor=client.get_executor())
    assert np.array_equal(states(serial), states(answers))


def test_skip_and_on_answer(problem):
    seen = []
    answers = solve_layer(problem, "steepest", skip=[0, 2], on_answer=seen.append)
    assert [a.neuron for a in answers] == [1, 3, 4, 5] == sorted(a.neuron for a in seen)
