"""The spine every workflow shares: problem batches, one solve for any sampler, the run journal.

Also the formulation contract every formulation must pass: energy equals its objective on
random states; on small instances the brute-force minimum decodes to the best grid point;
the compiled model round-trips through the journal.
"""
import gzip
import itertools
import multiprocessing
import sqlite3
import warnings

import dimod
import numpy as np
import pytest

from annealq.formulations import CQMBatch, Grid, QUBOBatch, bias_grid, fixed_point_problem, rounding_problem
from annealq.records import Journal, JournalError, RunFolderBusyError
from annealq.samplers import SolverConfig, solve
from annealq.samplers.config import config_from_dict, config_to_dict
from annealq.samplers.router import register_route, unregister_route
from annealq.samplers.roles import row_seed


def all_states(m):
    return np.array(list(itertools.product([0, 1], repeat=m)), dtype=np.int8)


# -- the formulation contract -----------------------------------------------------------------

def rounding(rng):
    w, b, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(30, 4))
    p = rounding_problem(w, b, x, weight_grid=Grid.fit(w, 2), bias_grid=bias_grid(b))
    xa = np.hstack([x, np.ones((30, 1))])
    target = np.hstack([w, b[:, None]])
    return p, lambda i, wq: float(((xa @ (target[i] - wq)) ** 2).sum())


def fixed_point(rng):
    t, feats = rng.normal(size=(2, 3)), rng.normal(size=(20, 3))
    p = fixed_point_problem(t, bits=2, features=feats)
    return p, lambda i, wq: float(((feats @ (t[i] - wq)) ** 2).sum())


@pytest.mark.parametrize("build", [rounding, fixed_point], ids=["rounding", "fixed_point"])
def test_formulation_contract(build, tmp_path):
    rng = np.random.default_rng(0)
    problem, objective = build(rng)
    batch = problem.qubo
    states = all_states(batch.num_variables)
    for i in range(batch.num_rows):
        weights = problem.decode(states[None], neurons=[i])[0]
        direct = np.array([objective(i, w) for w in weights])
        # energy equals the objective on every state (so on random states too), batch and BQM alike
        assert np.allclose(batch.energies(states[None], [i])[0], direct, rtol=1e-9, atol=1e-9)
        assert np.allclose(batch.bqm(i).energies(states), direct, rtol=1e-9, atol=1e-9)
        # the brute-force minimum decodes to the best point of the grid window
        best = weights[np.argmin(direct)]
        answer = solve(batch.subset([i]), "exact")[0]
        assert np.allclose(problem.decode(answer.state[None], neurons=[i])[0], best)
    # the compiled model round-trips through the journal
    config = SolverConfig(route="exact")
    with Journal(tmp_path) as journal:
        solve(batch, config=config, journal=journal.step("contract", config, 0))
        for record in journal.records():
            model = journal.model(record)
            assert model == batch.bqm(int(np.flatnonzero(batch.ids == record["row"])[0]))


def test_qubo_batch_shares_its_quadratic_and_changes_only_the_linear_term():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 5))
    batch = QUBOBatch(a + a.T, scale=rng.uniform(0.5, 2, size=(3, 5)), linear=rng.normal(size=(3, 5)),
                      offset=rng.normal(size=3), ids=[10, 20, 30])
    sub = batch.subset([2, 0])
    assert sub.quadratic is batch.quadratic and sub.ids.tolist() == [30, 10]
    moved = batch.with_linear(batch.linear + 1.0)
    assert moved.quadratic is batch.quadratic and moved.ids.tolist() == [10, 20, 30]
    s = all_states(5)
    assert np.allclose(moved.energies(s[None], [1])[0], batch.energies(s[None], [1])[0] + s.sum(axis=1))
    with pytest.raises(ValueError, match="symmetric"):
        QUBOBatch(rng.normal(size=(3, 3)), scale=1.0, linear=np.zeros((1, 3)), offset=0)
    with pytest.raises(ValueError, match="distinct"):
        QUBOBatch(np.zeros((2, 2)), scale=1.0, linear=np.zeros((2, 2)), offset=0, ids=[1, 1])


# -- one solve for any sampler -------------------------------------------------------------------

class Recording(dimod.Sampler):
    """Simulated annealing that keeps the keyword arguments of every call (never registered)."""

    parameters = {"num_reads": [], "num_sweeps": [], "seed": []}
    properties: dict = {}

    def __init__(self):
        from dwave.samplers import SimulatedAnnealingSampler

        self.inner, self.calls = SimulatedAnnealingSampler(), []

    def sample(self, bqm, **kwargs):
        self.calls.append(dict(kwargs))
        return self.inner.sample(bqm, **kwargs)


def random_cqm(rng, n=5, k=2):
    x = [dimod.Binary(i) for i in range(n)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(sum(float(rng.normal()) * x[i] * x[j] for i in range(n) for j in range(i, n)))
    cqm.add_constraint(sum(x) == k, label="k-hot")
    return cqm


def test_an_unregistered_sampler_solves_a_layer_and_a_cqm_batch_reporting_feasibility():
    rng = np.random.default_rng(2)
    problem, _ = rounding(rng)
    sampler = Recording()
    answers = solve(problem, sampler, config=SolverConfig(num_reads=3, num_sweeps=50, seed=5))
    assert [a.id for a in answers] == [0, 1, 2] and [c["seed"] for c in sampler.calls] == [row_seed(5, i)
                                                                                          for i in range(3)]
    assert [a.parameters for a in answers] == sampler.calls
    cqms = CQMBatch([random_cqm(rng) for _ in range(3)], ids=[7, 8, 9])
    for solver in (Recording(), dimod.ExactCQMSolver(), "exact-cqm"):
        for r, answer in enumerate(solve(cqms, solver, config=SolverConfig(num_reads=20))):
            exact = dimod.ExactCQMSolver().sample_cqm(cqms.cqm(r)).filter(lambda d: d.is_feasible).first
            assert answer.feasible is True and answer.violations == {"k-hot": 0.0}
            assert answer.state.sum() == 2 and answer.energy == pytest.approx(exact.energy)
    answer = solve(cqms.subset([0]), Recording())[0]
    assert answer.info["penalty_rule"] == "bound" and answer.info["penalty_multiplier"] > 0


def test_an_infeasible_answer_says_so():
    x = list(dimod.Binaries("ab"))
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-x[0] - x[1])
    cqm.add_constraint(x[0] + x[1] == 1, label="one")
    answer = solve(CQMBatch([cqm]), "sa", penalty=0.1, config=SolverConfig(num_reads=10))[0]
    assert answer.feasible is False and answer.violations["one"] == 1.0


@pytest.mark.parametrize("route", ["sa", "batched", "mock-qpu-packed:Advantage_system4.1"])
def test_the_journal_holds_exactly_the_parameters_the_sampler_received(route, tmp_path, monkeypatch):
    """A recording child under each route: what reached it is what the journal says."""
    received = []
    if route.startswith("mock-qpu"):
        from dwave.system.testing import MockDWaveSampler

        real = MockDWaveSampler.sample

        def spy(self, bqm, **kwargs):
            received.append({k: kwargs[k] for k in ("num_reads", "seed") if k in kwargs})
            return real(self, bqm, **kwargs)
        monkeypatch.setattr(MockDWaveSampler, "sample", spy)
    elif route == "batched":
        from annealq.samplers.batched import BatchedAnnealer

        real = BatchedAnnealer.sample_batch

        def spy(self, batch, **kwargs):
            out = real(self, batch, **kwargs)
            received.extend([{k: kwargs[k] for k in ("num_reads", "seed")}] * batch.num_rows)
            return out
        monkeypatch.setattr(BatchedAnnealer, "sample_batch", spy)
    else:
        from dwave.samplers import SimulatedAnnealingSampler

        real = SimulatedAnnealingSampler.sample

        def spy(self, bqm, **kwargs):
            received.append({k: kwargs[k] for k in ("num_reads", "seed")})
            return real(self, bqm, **kwargs)
        monkeypatch.setattr(SimulatedAnnealingSampler, "sample", spy)
    problem, _ = rounding(np.random.default_rng(3))
    config = SolverConfig(route=route, num_reads=4, seed=11)
    with Journal(tmp_path) as journal, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        answers = solve(problem, config=config, journal=journal.step("ptq", config, "0"))
        recorded = [journal.answer(r).parameters for r in journal.records()]
    sent = [{k: p[k] for k in ("num_reads", "seed")} for p in recorded]
    if route.startswith("mock-qpu-packed"):  # one call for the three rows: seeded by the call
        assert received == [sent[0]] and all(s == sent[0] for s in sent)
    else:
        assert sent == received
    assert [a.parameters for a in answers] == recorded


def test_a_route_registered_by_a_user_reads_back_in_a_fresh_process(tmp_path):
    register_route("mine", lambda arg: Recording())
    try:
        config = SolverConfig(route="mine", num_reads=2, num_sweeps=20)
        problem, _ = rounding(np.random.default_rng(4))
        with Journal(tmp_path) as journal:
            solve(problem, config=config, journal=journal.step("ptq", config, "0"))
    finally:
        unregister_route("mine")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        configs = pool.apply(_configs_of, (str(tmp_path),))
    assert configs == [config_to_dict(config)]


def _configs_of(run_dir):
    return [config_to_dict(c) for c in Journal(run_dir, read_only=True).configs().values()]


def test_config_validation_and_round_trip():
    cfg = SolverConfig(route="tabu", num_reads=3, seed=2**32 - 1)
    assert config_from_dict(config_to_dict(cfg)) == cfg
    for bad in ({"num_reads": True}, {"seed": "abc"}, {"seed": -1}, {"chain_strength": float("inf")},
                {"workers": 0}, {"warm_start": "no"}, {"route": ""}):
        with pytest.raises(ValueError):
            SolverConfig(**bad)


# -- the journal after faults --------------------------------------------------------------------

def solved_run(tmp_path, route="sa"):
    problem, _ = rounding(np.random.default_rng(5))
    config = SolverConfig(route=route, num_reads=3, num_sweeps=30)
    with Journal(tmp_path) as journal:
        answers = solve(problem, config=config, journal=journal.step("ptq", config, "0"))
    return problem, config, answers


def test_an_unreadable_blob_is_solved_again_and_replaced(tmp_path):
    problem, config, answers = solved_run(tmp_path)
    with Journal(tmp_path) as journal:
        record = journal.records()[1]
        path = tmp_path / "blobs" / record["sampleset_blob"]
        path.write_bytes(path.read_bytes()[:20])  # truncated
        (tmp_path / "blobs" / journal.records()[2]["sampleset_blob"]).unlink()  # missing
        with pytest.warns(RuntimeWarning, match="unreadable"):
            again = solve(problem, config=config, journal=journal.step("ptq", config, "0"))
        assert [a.info.get("recorded", False) for a in again] == [True, False, False]
        for r in journal.records():  # every row's blobs read back and match the row
            assert journal.answer(r).energy == r["energy"]
            assert gzip.decompress((tmp_path / "blobs" / r["sampleset_blob"]).read_bytes())
        names = {r[c] for r in journal.records() for c in ("sampleset_blob", "model_blob") if r[c]}
        assert {p.name for p in (tmp_path / "blobs").iterdir()} == names  # replaced blobs removed
    assert [a.state.tolist() for a in again] == [a.state.tolist() for a in answers]  # same seeds, same answers


def test_a_corrupt_journal_and_a_busy_folder_get_one_clear_error(tmp_path):
    solved_run(tmp_path / "a")
    with Journal(tmp_path / "a"):
        with pytest.raises(RunFolderBusyError, match="in use by pid"):
            Journal(tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "journal.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(JournalError, match="not a readable run journal"):
        Journal(tmp_path / "b")
    (tmp_path / "c").mkdir()
    sqlite3.connect(tmp_path / "c" / "records.sqlite").close()
    with pytest.raises(JournalError, match="annealq 0.1"):
        Journal(tmp_path / "c")


def test_a_recorded_qpu_answer_unembeds_again_with_another_chain_break_method(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solved_run(tmp_path, "mock-qpu:Advantage_system4.1")
    journal = Journal(tmp_path, read_only=True)
    record = journal.records()[0]
    assert journal.embedding_context(record)["chain_break_method"] == "majority_vote"
    again = journal.unembed(record, "majority_vote")
    recorded = journal.sampleset(record)
    assert sorted(again.record.energy) == pytest.approx(sorted(recorded.record.energy))
    other = journal.unembed(record, "discard")
    assert len(other) <= len(recorded)


def test_a_journal_left_by_a_killed_writer_reads_back(tmp_path):
    """A writer killed inside a transaction leaves a hot rollback journal; readers must still open it."""
    import subprocess
    import sys

    solved_run(tmp_path)
    code = ("import sqlite3, os; db = sqlite3.connect(r'%s'); db.execute('BEGIN EXCLUSIVE');"
            "db.execute('DELETE FROM answers'); db.execute('CREATE TABLE filler (x)');"
            "db.executemany('INSERT INTO filler VALUES (?)', [(b'x' * 4096,)] * 2000); os._exit(9)"
            % (tmp_path / "journal.sqlite"))
    subprocess.run([sys.executable, "-c", code], check=False)
    assert (tmp_path / "journal.sqlite-journal").exists()  # the hot journal a kill leaves behind
    assert len(Journal(tmp_path, read_only=True).records()) == 3  # rolled back: nothing lost
