"""Per-neuron routes spread over processes or a Dask cluster give the same answers."""
import numpy as np
import pytest

from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.samplers import SolverConfig, solve


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(6, 10)), rng.normal(size=6), rng.uniform(size=(50, 10))
    return rounding_problem(w, b, x, weight_grid=Grid.fit(w, 2), bias_grid=bias_grid(b))


def states(answers):
    return np.stack([a.state for a in answers])


def test_worker_processes_match_serial(problem):
    serial = solve(problem, "sa", config=SolverConfig(num_reads=4, num_sweeps=100, seed=3))
    parallel = solve(problem, "sa", config=SolverConfig(num_reads=4, num_sweeps=100, seed=3, workers=2))
    assert [a.id for a in parallel] == list(range(problem.num_neurons))
    assert np.array_equal(states(serial), states(parallel))


def test_dask_cluster_matches_serial(problem):
    distributed = pytest.importorskip("distributed")
    serial = solve(problem, "sa", config=SolverConfig(num_reads=4, num_sweeps=100, seed=3))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        answers = solve(problem, "sa", config=SolverConfig(num_reads=4, num_sweeps=100, seed=3), executor=client.get_executor())
    assert np.array_equal(states(serial), states(answers))


def test_journal_rows_are_skipped_and_on_answer_sees_the_rest(problem):
    class Recorded:  # a journal step holding answers to rows 0 and 2
        def __init__(self):
            self.saved = []

        def reusable(self, batch, solver):
            return {i: a for i, a in enumerate(solve(problem, "exact")) if i in (0, 2)}

        def save(self, answer):
            self.saved.append(answer.id)

    seen, journal = [], Recorded()
    answers = solve(problem, "steepest", journal=journal, on_answer=seen.append)
    assert [a.id for a in answers] == list(range(problem.num_neurons))
    assert sorted(a.id for a in seen) == journal.saved == [1, 3, 4, 5]
