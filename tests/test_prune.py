"""Pruning as a QUBO: formulation, exact-k paths, scores, masks/export, refinement, workflow, resume."""
import itertools

import dimod
import numpy as np
import pytest
import torch
from torch import nn

from annealq.formulations.pruning import (k_hot_bqm, k_hot_cqm, objective, pruning_qubo, repair_to_k,
                                          with_multiplier)
from annealq.prune import PruneConfig, prune
from annealq.prune import graph as graph_module
from annealq.prune.capacity import keep_exactly
from annealq.prune.graph import export, masked, prunable_layers
from annealq.prune.refine import refine
from annealq.prune.scores import unit_scores
from annealq.records import Journal
from annealq.samplers import SolverConfig
from annealq.samplers.router import register_route, unregister_route
from reports import report_rows


def instance(n, seed, ties=False):
    rng = np.random.default_rng(seed)
    s = np.full(n, 1.0) if ties else rng.random(n) * 2
    a = rng.normal(size=(n, 5))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    sim = a @ a.T
    np.fill_diagonal(sim, 0)
    return s, (np.zeros((n, n)) if ties else sim), (0.0 if ties else rng.random())


def brute_force(s, sim, w, k):
    n = s.size
    best = min(itertools.combinations(range(n), k), key=lambda c: objective(s, sim, w, np.isin(np.arange(n), c)))
    return objective(s, sim, w, np.isin(np.arange(n), best))


def test_qubo_energy_equals_objective_on_random_states():
    rng = np.random.default_rng(0)
    s, sim, w = instance(9, 1)
    batch = with_multiplier(pruning_qubo(s, sim, w), s, 0.7)
    states = rng.integers(0, 2, (50, 9))
    want = [objective(s, sim, w, x, multiplier=0.7) for x in states]
    assert np.allclose(batch.energies(states[None])[0], want, rtol=0, atol=1e-12)
    assert np.allclose(batch.bqm(0).energies(states), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed,ties", [(0, False), (1, False), (2, True)])
def test_capacity_search_keeps_exactly_k_at_every_k(seed, ties):
    n = 7
    s, sim, w = instance(n, seed, ties)
    batch = pruning_qubo(s, sim, w)
    for k in range(n + 1):
        result = keep_exactly(batch, s, k, SolverConfig(route="exact"))
        assert int(result.state.sum()) == k
        assert result.energy == pytest.approx(objective(s, sim, w, result.state))


def best_of_k(batch, k) -> float:
    """The brute-force optimum of a one-row pruning QUBO over the states keeping exactly k units."""
    m = batch.num_variables
    states = np.array([[int(c) for c in np.binary_repr(i, m)] for i in range(2 ** m)])
    states = states[states.sum(1) == k]
    return float(batch.energies(states[None])[0].min())


def test_capacity_search_on_an_annealer_route_reaches_the_k_optimum():
    s, sim, w = instance(12, 3)
    batch = pruning_qubo(s, sim, w)
    for k in (1, 5, 11):
        result = keep_exactly(batch, s, k, SolverConfig(route="sa", num_reads=4))
        assert int(result.state.sum()) == k and result.energy == pytest.approx(best_of_k(batch, k))


@pytest.mark.parametrize("seed", range(6))
def test_three_exact_k_paths_agree_with_brute_force(seed):
    n, k = 6, 3
    s, sim, w = instance(n, 10 + seed)
    w *= 3  # a redundancy strong enough to matter
    batch = pruning_qubo(s, sim, w)
    best = brute_force(s, sim, w, k)
    capacity = keep_exactly(batch, s, k, SolverConfig(route="exact"), path="capacity")
    cqm = keep_exactly(batch, s, k, SolverConfig(), path="cqm", sampler=dimod.ExactCQMSolver())
    penalty = keep_exactly(batch, s, k, SolverConfig(route="exact"), path="penalty")
    for result in (capacity, cqm, penalty):
        assert int(result.state.sum()) == k
        assert result.energy == pytest.approx(best, abs=1e-9)
    assert penalty.history[0]["penalty_rule"] == "bound"
    assert cqm.history[0]["feasible"]


def test_k_hot_models_hold_the_constraint():
    s, sim, w = instance(5, 4)
    batch = pruning_qubo(s, sim, w)
    cqm = k_hot_cqm(batch, 2)
    assert cqm.feasibility(0, {i: int(i < 2) for i in range(5)})[0]
    assert not cqm.feasibility(0, {i: 1 for i in range(5)})[0]
    bqm, multiplier, rule = k_hot_bqm(batch, 2)
    ground = dimod.ExactSolver().sample(bqm).first.sample
    assert sum(ground[i] for i in range(5)) == 2 and rule == "bound" and multiplier > 1


def test_repair_flips_the_fewest_units_and_rejects_a_bad_k():
    s, sim, w = instance(8, 5)
    batch = pruning_qubo(s, sim, w)
    x = np.array([1, 1, 1, 1, 1, 0, 0, 0])
    for k in range(9):
        fixed = repair_to_k(batch, x, k)
        assert fixed.sum() == k and np.sum(fixed != x) == abs(5 - k)
    with pytest.raises(ValueError, match="k must be an integer from 0 to 8"):
        repair_to_k(batch, x, 9)


def test_capacity_search_on_a_mock_qpu_route(small_profile):
    s, sim, w = instance(8, 6)
    batch = pruning_qubo(s, sim, w)
    result = keep_exactly(batch, s, 3, SolverConfig(route=f"mock-qpu:{small_profile}", num_reads=5), steps=4)
    assert int(result.state.sum()) == 3 and result.energy == pytest.approx(best_of_k(batch, 3))
    assert result.history and all(h["kept"] >= 0 for h in result.history)


# -- torch side ------------------------------------------------------------------------------

def conv_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 8, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4, 10), nn.ReLU(), nn.Linear(10, 3))


def conv_data(n=40):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 1, 4, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def trained_bn(model, x):
    model.train()
    with torch.no_grad():
        model(x)  # BatchNorm running statistics that are not trivial
    return model.eval()


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 5, 3)
        self.head = nn.Linear(5 * 4, 2)

    def forward(self, x):
        h = torch.relu(self.a(x))
        h = torch.relu(self.b(h)) + h
        return self.head(torch.relu(self.c(h)).flatten(1))


@pytest.mark.parametrize("with_torch_pruning", [True, False])
def test_exported_model_equals_masked_model(with_torch_pruning, monkeypatch):
    if not with_torch_pruning:
        monkeypatch.setattr(graph_module, "torch_pruning", lambda: None)
    elif graph_module.torch_pruning() is None:
        pytest.skip("torch-pruning is not installed")
    x, _ = conv_data()
    model = trained_bn(conv_net(), x)
    layers, left = prunable_layers(model, x)
    assert [l.name for l in layers] == ["0", "3", "7"] and left[0][0] == "9"
    assert isinstance(layers[0].mask_point, nn.BatchNorm2d)
    rng = np.random.default_rng(0)
    masks = {l.name: rng.permutation(np.arange(l.units) < l.units // 2 + 1) for l in layers}
    small = export(model, layers, masks, x)
    with masked(model, layers, masks):
        want = model(x)
    assert small[0].out_channels == 4 and small[1].num_features == 4 and small[3].in_channels == 4
    assert small[7].in_features == 5 * 4 and small[9].in_features == 6
    assert torch.allclose(small(x), want, atol=1e-5)


def test_residual_ties_are_one_group_and_plain_walk_refuses_other_graphs(monkeypatch):
    if graph_module.torch_pruning() is None:
        pytest.skip("torch-pruning is not installed")
    model, x = Residual(), torch.randn(3, 1, 4, 4)
    layers, left = prunable_layers(model, x)
    assert [(l.name, l.names) for l in layers] == [("a", ["a", "b"]), ("c", ["c"])]
    assert left == [("head", "the model's output layer")]
    monkeypatch.setattr(graph_module, "torch_pruning", lambda: None)
    with pytest.raises(ValueError, match="install torch-pruning"):
        prunable_layers(model, x)


def test_taylor_and_fisher_scores_match_autograd():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    layers, _ = prunable_layers(model, x)
    scores = unit_scores(model, layers, x, y)["0"]
    a = model[0](x)
    g, = torch.autograd.grad(nn.functional.cross_entropy(model[2](model[1](a)), y), a)
    prod = (a * g).detach().double()
    assert np.allclose(scores.taylor, prod.sum(0).abs().numpy())
    assert np.allclose(scores.fisher, (prod ** 2).mean(0).numpy())
    assert np.allclose(scores.l1, model[0].weight.abs().sum(1).detach().numpy())


@pytest.mark.parametrize("method", ["swap", "tt"])
def test_refinement_is_never_worse_than_its_start_and_keeps_counts(method):
    if method == "tt":
        pytest.importorskip("ttopt")
    rng = np.random.default_rng(3)
    value = {"a": rng.normal(size=8), "b": rng.normal(size=6)}
    evaluate = lambda m: float(sum(value[n][m[n]].sum() for n in m))  # noqa: E731
    start = {"a": np.arange(8) < 4, "b": np.arange(6) >= 3}
    result = refine(start, evaluate, budget=25, method=method, priority=value, seed=1)
    assert result.value >= result.start_value == evaluate(start)
    assert result.value == evaluate(result.masks) and result.evaluations <= 25
    assert {n: int(m.sum()) for n, m in result.masks.items()} == {"a": 4, "b": 3}


@pytest.mark.parametrize("method", ["qubo", "qubo-refined", "taylor-greedy", "l1", "l1-qubo", "taylor-topk", "random"])
def test_every_method_prunes_to_the_same_counts(method):
    x, y = conv_data()
    model = trained_bn(conv_net(), x)
    config = PruneConfig(sparsity=0.4, method=method, refine_budget=6, solver=SolverConfig(num_reads=4),
                         finetune_epochs=1 if method == "l1" else 0)
    evaluate = lambda m: float((m(x).argmax(1) == y).float().mean())  # noqa: E731
    result = prune(model, (x, y), config, evaluate=evaluate)
    assert {n: int(m.sum()) for n, m in result.masks.items()} == {"0": 4, "3": 5, "7": 6}
    assert torch.allclose(result.model(x), result.exported(x), atol=1e-5)
    if method == "qubo-refined":
        assert result.refinement.value >= result.refinement.start_value


def test_prune_sends_k_hot_cqms_to_a_cqm_sampler():
    x, y = conv_data()
    result = prune(conv_net(), (x, y), PruneConfig(sparsity=0.5, exact_k="cqm"), sampler=dimod.ExactCQMSolver())
    assert {n: int(m.sum()) for n, m in result.masks.items()} == {"0": 3, "3": 4, "7": 5}
    assert all(f["path"] == "cqm" and f["repaired_flips"] == 0 for f in result.layers.values())


def test_an_interrupted_run_resumes_from_its_records_and_equals_an_uninterrupted_one(tmp_path, request):
    calls, fail_at = [], []

    class Counting(dimod.Sampler):
        parameters = {"num_reads": [], "seed": []}
        properties = {}

        def sample(self, bqm, **kw):
            if fail_at and len(calls) == fail_at[0]:
                raise KeyboardInterrupt
            calls.append(1)
            from dwave.samplers import SimulatedAnnealingSampler
            return SimulatedAnnealingSampler().sample(bqm, **kw)

    register_route("counting-test", lambda arg: Counting())
    request.addfinalizer(lambda: unregister_route("counting-test"))
    x, y = conv_data()
    model = trained_bn(conv_net(), x)
    config = PruneConfig(sparsity=0.3, rounds=2, solver=SolverConfig(route="counting-test", num_reads=3))
    with Journal(tmp_path / "whole") as journal:
        whole = prune(model, (x, y), config, journal=journal)
    total = len(calls)
    calls.clear()
    fail_at.append(total // 2)
    with Journal(tmp_path / "cut") as journal, pytest.raises(KeyboardInterrupt):
        prune(model, (x, y), config, journal=journal)
    fail_at.clear()
    with Journal(tmp_path / "cut") as journal:
        resumed = prune(model, (x, y), config, journal=journal)
        steps = {r["step"] for r in journal.records(workflow="prune")}
    assert total > 2 and len(calls) == total  # half before the cut, only the other half after it
    assert all(np.array_equal(whole.masks[n], resumed.masks[n]) for n in whole.masks)
    assert any(s.startswith("3/round-2/capacity-") for s in steps)
    assert {n: int(m.sum()) for n, m in resumed.masks.items()} == {"0": 4, "3": 6, "7": 7}


def test_bad_input_gets_a_clear_error():
    x, y = conv_data()
    for bad in (1.0, -0.1, float("nan"), True):
        with pytest.raises(ValueError, match="sparsity must be a fraction in"):
            PruneConfig(sparsity=bad)
    with pytest.raises(ValueError, match="criterion 'gradnorm' does not exist"):
        PruneConfig(importance={"gradnorm": 1.0})
    with pytest.raises(ValueError, match="nothing to prune"):
        prune(nn.Sequential(nn.Flatten(), nn.Linear(16, 3)), (x, y), PruneConfig())
    with pytest.raises(ValueError, match="nothing to prune"):
        prune(nn.Sequential(nn.Flatten()), (x, y), PruneConfig())
    with pytest.raises(ValueError, match="data is empty"):
        prune(conv_net(), (x[:0], y[:0]), PruneConfig())
    with pytest.raises(ValueError, match="pass evaluate="):
        prune(conv_net(), (x, y), PruneConfig(method="qubo-refined"))


def test_cli_writes_the_table_report_and_plot(tmp_path):

    from click.testing import CliRunner

    from annealq.cli import main

    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["prune", "--task", "digits", "--methods", "l1,random", "--sparsities", "0.5",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = report_rows(out)
    assert [r["method"] for r in rows] == ["l1", "random"]
    assert {"method", "sparsity", "task", "metric", "value", "kept", "seconds"} <= set(rows[0])
    assert (out / "metric_vs_sparsity.png").stat().st_size > 0 and "random" in result.output
    bad = CliRunner().invoke(main, ["prune", "--methods", "magnitude"])
    assert bad.exit_code == 2 and "method='magnitude' is not supported" in bad.output


def test_a_global_budget_keeps_the_summed_count_and_a_unit_per_layer():
    x, y = conv_data()
    model = trained_bn(conv_net(), x)
    result = prune(model, (x, y), PruneConfig(sparsity=0.4, scope="global", solver=SolverConfig(num_reads=4)))
    kept = {n: int(m.sum()) for n, m in result.masks.items()}
    assert sum(kept.values()) == 4 + 5 + 6 and min(kept.values()) >= 1
    assert torch.allclose(result.model(x), result.exported(x), atol=1e-5)


def test_an_emptied_layer_gets_its_best_unit_back_for_the_least_important_spare():
    from annealq.prune.methods import _at_least_one_each

    state = np.array([1, 1, 1, 0, 0], dtype=bool)
    fixed = _at_least_one_each(state, [3, 2], np.array([3.0, 2.0, 1.0, 5.0, 4.0]))
    assert fixed.astype(int).tolist() == [1, 1, 0, 1, 0]
