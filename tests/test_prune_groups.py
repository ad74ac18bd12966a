"""Pruning selectors, tied-channel groups, BatchNorm, in-place activations, second-order QUBO terms."""
import numpy as np
import pytest
import torch
from torch import nn

from annealq.formulations.pruning import objective
from annealq.prune import PruneConfig, prune
from annealq.prune.graph import prunable_layers
from annealq.prune.methods import PruneContext, _qubo_terms
from annealq.prune.pipeline import keep_counts
from annealq.prune.refine import refine
from annealq.prune.registry import METHODS, SELECTOR_ROWS, method_spec
from annealq.prune.scores import unit_scores
from annealq.samplers import SolverConfig

pytest.importorskip("torch_pruning")
FAST = SolverConfig(num_reads=4)


class Tied(nn.Module):
    """Residual adds (BatchNorm before and after the add, in-place ReLU) and a concatenation."""

    def __init__(self, inplace=True):
        super().__init__()
        torch.manual_seed(0)
        relu = lambda: nn.ReLU(inplace=inplace)  # noqa: E731
        self.stem = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), relu())
        self.body = nn.Sequential(nn.Conv2d(6, 6, 3, padding=1), relu(), nn.Conv2d(6, 6, 3, padding=1),
                                  nn.BatchNorm2d(6))
        self.post = nn.BatchNorm2d(6)
        self.left, self.right = nn.Conv2d(6, 4, 1), nn.Conv2d(6, 5, 1)
        self.mix = nn.Sequential(nn.Conv2d(9, 7, 3, padding=1), relu(), nn.BatchNorm2d(7))
        self.head = nn.Linear(7 * 16, 3)

    def forward(self, x):
        h = self.stem(x)
        h = torch.relu(self.post(h + self.body(h)))
        h = torch.cat([self.left(h), self.right(h)], 1)
        return self.head(self.mix(h).flatten(1))


def data(n=48):
    g = torch.Generator().manual_seed(3)
    return torch.randn(n, 1, 4, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def with_statistics(model, x):
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()


def accuracy(x, y):
    return lambda m: float((m(x).argmax(1) == y).float().mean())


def test_residual_adds_are_groups_and_concatenated_layers_stay_free():
    x, _ = data()
    layers, left = prunable_layers(with_statistics(Tied(), x), x)
    by = {l.name: l for l in layers}
    assert [(l.name, l.names) for l in layers] == [("stem.0", ["stem.0", "body.2"]), ("body.0", ["body.0"]),
                                                    ("left", ["left"]), ("right", ["right"]), ("mix.0", ["mix.0"])]
    assert left == [("head", "the model's output layer")]
    assert [type(p).__name__ for p in by["stem.0"].score_points] == ["BatchNorm2d", "BatchNorm2d"]
    assert [type(p).__name__ for p in by["stem.0"].extra_points] == ["BatchNorm2d"]  # the norm after the add
    # mix.0 -> ReLU(inplace) -> BatchNorm: the norm is not "right after" the conv, it is masked as an extra point
    assert by["mix.0"].mask_point is by["mix.0"].module and len(by["mix.0"].extra_points) == 1


@pytest.mark.parametrize("method", ["fisher-qubo", "taylor-greedy", "l1-topk", "random"])
def test_group_pruning_keeps_shapes_and_the_export_equals_the_masked_model(method):
    x, y = data()
    model = with_statistics(Tied(), x)
    result = prune(model, (x, y), PruneConfig(sparsity=0.5, method=method, solver=FAST))
    kept = {n: int(m.sum()) for n, m in result.masks.items()}
    assert kept == {"stem.0": 3, "body.0": 3, "left": 2, "right": 3, "mix.0": 3}  # n - round(n / 2), half to even
    small = result.exported
    assert small.stem[0].out_channels == small.body[2].out_channels == small.post.num_features == 3
    assert small.body[0].in_channels == 3 and small.mix[0].in_channels == 2 + 3 and small.head.in_features == 3 * 16
    assert torch.allclose(result.model(x), small(x), atol=1e-5)


@pytest.mark.parametrize("exact_k,scope", [("capacity", "layer"), ("penalty", "layer"), ("cqm", "layer"),
                                           ("capacity", "global"), ("capacity", "joint")])
def test_exact_k_holds_on_every_path(exact_k, scope):
    x, y = data()
    model = with_statistics(Tied(), x)
    quadratic = "second-order" if scope == "joint" else "redundancy"
    config = PruneConfig(sparsity=0.36, method="fisher-qubo", exact_k=exact_k, scope=scope, quadratic=quadratic,
                         solver=FAST)
    result = prune(model, (x, y), config)
    kept = {n: int(m.sum()) for n, m in result.masks.items()}
    want = keep_counts(prunable_layers(model, x)[0], 0.36)
    if scope == "global":
        assert sum(kept.values()) == sum(want.values()) and min(kept.values()) >= 1
    else:
        assert kept == want
    assert torch.allclose(result.model(x), result.exported(x), atol=1e-5)


def test_in_place_activations_give_the_scores_and_masks_of_out_of_place_ones():
    x, y = data()
    models = [with_statistics(Tied(inplace=flag), x) for flag in (True, False)]
    scores = [unit_scores(m, prunable_layers(m, x)[0], x, y) for m in models]
    for name in scores[0]:
        a, b = scores[0][name], scores[1][name]
        assert np.allclose(a.activations, b.activations) and np.allclose(a.fisher, b.fisher)
        assert np.allclose(a.similarity(), b.similarity()) and np.allclose(a.taylor, b.taylor)
    config = PruneConfig(sparsity=0.4, method="fisher-qubo", redundancy=0.5, solver=SolverConfig(route="exact"))
    masks = [prune(m, (x, y), config).masks for m in models]
    assert all(np.array_equal(masks[0][n], masks[1][n]) for n in masks[0])
    # the activations really are read before the ReLU: negative values are there
    assert (scores[0]["body.0"].activations < 0).any()


def test_batchnorm_statistics_are_recomputed_under_the_masks_when_asked():
    x, y = data()
    model = with_statistics(Tied(), x)
    before = model.post.running_mean.clone()
    result = prune(model, (x, y), PruneConfig(sparsity=0.5, method="l1-topk", recalibrate_bn=True))
    assert torch.equal(model.post.running_mean, before)  # the user's model is left alone
    seen = {}
    handle = result.model.post.register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    with torch.no_grad():
        result.model(x)
    handle.remove()
    inputs = seen["x"].transpose(0, 1).reshape(6, -1)
    assert torch.allclose(result.model.post.running_mean, inputs.mean(1), atol=1e-5)
    assert torch.allclose(result.model.post.running_var, inputs.var(1, unbiased=True), atol=1e-4)
    assert torch.allclose(result.model(x), result.exported(x), atol=1e-5)


def test_second_order_terms_are_the_expansion_of_the_set_estimate():
    x, y = data()
    model = with_statistics(Tied(), x)
    layers, _ = prunable_layers(model, x)
    config = PruneConfig(quadratic="second-order")
    ctx = PruneContext(model, layers, x, y, keep_counts(layers, 0.5), config)
    scores = ctx.scores["stem.0"]
    alive = np.arange(6)
    for criterion in ("fisher", "taylor"):
        imp, quad = _qubo_terms(scores, alive, criterion, config)
        m = scores.second_order(criterion)
        m = m / np.mean(np.diag(m))
        states = np.random.default_rng(0).integers(0, 2, (20, 6))
        energies = np.array([objective(imp, quad, 1.0, s) for s in states])
        direct = np.array([(1 - s) @ m @ (1 - s) for s in states])
        assert np.allclose(energies - energies[0], direct - direct[0])
    assert np.allclose(np.diag(scores.second_order("fisher")), scores.fisher)
    assert np.allclose(np.sqrt(np.diag(scores.second_order("taylor"))), scores.taylor)


def test_the_joint_qubo_never_raises_its_objective_over_the_per_layer_start():
    x, y = data()
    model = with_statistics(Tied(), x)
    base = PruneConfig(sparsity=0.5, method="fisher-qubo", quadratic="second-order", solver=FAST)
    per_layer = prune(model, (x, y), base)
    joint = prune(model, (x, y), PruneConfig(**{**base.to_dict(), "scope": "joint", "solver": FAST}))
    layers, _ = prunable_layers(model, x)
    scores = unit_scores(model, layers, x, y)
    z = np.concatenate([scores[l.name].contributions for l in layers], 1)
    m = z.T @ z / z.shape[0]
    m /= np.mean(np.diag(m))

    def value(masks):
        keep = np.concatenate([masks[l.name] for l in layers]).astype(float)
        return (1 - keep) @ m @ (1 - keep)

    assert value(joint.masks) <= value(per_layer.masks) + 1e-9
    assert next(iter(joint.layers.values()))["joint_objective"] == pytest.approx(value(joint.masks))


def test_every_registered_method_runs_and_old_names_stay():
    assert {"qubo", "qubo-refined", "taylor-greedy", "l1", "l1-qubo", "taylor-topk", "random"} <= set(METHODS)
    assert method_spec("l1") == method_spec("l1-topk") and len(SELECTOR_ROWS) == 10
    x, y = data()
    model = with_statistics(Tied(), x)
    want = keep_counts(prunable_layers(model, x)[0], 0.3)
    for method in METHODS:
        result = prune(model, (x, y), PruneConfig(sparsity=0.3, method=method, refine_budget=4, solver=FAST),
                       evaluate=accuracy(x, y))
        assert {n: int(m.sum()) for n, m in result.masks.items()} == want, method
        if method_spec(method).refined:
            assert result.refinement.value >= result.refinement.start_value


def test_bad_method_settings_get_a_clear_error():
    with pytest.raises(ValueError, match="method='fisher-magic' is not supported"):
        PruneConfig(method="fisher-magic")
    with pytest.raises(ValueError, match="needs the taylor or fisher criterion"):
        PruneConfig(method="l1-qubo", quadratic="second-order")
    with pytest.raises(ValueError, match="set quadratic='second-order'"):
        PruneConfig(method="taylor-qubo", scope="joint")
    with pytest.raises(ValueError, match="set quadratic='second-order'"):
        PruneConfig(method="fisher-qubo", scope="joint", quadratic="redundancy")


@pytest.mark.parametrize("method", ["swap", "tt"])
def test_refinement_spends_its_budget_and_tt_completes_a_sweep(method):
    pytest.importorskip("ttopt")
    rng = np.random.default_rng(5)
    value = {n: rng.normal(size=12) for n in "abc"}
    evaluate = lambda m: float(sum(value[n][m[n]].sum() for n in m))  # noqa: E731
    start = {n: np.arange(12) < 7 for n in "abc"}
    priority = {n: np.arange(12.0)[::-1] for n in "abc"}
    for budget in (40, 200):
        result = refine(start, evaluate, budget, method=method, priority=priority, seed=0)
        assert result.evaluations == budget and result.value >= result.start_value
        assert {n: int(m.sum()) for n, m in result.masks.items()} == {n: 7 for n in "abc"}
        if method == "tt":
            assert result.sweeps >= 1


def test_the_half_unet_denoiser_prunes_its_additive_skips_as_one_group_and_exports():
    from annealq.prune.tasks import HalfUNet

    torch.manual_seed(1)
    x = torch.rand(6, 1, 10, 12)
    model = with_statistics(HalfUNet(channels=4), x)
    result = prune(model, (x, 0.1 * torch.randn_like(x)), PruneConfig(sparsity=0.5, method="fisher-greedy"))
    assert {"enc1.3", "enc2.3", "enc3.3"} in [set(l.names) for l in prunable_layers(model, x)[0]]
    small = result.exported
    assert small.enc1[3].out_channels == small.enc2[3].out_channels == small.enc3[3].out_channels == 2
    assert torch.allclose(result.model(x), small(x), atol=1e-5)
