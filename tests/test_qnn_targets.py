"""Target-fit QNN training: the fit QUBO against brute force, levels and bit counts, the oracle's
role in the rounds, ablations through the same rounds, raw-answer checks, Fashion-MNIST files."""
from __future__ import annotations

import gzip
import itertools
import struct

import dimod
import numpy as np
import pytest

import annealq.qnn.solvers as solvers
import annealq.qnn.training as training
from annealq.formulations.qnn import hidden_block
from annealq.formulations.qnn_fit import LEVELS, bits_per_weight, fip_bounds, fit_problem, parse_levels
from annealq.qnn import QNNConfig, toy_dataset, train
from annealq.qnn.network import QuantizedMLP, loss_gradient, mean_loss
from annealq.qnn.solvers import ConditionalGradient
from annealq.qnn.targets import accept, codes_to_states, hidden_targets, states_to_codes
from annealq.samplers import SolverConfig


class Recording(dimod.Sampler):
    """dimod's ExactSolver (lowest states) that keeps every BQM it is sent."""

    parameters: dict = {}
    properties: dict = {}

    def __init__(self):
        self.bqms = []

    def sample(self, bqm, **kwargs):
        self.bqms.append(bqm.copy())
        return dimod.ExactSolver().sample(bqm).lowest()


class AllOnes(dimod.Sampler):
    """An oracle that answers every QUBO with all variables 1 (as returned: often infeasible)."""

    parameters: dict = {}
    properties: dict = {}

    def sample(self, bqm, **kwargs):
        return dimod.SampleSet.from_samples_bqm({v: 1 for v in bqm.variables}, bqm)


def all_states(m):
    return np.array(list(itertools.product([0, 1], repeat=m)), dtype=np.int8)


@pytest.mark.parametrize("name", ["binary", "2bit", "ternary"])
def test_fit_qubo_energy_is_the_objective_on_every_state(name):
    rng = np.random.default_rng(1)
    a, z, scale, levels = rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), 0.7, LEVELS[name]
    problem = fit_problem(a, z, scale=scale, levels=levels)
    states = all_states(problem.num_variables)
    weights = scale * levels.decode(states.reshape(len(states), 3, levels.bits))  # (S, 3)
    for i in range(2):
        objective = ((weights @ a.T - z[:, i]) ** 2).sum(axis=1)
        assert np.allclose(problem.qubo.energies(states[None], rows=[i])[0], objective, rtol=0, atol=1e-9)
        assert np.allclose(problem.qubo.bqm(i).energies(states), objective, rtol=0, atol=1e-9)
        best = states[int(np.argmin(objective))]
        w = problem.decode(best[None, None], neurons=[i])[0, 0] / scale
        assert np.allclose(np.min(np.abs(w[:, None] - np.array(levels.values)), axis=1), 0)  # on the levels
        grid_best = min(((a @ (scale * np.array(c)) - z[:, i]) ** 2).sum()
                        for c in itertools.product(levels.values, repeat=3))
        assert objective.min() == pytest.approx(grid_best, abs=1e-9)  # every weight on the levels is reachable


def test_codes_and_states_round_trip_on_every_level_set():
    for levels in LEVELS.values():
        codes = np.array([[0, len(levels.values) - 1, 1]])
        problem = fit_problem(np.eye(3), np.zeros((3, 1)), scale=2.0, levels=levels)
        assert np.array_equal(states_to_codes(problem, codes_to_states(codes, levels), 2.0, levels), codes)


def test_the_first_oracle_call_has_terms_on_every_weight_bit():
    sampler = Recording()
    cfg = QNNConfig(hidden=2, batch=8, iterations=1, pool=0, solver=SolverConfig(warm_start=False))
    result = train(toy_dataset(), cfg, sampler=sampler)
    first = sampler.bqms[0]
    assert first.num_variables == 4  # the first hidden neuron's 4 fan-in weight bits, nothing else
    touched = {v for v, b in first.linear.items() if b != 0} | {v for e in first.quadratic for v in e}
    assert touched == set(first.variables)
    assert len(sampler.bqms) == result.oracle_calls == 2 + 2  # hidden then output neurons


def test_qcgd_oracle_energy_is_objective_plus_constraint_terms_on_every_state():
    problem = hidden_block(np.array([[1, 0], [1, 1]]), [0, 1], np.array([[1.0], [-1.0]]), hidden=1, pieces=2)
    loop = ConditionalGradient(problem, problem.complete([0, 1]))
    for atom in (np.ones(loop.form.num_variables, np.int8), np.zeros(loop.form.num_variables, np.int8)):
        loop.step(atom)  # multipliers and residuals away from zero
    quad, linear = loop.qubo()
    states = all_states(loop.form.num_variables)
    energy = states @ linear + np.einsum("sj,jk,sk->s", states, quad, states)
    m = problem.num_variables
    beta = loop.beta0 * np.sqrt(loop.t + 1.0)
    kappa = loop.mu + beta * loop.q
    ax = states @ loop.form.a.T
    stated = (loop.scale * (problem.energy(states[:, :m]) - problem.offset) + ax @ (loop.y + beta * loop.r)
              + kappa * (((ax - loop.form.b) ** 2).sum(axis=1) - loop.form.b @ loop.form.b))
    assert np.allclose(energy, stated, rtol=0, atol=1e-9)


def test_check_reports_the_oracle_raw_answers(monkeypatch):
    seen, current = [], {}
    cg, oracle = training.conditional_gradient, solvers.oracle

    def recording_cg(problem, *args, **kwargs):
        current["problem"] = problem
        return cg(problem, *args, **kwargs)

    def recording_oracle(*args, **kwargs):
        atom = oracle(*args, **kwargs)
        seen.append(float(sum(current["problem"].violations(atom[: current["problem"].num_variables]).values())))
        return atom

    monkeypatch.setattr(training, "conditional_gradient", recording_cg)
    monkeypatch.setattr(solvers, "oracle", recording_oracle)
    cfg = QNNConfig(hidden=2, batch=4, iterations=2, inner=2, pool=0, scenario=0, method="qcgd",
                    solver=SolverConfig(warm_start=False))
    result = train(toy_dataset(), cfg, sampler=AllOnes())
    check = result.check()
    assert check["oracle_answers"] == len(seen) == result.oracle_calls
    assert check["raw_violation"] == pytest.approx(sum(seen)) and check["raw_infeasible"] == sum(v > 1e-9 for v in seen)
    assert check["raw_infeasible"] > 0 and check["off_levels"] == 0
    assert all(r["violations"] == 0 for r in result.history)  # the returned network: its feasible completion


def test_ablations_run_the_same_rounds_and_acceptance():
    data = toy_dataset(48)
    runs = {m: train(data, QNNConfig(hidden=3, batch=8, iterations=3, pool=0, method=m, route="sa", greedy_reads=4))
            for m in ("targets", "random", "rounding", "greedy")}
    samples = {m: [r["samples"] for r in res.history] for m, res in runs.items()}
    assert all(s == samples["targets"] for s in samples.values())
    for m, res in runs.items():
        losses = [r["train_loss"] for r in res.history]
        assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # acceptance only lowers the loss
        oracle = sum(r["hidden_changes_oracle"] for r in res.history)
        assert oracle == (sum(r["hidden_changes"] for r in res.history) if m == "targets" else 0)
    assert runs["random"].oracle_calls == runs["rounding"].oracle_calls == 0


def test_accept_keeps_only_rows_that_lower_the_loss():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 3, (40, 5)), rng.integers(0, 3, 40)
    net = QuantizedMLP(rng.integers(0, 2, (4, 5)).astype(np.int8), rng.integers(0, 2, (3, 4)).astype(np.int8),
                       0.5, 0.5)
    for layer in (0, 1):
        proposal = 1 - (net.w1 if layer == 0 else net.w2)
        new, counts = accept(net, layer, proposal, x, y, "cross_entropy")
        assert new.loss(x, y, "cross_entropy") <= net.loss(x, y, "cross_entropy")
        assert counts["loss"] == pytest.approx(new.loss(x, y, "cross_entropy"))
        changed = ((new.w1 != net.w1) if layer == 0 else (new.w2 != net.w2)).any(axis=1).sum()
        assert changed == counts["accepted"] and counts["changes"] == counts["accepted"] * (5 if layer == 0 else 4)


@pytest.mark.parametrize("bits", [2, "ternary", "1,2", "ternary,1"])
def test_trained_weights_lie_on_their_levels(bits):
    result = train(toy_dataset(), QNNConfig(hidden=3, batch=8, iterations=2, pool=0, bits=bits, route="sa"))
    net = result.network
    for layer, name in enumerate(parse_levels(bits)):
        values = net.weights(layer) / (net.s1, net.s2)[layer]
        assert np.allclose(np.min(np.abs(values[..., None] - np.array(LEVELS[name].values)), axis=-1), 0)
    assert result.check()["off_levels"] == 0


def test_bit_count_of_a_network():
    assert bits_per_weight([(49 * 64, "binary"), (64 * 10, "2bit")]) == (49 * 64 + 2 * 640 + 64) / (49 * 64 + 640)
    assert bits_per_weight([(10, "ternary")], scale_bits=0) == 2.0  # ternary as its 2 stored bits
    net = QuantizedMLP(np.zeros((64, 49), np.int8), np.zeros((10, 64), np.int8), 1.0, 1.0)
    assert net.bits_per_weight() == pytest.approx(1 + 64 / 3776) and net.bits_per_weight() < 1.1


def test_targets_stay_in_their_fip_interval_and_follow_the_gradient():
    rng = np.random.default_rng(2)
    a = rng.random((30, 4))
    lo, hi = fip_bounds(a, 0.5, LEVELS["binary"])
    assert np.allclose(hi, 0.5 * a.sum(axis=1)) and np.allclose(lo, -hi)
    z, w_out, y = rng.normal(size=(30, 3)), rng.normal(size=(2, 3)), rng.integers(0, 2, 30)
    o = np.maximum(z, 0) @ w_out.T
    target = hidden_targets(z, w_out, o, y, "cross_entropy", "relu", 0.5, fip_bounds(a, 0.5, LEVELS["binary"]))
    assert (target >= lo[:, None] - 1e-12).all() and (target <= hi[:, None] + 1e-12).all()
    off = (z <= 0) & (target <= 0)
    assert np.all(target[off] == np.clip(z, lo[:, None], hi[:, None])[off])  # "stay off"
    inside = (z > 0) & (target > lo[:, None]) & (target < hi[:, None])
    g = loss_gradient(o, y, "cross_entropy") @ w_out
    assert np.all(np.sign(z - target)[inside] == np.sign(g)[inside])  # a step down the loss gradient
    assert loss_gradient(np.zeros((1, 3)), [0], "cross_entropy").sum() == pytest.approx(0)
    assert mean_loss(np.zeros((2, 4)), [0, 3], "cross_entropy") == pytest.approx(np.log(4))


def write_idx(path, array):
    dims = array.shape
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_cli_trains_on_fashion_mnist_files(tmp_path):
    from click.testing import CliRunner

    from annealq.cli import main
    from reports import report_rows

    rng = np.random.default_rng(0)
    root = tmp_path / "fashion-mnist"
    root.mkdir()
    for part, n in (("train", 60), ("t10k", 20)):
        write_idx(root / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(root / f"{part}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    result = CliRunner().invoke(main, ["train-qnn", "--dataset", "fashion-mnist", "--data-root", str(root), "--pool",
                                       "7", "--hidden", "3", "--bits", "1,2", "--iterations", "1", "--batch", "16",
                                       "--methods", "targets,rounding", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    rows = report_rows(tmp_path / "run")
    assert [r["method"] for r in rows] == ["targets", "rounding"] and rows[0]["bits"] == "1,2"
    assert rows[0]["bits_per_weight"] == pytest.approx((49 * 3 + 2 * 30 + 64) / (49 * 3 + 30))
    bad = CliRunner().invoke(main, ["train-qnn", "--bits", "3", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "bits=" in bad.output and not (tmp_path / "x").exists()


def test_unsupported_input_is_one_line():
    with pytest.raises(ValueError, match="loss 'hinge' is not known"):
        QNNConfig(loss="hinge")
    with pytest.raises(ValueError, match="share N"):
        fit_problem(np.ones((3, 2)), np.ones((4, 1)), scale=1.0, levels=LEVELS["binary"])
    with pytest.raises(ValueError, match="bits='1,2,2' is not supported"):
        QNNConfig(bits="1,2,2")
    with pytest.raises(ValueError, match="step must be a finite positive number"):
        QNNConfig(step=0)
