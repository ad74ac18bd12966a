"""The K-bit head trained by iterated per-class QUBOs (annealq.head)."""
import itertools
import warnings

import dimod
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from dwave.samplers import SimulatedAnnealingSampler

from annealq.cli import main
from annealq.head.classifier import QUBOHeadClassifier
from annealq.head.features import RandomConvFeatures
from annealq.formulations.grids import Grid
from annealq.head.surrogate import augment, class_problems, curvature, gradient, loss
from annealq.records import Journal
from annealq.samplers import SolverConfig
from reports import report_rows


def _data(n=40, d=2, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(classes, d))
    y = np.arange(n) % classes
    return centers[y] + rng.normal(size=(n, d)), y


def test_class_qubo_energy_is_the_surrogate_on_every_grid_point():
    X, y = _data()
    phi = augment(X)
    rng = np.random.default_rng(1)
    bits, l2 = 2, 0.01
    grid = Grid.from_range(bits, [1.0, 0.7, 1.3])
    W = grid.values(rng.integers(0, 2**bits, size=(3, 3)))
    H, g = curvature(phi, l2), gradient(phi, y, W, l2)
    problem = class_problems(W, g, H, bits=bits, step=grid.step, offset=grid.offset)
    states = np.array(list(itertools.product([0, 1], repeat=problem.num_variables)), dtype=np.int8)
    for c in range(3):
        w = problem.decode(states[None], [c])[0]
        d = w - W[c]
        surrogate = d @ g[c] + 0.5 * np.einsum("sj,jk,sk->s", d, H, d)
        energies = problem.qubo.bqm(c).energies((states, range(problem.num_variables)))
        np.testing.assert_allclose(energies, 2 * surrogate, atol=1e-10)
        # the states decode to every point of class c's grid, once each
        own = Grid(bits, grid.step[[c]], grid.offset[[c]])
        ints = own.codes(w)
        np.testing.assert_allclose(own.values(ints), w, atol=1e-12)
        assert {tuple(v) for v in ints} == set(itertools.product(range(2**bits), repeat=3))


def test_separable_curvature_bounds_the_true_hessian():
    rng = np.random.default_rng(2)
    for trial in range(3):
        X, y = _data(n=30, d=3, classes=4, seed=trial)
        phi = augment(X)
        W = rng.normal(scale=2.0, size=(4, 4))
        true = torch.autograd.functional.hessian(
            lambda w: torch.nn.functional.cross_entropy(torch.as_tensor(phi) @ w.T, torch.as_tensor(y)),
            torch.as_tensor(W)).reshape(16, 16).numpy()
        bound = np.kron(np.eye(4), curvature(phi))
        assert np.linalg.eigvalsh(bound - true).min() >= -1e-10


@pytest.mark.parametrize("warm_start, backoff", [(True, ()), (False, ()), (False, (0.5, 0.25))])
def test_training_loss_never_increases_with_an_exact_solver(warm_start, backoff):
    X, y = _data(n=45, d=2, classes=3, seed=5)
    head = QUBOHeadClassifier(2, solver=SolverConfig(route="exact", warm_start=warm_start), max_iter=8, tol=1e-12,
                              backoff=backoff, grid_range=0.5, init="zero")
    head.fit(X, y)
    losses = [loss(augment(X), y, np.zeros((3, 3)) + head.grid_.nearest(np.zeros((3, 3))))]
    losses += [h["loss"] for h in head.history_]
    assert head.n_iter_ >= 3
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    # the exact minimiser of the surrogate is what each iteration took (its energy bounds the new loss)
    for before, h in zip(losses, head.history_):
        if h["accepted"] and h["curvature"] == 1.0:
            assert h["loss"] <= before + h["energy"] / 2 + 1e-12


def test_decoded_weights_lie_on_the_grid():
    X, y = _data(n=60, d=3, classes=3, seed=4)
    head = QUBOHeadClassifier(3, solver="sa", max_iter=4).fit(X, y)
    W = np.hstack([head.coef_, head.intercept_[:, None]])
    ints = np.hstack([head.coef_int_, head.intercept_int_[:, None]])
    assert head.grid_.contains(W)
    assert ints.min() >= 0 and ints.max() <= 2**3 - 1
    np.testing.assert_array_equal(head.offset_[:, None] + head.step_[:, None] * ints, W)
    assert head.predict_proba(X).shape == (60, 3) and head.score(X, y) > 0.8


class FailingSampler(dimod.Sampler):
    """Simulated annealing that fails after ``limit`` calls (an interrupted run)."""

    def __init__(self, limit=None):
        self.limit, self.calls, self.child = limit, 0, SimulatedAnnealingSampler()

    @property
    def parameters(self):
        return self.child.parameters

    @property
    def properties(self):
        return {}

    def sample(self, bqm, **kwargs):
        self.calls += 1
        if self.limit is not None and self.calls > self.limit:
            raise RuntimeError("connection lost")
        return self.child.sample(bqm, num_reads=2, num_sweeps=50, **kwargs)


def test_an_interrupted_fit_resumes_bit_for_bit(tmp_path):
    X, y = _data(n=45, d=2, classes=3, seed=5)
    counting = FailingSampler()
    whole = QUBOHeadClassifier(3, solver=counting, max_iter=4, tol=1e-12).fit(X, y)
    with Journal(tmp_path) as journal:
        with pytest.raises(RuntimeError, match="connection lost"):
            QUBOHeadClassifier(3, solver=FailingSampler(limit=7), max_iter=4, tol=1e-12, journal=journal).fit(X, y)
        sampler = FailingSampler()
        resumed = QUBOHeadClassifier(3, solver=sampler, max_iter=4, tol=1e-12, journal=journal).fit(X, y)
        assert sampler.calls == counting.calls - 7  # no recorded problem solved again
        assert {r["step"] for r in journal.records(workflow="head")} == {f"iter-{t}" for t in range(whole.n_iter_)}
    np.testing.assert_array_equal(resumed.coef_, whole.coef_)
    np.testing.assert_array_equal(resumed.intercept_, whole.intercept_)
    assert [h["loss"] for h in resumed.history_] == [h["loss"] for h in whole.history_]


@pytest.mark.parametrize("kwargs, X, y, message", [
    ({"bits": 0}, np.ones((4, 2)), [0, 1, 0, 1], "bits=0"),
    ({"bits": 64}, np.ones((4, 2)), [0, 1, 0, 1], "bits=64"),
    ({"bits": True}, np.ones((4, 2)), [0, 1, 0, 1], "bits=True"),
    ({}, np.ones((4, 2)), [1, 1, 1, 1], "single class"),
    ({}, np.ones((4, 2)), [0, 1, 0], "one label per sample"),
    ({}, np.array([[0.0, np.nan], [1, 1]]), [0, 1], "NaN"),
    ({}, np.zeros((0, 2)), [], "non-empty"),
    ({"max_iter": 0}, np.ones((4, 2)), [0, 1, 0, 1], "max_iter"),
])
def test_bad_input_gets_a_clear_error(kwargs, X, y, message):
    with pytest.raises(ValueError, match=message):
        QUBOHeadClassifier(**kwargs).fit(X, np.asarray(y))


def test_a_fit_runs_on_the_mock_qpu(tmp_path, small_profile):
    X, y = _data(n=30, d=2, classes=2, seed=6)
    solver = SolverConfig(route=f"mock-qpu:{small_profile}", num_reads=5, num_sweeps=20)
    with warnings.catch_warnings(), Journal(tmp_path) as journal:
        warnings.simplefilter("ignore")
        head = QUBOHeadClassifier(2, solver=solver, max_iter=2, journal=journal).fit(X, y)
        records = journal.records(workflow="head")
    assert head.grid_.contains(np.hstack([head.coef_, head.intercept_[:, None]]))
    assert len(records) >= 2 * head.n_iter_  # 2 classes an iteration, more when the curvature backs off
    assert all(r["physical_qubits"] and r["max_chain_length"] for r in records)


def test_random_conv_features_any_image_and_seeded():
    net = RandomConvFeatures(channels=3, filters=5, pool=2, seed=1)
    images = torch.rand(2, 3, 10, 14)
    assert net(images).shape == (2, 5 * 5 * 7) == (2, net.num_features((10, 14)))
    assert torch.equal(net(images), RandomConvFeatures(3, 5, pool=2, seed=1)(images))
    assert not torch.equal(net(images), RandomConvFeatures(3, 5, pool=2, seed=2)(images))
    assert not any(p.requires_grad for p in net.parameters())


def test_train_head_cli_writes_report_and_plot(tmp_path, small_profile):
    out = tmp_path / "run"
    args = ["train-head", "--bits", "1,3", "--filters", "1", "--pool", "8", "--iterations", "2", "--route",
            "steepest", "--sgd-epochs", "2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = report_rows(out)
    methods = {(r["method"], r["bits"]) for r in rows}
    quantized = ("qubo", "no-annealer", "lbfgs-rtn", "sgd-rtn", "lbfgs-ptq", "lbfgs-rtn-absmax", "sgd-rtn-absmax")
    assert methods == {("lbfgs", None), ("sgd", None)} | {(m, k) for m in quantized for k in (1, 3)}
    for r in rows:
        assert {"method", "bits", "accuracy", "train_loss", "iterations", "variables_per_class", "seconds"} <= set(r)
    assert (out / "accuracy.png").stat().st_size > 0
    assert "lbfgs-ptq" in result.output
    priced = CliRunner().invoke(main, [*args[:-2], "--dry-run", "--profile", small_profile])
    assert priced.exit_code == 0, priced.output
    lines = [line.split() for line in priced.output.splitlines() if line.startswith("bits=")]
    # d = 1 feature + bias, 10 classes: per iteration (and curvature back-off) one problem a class of 2 K variables
    assert {(line[0], int(line[3])) for line in lines} == {("bits=1", 2), ("bits=3", 6)}
    assert all(int(line[2]) % 10 == 0 for line in lines)


def test_train_head_cli_names_missing_dataset_files(tmp_path):
    result = CliRunner().invoke(main, ["train-head", "--dataset", "mnist", "--data-root", str(tmp_path)])
    assert result.exit_code != 0 and "mnist" in result.output.lower()
