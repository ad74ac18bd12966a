"""QNN training as constrained binary optimisation: splines, the QCBO against brute force, solvers, resume."""
from __future__ import annotations

import itertools
from unittest import mock

import dimod
import numpy as np
import pytest

import annealq
from annealq.formulations import CQMBatch
from annealq.formulations.qnn import hidden_block, output_block, size_formula
from annealq.formulations.splines import (LOSSES, activation_peak, activation_spline, fip_interval, loss_spline,
                                          spline_forward, spline_loss_value)
from annealq.qnn import QNNConfig, conditional_gradient, penalty_solve, progressive_hedging, toy_dataset, train
from annealq.qnn.network import QuantizedMLP
from annealq.qnn.report import compare
from annealq.records import Journal
from annealq.samplers import SolverConfig
from reports import report_rows

X_TINY = np.array([[1, 0], [1, 1]])
Y_TINY = np.array([0, 1])
W_OUT_TINY = np.array([[1.0], [-1.0]])


class GroundStates(dimod.Sampler):
    """dimod's ExactSolver keeping only the lowest-energy states (the exact oracle of the tests)."""

    parameters: dict = {}
    properties: dict = {}

    def sample(self, bqm, **kwargs):
        return dimod.ExactSolver().sample(bqm).lowest()


def tiny_hidden(loss="squared"):
    return hidden_block(X_TINY, Y_TINY, W_OUT_TINY, hidden=1, pieces=2, loss=loss, loss_pieces=2)


def brute_force(problem):
    """The best network under the spline model: every weight assignment, lifted by completion."""
    return min(problem.energy(problem.complete(w)) for w in itertools.product([0, 1], repeat=problem.num_weights))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_activation_spline_equals_the_activation_at_its_knots(activation):
    for pieces in (1, 2, 3, 5):
        s = activation_spline(activation, -7, 9, pieces, unit=0.3)
        fn = annealq.formulations.splines.ACTIVATIONS[activation]
        assert np.array_equal(s(s.knots), fn(0.3 * s.knots))
        assert np.all(s.knots == np.round(s.knots))  # integer knots: pre-activations are integers
    relu = activation_spline("relu", -8, 8, 2, unit=1.0)
    assert relu.max_error(lambda z: np.maximum(z, 0)) == 0.0  # 0 is a knot: ReLU is exact


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_spline_equals_the_loss_at_its_knots(loss):
    for target in (-1.0, 1.0):
        s = loss_spline(loss, target, -3.0, 2.5, 5)
        assert np.array_equal(s(s.knots), LOSSES[loss](s.knots, target))
        finer = loss_spline(loss, target, -3.0, 2.5, 20)
        assert finer.max_error(lambda o: LOSSES[loss](o, target)) <= s.max_error(lambda o: LOSSES[loss](o, target))


@pytest.mark.parametrize("activation,loss", [("relu", "squared"), ("tanh", "squared_hinge"), ("relu", "logistic")])
def test_energy_equals_the_spline_model_on_random_networks(activation, loss):
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 3, (4, 3)), np.array([0, 1, 2, 1])
    w2_bits = rng.integers(0, 2, (3, 2))
    lo, hi = fip_interval(x)
    interval = (int(lo.min()), int(hi.max()))
    hidden = hidden_block(x, y, 0.7 * (2 * w2_bits - 1), hidden=2, activation=activation, pieces=3, loss=loss,
                          loss_pieces=3, unit=0.4, unit_interval=interval)
    act = activation_spline(activation, *interval, 3, 0.4)
    for _ in range(10):
        w1 = rng.integers(0, 2, (2, 3))
        state = hidden.complete(w1.reshape(-1))
        assert hidden.feasible(state)
        h, o = spline_forward(x, w1, w2_bits, unit=0.4, scale_out=0.7, activation=activation, pieces=3,
                              unit_interval=interval)
        ranges = np.array([[0.7 * 2 * activation_peak(act, lo[s], hi[s])] * 3 for s in range(4)])
        assert hidden.energy(state) == pytest.approx(spline_loss_value(o, y, loss, 3, ranges), abs=1e-12)
        out = output_block(h, y, classes=3, scale=0.7, loss=loss, loss_pieces=3)
        u = rng.integers(0, 2, (3, 2))
        o2 = h @ (0.7 * (2 * u - 1)).T
        assert out.energy(out.complete(u.reshape(-1))) == pytest.approx(
            spline_loss_value(o2, y, loss, 3, 0.7 * np.abs(h).sum(1)), abs=1e-12)


def test_sizes_stay_within_the_formula():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 3, (5, 4)), rng.integers(0, 3, 5)
    p = hidden_block(x, y, np.ones((3, 2)), hidden=2, pieces=4, loss="squared_hinge", loss_pieces=3)
    width_bits = int(np.ceil((2 * np.abs(x).sum(1).max()) / 4)).bit_length()
    bound = size_formula(5, 2, 3, 4, width_bits, 3, 4, spline_loss=True)
    assert p.num_weights == bound["weight_bits"]
    assert p.num_variables <= bound["variables"] and len(p.constraints) <= bound["constraints"]


def test_exact_cqm_optimum_is_the_brute_force_best_network():
    for problem in (tiny_hidden(), output_block(np.array([[1.0, 0.5], [0.2, 1.0]]), Y_TINY, classes=2, scale=1.0,
                                                loss="squared_hinge", loss_pieces=2)):
        assert problem.num_variables <= 20
        (answer,) = annealq.solve(CQMBatch([problem.cqm()]), "exact-cqm")
        state = problem.state_from_sample(dict(zip(problem.cqm().variables, answer.state)))
        assert answer.feasible and problem.feasible(state)
        assert answer.energy == pytest.approx(brute_force(problem), abs=1e-9)
        assert problem.energy(state) == pytest.approx(answer.energy, abs=1e-9)


def test_penalty_bqm_ground_state_is_feasible_and_optimal():
    problem = tiny_hidden()
    cqm = problem.cqm()
    bqm, multiplier, rule = CQMBatch([cqm]).penalty_bqm(0)
    assert rule == "bound"  # integer constraints: the bound rule is exact
    ground = dimod.ExactSolver().sample(bqm).first.sample
    state = problem.state_from_sample(ground)
    assert problem.feasible(state)
    assert problem.energy(state) == pytest.approx(brute_force(problem), abs=1e-9)
    found = penalty_solve(problem, GroundStates())
    assert found.feasible and found.info["answer_feasible"] and found.energy == pytest.approx(brute_force(problem))


def test_conditional_gradient_with_an_exact_oracle_reaches_the_optimum():
    problem = tiny_hidden()
    best = brute_force(problem)
    for start in ([0, 0], [1, 1]):
        found = conditional_gradient(problem, GroundStates(), iterations=3, start_weights=start)
        assert found.feasible and not found.violations
        assert found.energy == pytest.approx(best, abs=1e-9)
        assert found.oracle_calls == 3 and len(found.history) == 3


def test_progressive_hedging_returns_a_feasible_consensus():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 2, (4, 2)), np.array([0, 1, 1, 0])
    problems = [hidden_block(x[[s]], y[[s]], W_OUT_TINY, hidden=1, pieces=2, unit_interval=(-2, 2)) for s in range(4)]
    weights, energy, history, calls = progressive_hedging(problems, GroundStates(), iterations=3)
    assert calls == 12 and len(history) == 3
    assert all(p.feasible(p.complete(weights)) for p in problems)
    assert energy == pytest.approx(np.mean([p.energy(p.complete(weights)) for p in problems]))
    whole = hidden_block(x, y, W_OUT_TINY, hidden=1, pieces=2, unit_interval=(-2, 2))
    assert energy >= brute_force(whole) - 1e-9  # the mean of the scenarios is the whole batch's objective


def test_hybrid_cqm_route_with_a_mocked_client(monkeypatch):
    class FakeLeapHybridCQMSampler:
        def __init__(self, **config):
            self.properties = {"category": "hybrid"}

        def sample_cqm(self, cqm, **kwargs):
            result = dimod.ExactCQMSolver().sample_cqm(cqm)
            result.info.update(run_time=5_000_000, charge_time=5_000_000)
            return result

    monkeypatch.setenv("DWAVE_API_TOKEN", "annealq-dummy-token-4d1f")
    with mock.patch("dwave.system.LeapHybridCQMSampler", FakeLeapHybridCQMSampler):
        problem = tiny_hidden()
        found = penalty_solve(problem, "hybrid-cqm")
    assert found.feasible and found.info["answer_feasible"]
    assert found.energy == pytest.approx(brute_force(problem))


def test_a_qpu_route_can_be_the_oracle():
    h = np.array([[1.0, 0.5, 0.0], [0.2, 1.0, 0.3]])
    problem = output_block(h, Y_TINY, classes=2, scale=1.0, loss="squared_hinge", loss_pieces=2)
    found = conditional_gradient(problem, "mock-qpu:Advantage_system4.1", iterations=1,
                                 config=SolverConfig(num_reads=10))
    assert found.oracle_calls == 1 and len(found.history) == 1
    assert found.energy == pytest.approx(problem.energy(found.state))  # the objective of the state returned
    assert found.energy >= brute_force(problem) - 1e-9 and found.raw_feasible in (0, 1)


def test_every_trained_network_satisfies_its_constraints():
    data = toy_dataset()
    for method, scenario, loss in (("qcgd", 1, "squared"), ("qcgd", 0, "squared_hinge"), ("penalty", 0, "squared")):
        cfg = QNNConfig(hidden=2, batch=4, iterations=2, inner=2, pool=0, method=method, scenario=scenario, loss=loss,
                        loss_pieces=2, pieces=2, solver=SolverConfig(route="sa", num_reads=4, num_sweeps=50))
        result = train(data, cfg)
        assert all(r["violations"] == 0 and not r.get("infeasible") for r in result.history)
        assert set(np.unique(result.network.w1)) <= {0, 1}
        losses = [r["train_loss"] for r in result.history]
        assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # the current network stays a candidate


def test_an_interrupted_run_resumes_bit_identical(tmp_path):
    for cfg in (QNNConfig(hidden=2, batch=4, iterations=3, inner=2, pool=0, method="qcgd", route="sa"),
                QNNConfig(hidden=3, batch=8, iterations=3, pool=0, bits="1,2", route="sa")):
        resume_matches(tmp_path / cfg.method, toy_dataset(), cfg)


def resume_matches(tmp_path, data, cfg):
    def strip(history):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in history]

    with Journal(tmp_path / "a") as journal:
        whole = train(data, cfg, journal=journal)

    class Stop(Exception):
        pass

    def stop_after_round_1(record):
        if record["iteration"] == 1:
            raise Stop

    with Journal(tmp_path / "b") as journal:
        with pytest.raises(Stop):
            train(data, cfg, journal=journal, progress=stop_after_round_1)
        recorded = len(journal.records(workflow="qnn"))
        resumed = train(data, cfg, journal=journal)
    assert recorded > 0
    assert np.array_equal(resumed.network.w1, whole.network.w1) and np.array_equal(resumed.network.w2, whole.network.w2)
    assert strip(resumed.history) == strip(whole.history)
    with Journal(tmp_path / "b", read_only=True) as journal:
        assert len(journal.records(workflow="qnn")) == len(Journal(tmp_path / "a", read_only=True).records(workflow="qnn"))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="pieces must be an integer >= 1"):
        QNNConfig(pieces=0)
    with pytest.raises(ValueError, match="bits=0 is not supported: use 1 .binary., 2 .2-bit., ternary"):
        QNNConfig(bits=0)
    with pytest.raises(ValueError, match="method qcgd builds binary weights only, got bits=2"):
        QNNConfig(bits=2, method="qcgd")
    with pytest.raises(ValueError, match="loss 'cross_entropy' has no spline"):
        QNNConfig(method="penalty", loss="cross_entropy")
    with pytest.raises(ValueError, match="activation 'sigmoid' has no spline"):
        QNNConfig(activation="sigmoid")
    with pytest.raises(ValueError, match="loss 'hinge' has no spline"):
        hidden_block(X_TINY, Y_TINY, W_OUT_TINY, hidden=1, loss="hinge")
    with pytest.raises(ValueError, match="non-negative integers"):
        hidden_block(X_TINY * 0.5, Y_TINY, W_OUT_TINY, hidden=1)
    with pytest.raises(ValueError, match="w_out must be"):
        hidden_block(X_TINY, Y_TINY, np.ones((2, 3)), hidden=1)
    with pytest.raises(ValueError, match="targets must lie in 0 .. 1"):
        hidden_block(X_TINY, np.array([0, 5]), W_OUT_TINY, hidden=1)
    data = toy_dataset()
    with pytest.raises(ValueError, match=r"init has weights .* need \(2, 4\) and \(2, 2\)"):
        train(data, QNNConfig(hidden=2, pool=0), init=QuantizedMLP(np.zeros((2, 5), np.int8), np.zeros((2, 2), np.int8),
                                                                1.0, 1.0))
    with pytest.raises(ValueError, match="pool=3 must divide"):
        train(data, QNNConfig(hidden=2, pool=3))
    with pytest.raises(ValueError, match="annealq Dataset"):
        train(np.zeros((3, 4)), QNNConfig(hidden=2))
    assert QNNConfig.from_dict(QNNConfig(hidden=3, route="tabu").to_dict()) == QNNConfig(hidden=3, route="tabu")


def test_every_method_in_one_harness(tmp_path):
    cfg = QNNConfig(hidden=2, batch=8, iterations=1, inner=1, pool=0, route="sa")
    out = compare(toy_dataset(), cfg, epochs=4)
    rows = {r["method"]: r for r in out["rows"]}
    assert list(rows) == ["targets", "random", "rounding", "greedy", "qcgd", "penalty", "ste", "ptq", "float"]
    for r in rows.values():
        assert {"method", "bits", "accuracy", "train_loss", "violations", "oracle_calls", "seconds"} <= set(r)
    assert rows["float"]["bits"] == 32 and rows["ptq"]["bits"] == 1 and rows["qcgd"]["violations"] == 0
    assert rows["qcgd"]["trained_loss"] == "squared" and 0 <= rows["qcgd"]["raw_feasible"] <= 1
    assert rows["targets"]["hidden_oracle_share"] in (0.0, 1.0) and rows["random"]["hidden_oracle_share"] == 0.0
    assert set(out["curves"]) == {"targets", "random", "rounding", "greedy", "qcgd", "penalty"}


def test_cli_writes_the_report(tmp_path):
    from click.testing import CliRunner

    from annealq.cli import main

    data = toy_dataset(36)
    with mock.patch("annealq.data.load_dataset", return_value=data):
        result = CliRunner().invoke(main, ["train-qnn", "--hidden", "2", "--pool", "0", "--iterations", "1",
                                           "--batch", "4", "--inner", "1", "--methods", "qcgd,float", "--epochs", "2",
                                           "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output

    assert [r["method"] for r in report_rows(tmp_path)] == ["qcgd", "float"]
    assert (tmp_path / "qnn_accuracy.png").exists()
    bad = CliRunner().invoke(main, ["train-qnn", "--pieces", "0", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--pieces" in bad.output and not (tmp_path / "x").exists()
