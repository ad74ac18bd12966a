"""The head at scale: grouped QUBO batches, the no-annealer ablation, the grid rules and the stopping rule."""
import itertools

import numpy as np
import pytest

from annealq.formulations import fixed_point_problem
from annealq.head.baselines import SGDSettings
from annealq.head.classifier import ITERATE_FACTORS, QUBOHeadClassifier, fitted_range
from annealq.formulations.grids import Grid
from annealq.head.study import precision_study
from annealq.head.surrogate import augment, bound_iterate, curvature, loss
from annealq.samplers import SolverConfig, solve
from annealq.samplers.batched import BatchedAnnealer, Grouped, couplings


def _data(n=60, d=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=1.5, size=(classes, d))
    y = np.arange(n) % classes
    return centers[y] + rng.normal(size=(n, d)), y


def _problem(f1=3, bits=3, n=3, seed=0):
    rng = np.random.default_rng(seed)
    return fixed_point_problem(rng.normal(size=(n, f1)), bits=bits, features=rng.normal(size=(30, f1)))


def test_grouped_batch_is_the_dense_batch():
    p = _problem(f1=4, bits=3)
    dense, grouped = p.qubo, p.grouped_qubo
    assert grouped.quadratic.shape == (4, 4) and grouped.num_variables == dense.num_variables == 12
    np.testing.assert_allclose(grouped.quadratic_rows(np.arange(12)), dense.quadratic, atol=1e-12)
    states = np.random.default_rng(1).integers(0, 2, size=(3, 50, 12))
    np.testing.assert_allclose(grouped.energies(states), dense.energies(states), rtol=1e-12, atol=1e-9)
    for r in range(3):
        assert grouped.bqm(r).is_almost_equal(dense.bqm(r), places=9)
    sub = grouped.subset([2, 0])
    np.testing.assert_allclose(sub.energies(states[[2, 0]]), dense.energies(states)[[2, 0]], atol=1e-9)


@pytest.mark.parametrize("warm", [False, True])
def test_batched_annealer_on_a_grouped_batch_reaches_the_optimum(warm):
    p = _problem(f1=3, bits=3, n=4, seed=2)
    states = np.array(list(itertools.product([0, 1], repeat=9)), dtype=np.int8)
    optimum = p.qubo.energies(np.broadcast_to(states, (4, *states.shape))).min(axis=1)
    init = p.encode(np.zeros_like(p.target))[:, None, :] if warm else None
    sets = BatchedAnnealer().sample_batch(p.grouped_qubo, seed=0, initial_states=init, num_reads=4)
    np.testing.assert_allclose([s.first.energy for s in sets], optimum, atol=1e-9)
    dense = BatchedAnnealer().sample_batch(p.qubo, seed=0, initial_states=init, num_reads=4)
    assert [s.first.energy for s in sets] == pytest.approx([s.first.energy for s in dense], abs=1e-9)
    answers = solve(p.grouped_qubo, "exact")
    np.testing.assert_allclose([a.energy for a in answers], optimum, atol=1e-9)


@pytest.mark.parametrize("order", ["runs", "shuffled"])
def test_grouped_couplings_equal_the_dense_matrix(order):
    """The annealer's products on a grouped batch (runs expanded by repeat, any order by gather) equal Q0's."""
    rng = np.random.default_rng(4)
    gram = rng.normal(size=(5, 5))
    gram = gram + gram.T
    groups = np.repeat(np.arange(5), [3, 1, 4, 2, 3])
    if order == "shuffled":
        groups = rng.permutation(groups)
    q0 = gram[np.ix_(groups, groups)]
    np.fill_diagonal(q0, 0.0)
    g = couplings(Grouped(gram, groups), np.float64)
    assert (g.counts is None) == (order == "shuffled")
    x = rng.normal(size=(len(groups), 4))
    np.testing.assert_allclose(g.field(x), 2 * q0 @ x, atol=1e-12)
    np.testing.assert_allclose(g.push(2, 9, x[2:9]), q0[:, 2:9] @ x[2:9], atol=1e-12)
    np.testing.assert_allclose(g.block(2, 9), q0[2:9, 2:9], atol=1e-12)
    k, out = np.array([0, 6, 12, 6]), np.empty((4, len(groups)))
    g.rows(k, out)
    np.testing.assert_allclose(out, q0[k], atol=1e-12)


class Refusing:
    """A sampler that must not be called."""

    parameters: dict = {}

    def sample(self, bqm, **kwargs):
        raise AssertionError("the no-annealer head called a sampler")


def test_no_annealer_takes_the_better_warm_start_and_never_calls_a_sampler():
    X, y = _data(seed=3)
    head = QUBOHeadClassifier(3, solver=Refusing(), annealer=False, max_iter=30).fit(X, y)
    losses = [h["loss"] for h in head.history_]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert head.grid_.contains(np.hstack([head.coef_, head.intercept_[:, None]]))
    assert head.score(X, y) > 0.5


def test_no_annealer_row_shares_the_qubo_rows_grid_and_iterations():
    X, y = _data(n=90, seed=4)
    rows = precision_study(X[:60], y[:60], X[60:], y[60:], bits=[2, 3], solver=SolverConfig(route="exact"),
                           max_iter=4, tol=1e-12, sgd=SGDSettings(epochs=1))
    for k in (2, 3):
        qubo, plain = ([r for r in rows if r["method"] == m and r["bits"] == k][0] for m in ("qubo", "no-annealer"))
        assert plain["grid_step"] == qubo["grid_step"] and plain["grid_offset"] == qubo["grid_offset"]
        assert plain["iterations"] <= qubo["iterations"] <= 4
        assert plain["iterations"] == qubo["iterations"] or plain["stop"] == "stalled"


def test_stopping_rule_stops_on_the_loss_tolerance():
    X, y = _data(seed=5)
    head = QUBOHeadClassifier(2, solver="exact", max_iter=500, tol=1e-2).fit(X, y)
    assert head.n_iter_ < 500 and head.stop_ in ("tol", "stalled")
    last = head.history_[-1]
    before = head.history_[-2]["loss"] if head.n_iter_ > 1 else None
    if head.stop_ == "tol":
        assert last["accepted"] and before - last["loss"] <= 1e-2 * last["loss"]
    else:
        assert not last["accepted"]
    assert all(before - after > 1e-2 * after for before, after in
               zip([h["loss"] for h in head.history_[:-2]], [h["loss"] for h in head.history_[1:-1]]))
    capped = QUBOHeadClassifier(2, solver="exact", max_iter=1, tol=1e-12).fit(X, y)
    assert capped.n_iter_ == 1 and capped.stop_ in ("max_iter", "stalled")


@pytest.mark.parametrize("init", ["zero", "rounded"])
def test_iterate_grid_is_chosen_on_training_loss_and_keeps_the_iterate_encodable(init):
    X, y = _data(n=90, d=4, classes=3, seed=6)
    head = QUBOHeadClassifier(4, solver="steepest", grid_rule="iterate", init=init, max_iter=10).fit(X, y)
    W = np.hstack([head.coef_, head.intercept_[:, None]])
    assert head.grid_.contains(W)
    ints = np.hstack([head.coef_int_, head.intercept_int_[:, None]])
    np.testing.assert_allclose(head.grid_.values(ints), W, rtol=0, atol=1e-12)
    phi = augment(X)
    iterate = bound_iterate(phi, y, 3, curvature(phi, head.l2), head.l2, steps=50, tol=head.tol)
    base = fitted_range(iterate, 4)
    losses = {f: loss(phi, y, Grid.from_range(4, f * base).nearest(iterate), head.l2) for f in ITERATE_FACTORS}
    assert head.range_factor_ == min(losses, key=losses.get)
    np.testing.assert_allclose(head.grid_.step, Grid.from_range(4, head.range_factor_ * base).step)
    if init == "rounded":  # the fit starts no worse than the rounded iterate
        assert head.history_[0]["loss"] <= losses[head.range_factor_] + 1e-12


def test_a_given_grid_of_the_wrong_shape_gets_a_clear_error():
    X, y = _data(seed=7)
    with pytest.raises(ValueError, match="grid_range is a 2-bit grid"):
        QUBOHeadClassifier(3, grid_range=Grid.from_range(2, [1.0, 1.0, 1.0])).fit(X, y)


def test_class_moves_keep_only_the_classes_that_lower_the_loss():
    from annealq.head.classifier import class_moves

    X, y = _data(n=60, d=3, classes=3, seed=8)
    phi = augment(X)
    rng = np.random.default_rng(0)
    W = rng.normal(scale=0.3, size=(3, 4))
    candidate = W.copy()
    candidate[0] += 5.0 * rng.normal(size=4)  # a wild step
    candidate[1] -= 0.5 * (phi.T @ (np.exp(phi @ W.T - np.logaddexp.reduce(phi @ W.T, axis=1)[:, None])
                                    - np.eye(3)[y]))[:, 1] / len(y)  # a small gradient step
    reached, value = class_moves(phi, y, W, candidate, np.array([-2.0, -1.0, 0.0]), 0.01)
    assert value == pytest.approx(loss(phi, y, reached, 0.01), abs=1e-12)
    assert value <= loss(phi, y, W, 0.01)
    np.testing.assert_array_equal(reached[2], W[2])  # zero energy: never moved
    for c in (0, 1):  # each row is the start's or the candidate's
        assert np.array_equal(reached[c], W[c]) or np.array_equal(reached[c], candidate[c])
    assert not np.array_equal(reached[1], W[1])  # the gradient step helps


@pytest.mark.parametrize("kwargs, message", [({"grid_rule": "widest"}, "grid_rule"), ({"init": "float"}, "init"),
                                             ({"adaptive": 1}, "adaptive")])
def test_bad_head_options_get_a_clear_error(kwargs, message):
    X, y = _data(seed=9)
    with pytest.raises(ValueError, match=message):
        QUBOHeadClassifier(2, **kwargs).fit(X, y)
