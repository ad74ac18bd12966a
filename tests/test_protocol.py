"""The workflow protocol: settings given are settings sent, answers keyed by what decided them, one
harness, a dry run per workflow that counts what the run sends, compare on every workflow."""
import json
import os

import dimod
import numpy as np
import pytest
import torch

import annealq
from annealq.embedding import chain_strength_policy
from annealq.formulations import QUBOBatch
from annealq.harness.dryrun import price
from annealq.head import QUBOHeadClassifier
from annealq.prune import PruneConfig
from annealq.qnn import QNNConfig, toy_dataset
from annealq.records import Journal
from annealq.samplers import SolverConfig, solve
from annealq.samplers.qpu import QPUComposite
from annealq.samplers.roles import describe_policy, row_seed
from annealq.samplers.router import register_route, unregister_route
from annealq.studies.compare import Budget, compare_run

MOCK = "mock-qpu:Advantage_system4.1"


class Spy(dimod.Sampler):
    """Answers every read with ``answer`` (all ones by default) and keeps what each call received."""

    parameters = {"num_reads": [], "num_sweeps": [], "seed": [], "chain_strength": []}
    properties: dict = {}

    def __init__(self, answer=1, tag="a"):
        self.calls, self.answer, self.properties = [], answer, {"tag": tag}

    def sample(self, bqm, **kwargs):
        self.calls.append(kwargs)
        n = kwargs.get("num_reads") or 1
        states = np.full((n, bqm.num_variables), self.answer, dtype=np.int8)
        return dimod.SampleSet.from_samples_bqm((states, list(bqm.variables)), bqm, info={"pid": os.getpid()})


@pytest.fixture
def spy():
    sampler = Spy()
    register_route("spy", lambda arg: sampler)
    yield sampler
    unregister_route("spy")


def two_by_two(rows=2):
    """Row r: E = r + 2 x0 + 2 x1 - 3.5 x0 x1: all ones is a local minimum (r + 0.5), all zeros the global
    one (r); the offsets make the rows distinct problems."""
    return QUBOBatch(np.array([[0, -1.75], [-1.75, 0]]), scale=1.0, linear=[[2.0, 2.0]] * rows,
                     offset=np.arange(rows, dtype=float))


# -- solve applies every field of its SolverConfig --------------------------------------------------

def test_solve_sends_reads_sweeps_and_a_seed_per_row(spy):
    solve(two_by_two(), config=SolverConfig(route="spy", num_reads=7, num_sweeps=11, seed=5))
    assert [c["num_reads"] for c in spy.calls] == [7, 7] and [c["num_sweeps"] for c in spy.calls] == [11, 11]
    assert [c["seed"] for c in spy.calls] == [row_seed(5, 0), row_seed(5, 1)]


def test_solve_sends_the_chain_strength_of_its_config(spy):
    answers = solve(two_by_two(1), config=SolverConfig(route="spy", chain_strength=2.5))
    sent = spy.calls[0]["chain_strength"]
    assert describe_policy(sent) == "uniform_torque_compensation(prefactor=2.5)"
    assert answers[0].parameters["chain_strength"] == describe_policy(sent)  # recorded = received
    bqm = dimod.BQM({}, {(0, 1): 4.0}, 0.0, "BINARY")
    assert sent(bqm, None) == chain_strength_policy("uniform_torque_compensation", prefactor=2.5)(bqm, None)


def test_solve_uses_the_workers_of_its_config(spy):
    answers = solve(two_by_two(4), config=SolverConfig(route="spy", workers=2))
    assert {a.sampleset.info["pid"] for a in answers} - {os.getpid()}  # solved in worker processes


def test_solve_uses_warm_starts_only_when_its_config_says_so(spy):
    warm = np.zeros((1, 1, 2), dtype=np.int8)
    with_warm = solve(two_by_two(1), config=SolverConfig(route="spy"), warm_starts=warm)[0]
    without = solve(two_by_two(1), config=SolverConfig(route="spy", warm_start=False), warm_starts=warm)[0]
    assert with_warm.energy == 0.0 and without.energy == 0.5


def test_solve_uses_the_route_of_its_config(spy):
    solve(two_by_two(1), config=SolverConfig(route="spy"))
    assert len(spy.calls) == 1


# -- journal identity ---------------------------------------------------------------------------------

def test_same_problem_under_same_settings_is_never_sent_twice(tmp_path, spy):
    config = SolverConfig(route="spy", num_reads=3)
    with Journal(tmp_path) as journal:
        solve(two_by_two(), config=config, journal=journal.step("a", SolverConfig(), "first"))
        again = solve(two_by_two(), config=config, journal=journal.step("b", PruneConfig(), "elsewhere"))
        assert len(spy.calls) == 2 and all(a.info["recorded"] for a in again)
        solve(two_by_two(), config=SolverConfig(route="spy", num_reads=4), journal=journal.step("a", config, "x"))
        assert len(spy.calls) == 4  # other settings reach the sampler: solved again
        assert len(journal.records(unique=True)) == 4 and len(journal.records()) == 6


def test_two_sampler_instances_never_share_answers(tmp_path):
    first, second, twin = Spy(tag="a"), Spy(tag="b"), Spy(tag="a")
    with Journal(tmp_path) as journal:
        for sampler in (first, second, twin):
            solve(two_by_two(1), sampler, config=SolverConfig(), journal=journal.step("w", SolverConfig(), "0"))
    assert (len(first.calls), len(second.calls), len(twin.calls)) == (1, 1, 0)


def test_chain_strength_on_routes_that_do_not_embed_keeps_the_answers(tmp_path, spy):
    with Journal(tmp_path) as journal:
        for strength in (0.5, 8.0):
            solve(two_by_two(1), "sa", config=SolverConfig(chain_strength=strength, num_reads=2, num_sweeps=10),
                  journal=journal.step("w", SolverConfig(), "0"))
        assert len(journal.records(unique=True)) == 1  # 'sa' takes no chain strength: one answer


# -- the four workflows on a QPU route --------------------------------------------------------------

def ptq_run(solver, journal, model=None):
    torch.manual_seed(0)
    model = model or torch.nn.Sequential(torch.nn.Linear(6, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    config = annealq.QuantConfig(bits=2, route=solver.route, num_reads=solver.num_reads,
                                 chain_strength=solver.chain_strength, seed=solver.seed)
    annealq.quantize(model, torch.rand(24, 6, generator=torch.Generator().manual_seed(0)), config, journal=journal)


def head_run(solver, journal):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 6)), rng.integers(0, 3, 30)
    QUBOHeadClassifier(2, solver=solver, max_iter=2, journal=journal).fit(x, y)  # 14 variables a class: chains


def prune_run(solver, journal):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    x = torch.randn(40, 5, generator=torch.Generator().manual_seed(1))
    annealq.prune(model, (x, torch.arange(40) % 3), PruneConfig(sparsity=0.5, solver=solver), journal=journal)


def qnn_run(solver, journal):
    annealq.qnn.train(toy_dataset(), QNNConfig(hidden=2, bits=2, batch=8, iterations=1, pool=0, solver=solver),
                      journal=journal)


WORKFLOWS = {"ptq": ptq_run, "head": head_run, "prune": prune_run, "qnn": qnn_run}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_chain_strength_reaches_the_qpu_in_every_workflow(name, tmp_path, monkeypatch):
    received = []
    original = QPUComposite.sample_many

    def spy(self, bqms, embeddings, parameters, *, chain_strength=None, **kwargs):
        received.append(describe_policy(chain_strength))
        return original(self, bqms, embeddings, parameters, chain_strength=chain_strength, **kwargs)

    monkeypatch.setattr(QPUComposite, "sample_many", spy)
    applied = {}
    for strength in (0.5, 8.0):
        with Journal(tmp_path / str(strength)) as journal:
            WORKFLOWS[name](SolverConfig(route=MOCK, num_reads=4, chain_strength=strength), journal)
            records = journal.records(unique=True)
        sent = f"uniform_torque_compensation(prefactor={strength})"
        assert records and {json.loads(r["parameters"])["chain_strength"] for r in records} == {sent}
        assert set(received) == {sent}
        received.clear()
        applied[strength] = {r["chain_strength"] for r in records if r["chain_strength"]}
    assert applied[0.5] and applied[8.0] and applied[0.5].isdisjoint(applied[8.0])


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_dry_run_builds_as_many_problems_as_the_run_sends(name, tmp_path):
    solver = SolverConfig(route=MOCK, num_reads=4)
    with Journal(tmp_path) as journal:
        WORKFLOWS[name](solver, journal)
        sent = len(journal.records(unique=True))
    tables = price(WORKFLOWS[name], solver, ["Advantage_system4.1"])
    assert sum(r["problems"] for r in tables["Advantage_system4.1"]) == sent > 0
    assert all(r["seconds"] > 0 and r["qubits"] >= r["variables"] for r in tables["Advantage_system4.1"])


def test_dry_run_prices_every_layer_of_a_cnn_and_the_refits_at_one_bit(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(8, 3))
    calibration = torch.rand(12, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    config = annealq.QuantConfig(bits=1, route=MOCK, num_reads=4)

    def run(solver, journal):
        annealq.quantize(model, calibration, annealq.QuantConfig(bits=1, route=solver.route, num_reads=4),
                         journal=journal)

    with Journal(tmp_path) as journal:
        annealq.quantize(model, calibration, config, journal=journal)
        sent = len(journal.records(unique=True))
    rows = price(run, config.solver, ["Advantage_system4.1"])["Advantage_system4.1"]
    assert sum(r["problems"] for r in rows) == sent > 2 + 3  # every neuron, and the refits' new problems
    assert {r["step"].split("/")[0] for r in rows} == {"0", "3"}  # the conv and the linear layer
    assert config.refits and any("refit" in r["step"] for r in rows)


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_compare_reads_every_workflows_qpu_run(name, tmp_path):
    with Journal(tmp_path) as journal:
        WORKFLOWS[name](SolverConfig(route=MOCK, num_reads=4), journal)
        answers = len(journal.records(unique=True))
    report = compare_run(tmp_path, budgets=[Budget()], accuracy=False)
    assert len(report.neurons) == answers and report.configs[0]["num_reads"] == 4
    assert report.configs[0]["num_sweeps"] > 0


def test_compare_reads_a_run_made_with_the_routes_own_budget(tmp_path):
    with Journal(tmp_path) as journal:
        ptq_run(SolverConfig(route=MOCK), journal)  # num_reads None: the QPU's own default
    report = compare_run(tmp_path, budgets=[Budget()], accuracy=False)
    assert report.configs[0]["num_reads"] >= 1 and report.overall


# -- the verbs ----------------------------------------------------------------------------------------

def test_a_verb_refuses_another_workflows_config():
    with pytest.raises(TypeError, match="annealq.quantize takes a QuantConfig, got a PruneConfig: run that "
                                        "config with annealq.prune"):
        annealq.quantize(torch.nn.Linear(2, 2), torch.rand(4, 2), PruneConfig())
    with pytest.raises(TypeError, match="annealq.prune takes a PruneConfig, got a QuantConfig"):
        annealq.prune(torch.nn.Linear(2, 2), (torch.rand(4, 2), torch.zeros(4)), annealq.QuantConfig())


# -- post-processing never re-sends a problem (the command line) -----------------------------------

class Counting(dimod.Sampler):
    """Simulated annealing that counts its calls."""

    parameters = {"num_reads": [], "seed": []}
    properties: dict = {}
    calls = 0

    def sample(self, bqm, **kwargs):
        from dwave.samplers import SimulatedAnnealingSampler

        Counting.calls += 1
        return SimulatedAnnealingSampler().sample(bqm, num_sweeps=100, **kwargs)


def test_fine_tuning_and_refinement_send_no_problem_again(tmp_path, request):
    from click.testing import CliRunner

    from annealq.cli import main

    register_route("counting", lambda arg: Counting())
    request.addfinalizer(lambda: unregister_route("counting"))
    out = str(tmp_path / "run")

    def prune(*args):
        before = Counting.calls
        result = CliRunner().invoke(main, ["prune", "--task", "digits", "--sparsities", "0.5", "--route", "counting",
                                           "--num-reads", "2", "--refine-budget", "4", "--out", out, *args])
        assert result.exit_code == 0, result.output
        return Counting.calls - before

    assert prune("--methods", "qubo", "--finetune", "0") > 0
    assert prune("--methods", "qubo", "--finetune", "1") == 0
    assert prune("--methods", "qubo,qubo-refined") == 0
    rows = json.loads((tmp_path / "run" / "report.json").read_text())["runs"]
    assert len(rows) == 1 and {(r["method"], r["finetune_epochs"]) for r in rows[0]["rows"]} == {
        ("qubo", 0), ("qubo", 1), ("qubo-refined", 0)}
