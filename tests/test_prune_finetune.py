"""Fine-tuned rows: one selection with and without fine-tuning, masks held; the default pair term; the study report."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from annealq.prune import PruneConfig, prune
from annealq.prune.pipeline import finetuned
from annealq.prune.study import FINETUNED, benchmark, refined_arg, refined_variant, selector_rows, variants
from annealq.prune.tasks import Task, accuracy
from annealq.samplers import SolverConfig

FAST = SolverConfig(route="sa", num_reads=4, seed=0)


def data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    return x, (x[:, :3].sum(1) > x[:, 3:].sum(1)).long() + (x[:, 0] > 1).long()


def mlp(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 10), nn.ReLU(), nn.Linear(10, 3))
    x, y = data(seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval()


def toy_task(seed=0):
    x, y = data(seed=seed)
    xv, yv = data(64, seed=seed + 10)
    xt, yt = data(64, seed=seed + 20)
    return Task("toy", "accuracy", mlp(seed), (x, y), lambda m: accuracy(m, xv, yv), lambda m: accuracy(m, xt, yt))


def zeroed_units(model, x):
    """Per hidden Linear: the units whose output is zero on every sample."""
    outs = {}
    hooks = [model[i].register_forward_hook(lambda mod, a, out, i=i: outs.__setitem__(i, out)) for i in (0, 2)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return {str(i): (outs[i].abs().amax(0) == 0).numpy() for i in (0, 2)}


@pytest.mark.parametrize("method", ["fisher-qubo", "fisher-greedy", "fisher-qubo-refined", "random"])
def test_finetuned_is_the_pipeline_fine_tuned_from_the_same_selection(method):
    task = toy_task()
    x, y = task.calibration
    config = PruneConfig(sparsity=0.4, method=method, refine_budget=8, solver=FAST)
    once = prune(task.model, (x, y), config, evaluate=task.validate)
    piped = prune(task.model, (x, y), PruneConfig(**{**config.to_dict(), "finetune_epochs": 3, "solver": FAST}),
                  evaluate=task.validate)
    tuned = finetuned(once, (x, y), 3)
    assert all(np.array_equal(once.masks[n], piped.masks[n]) for n in once.masks)
    assert torch.allclose(tuned(x), piped.model(x), atol=1e-6)
    assert not torch.allclose(tuned(x), once.model(x), atol=1e-3)  # it did train
    dropped = {n: ~m for n, m in once.masks.items()}
    assert all(np.array_equal(zeroed_units(tuned, x)[n] & dropped[n], dropped[n]) for n in dropped)
    assert all(np.array_equal(piped.masks[n], once.masks[n]) for n in once.masks)  # the result itself untouched


def test_finetuned_with_no_epochs_is_a_copy_and_bad_epochs_are_refused():
    task = toy_task()
    once = prune(task.model, task.calibration, PruneConfig(sparsity=0.4, method="fisher-topk", solver=FAST))
    copy_ = finetuned(once, task.calibration, 0)
    assert copy_ is not once.model and torch.equal(copy_(task.calibration[0]), once.model(task.calibration[0]))
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        finetuned(once, task.calibration, -1)


def test_selector_rows_fine_tune_only_the_named_labels_from_the_same_masks():
    chosen = [v for v in variants() if v[0] in ("random", "fisher-topk", "fisher-qubo", "l1-topk")]
    rows = selector_rows(toy_task, [0, 1], [0.4], PruneConfig(solver=FAST), variants_=chosen, finetune_epochs=2,
                         finetune_labels=("random", "fisher-topk", "fisher-qubo"))
    by = {(r["label"], r["seed"], r["finetune_epochs"]): r for r in rows}
    assert len(rows) == 2 * (4 + 3)
    assert not any(key == ("l1-topk", seed, 2) for key in by for seed in (0, 1))
    for label in ("random", "fisher-topk", "fisher-qubo"):
        for seed in (0, 1):
            plain, tuned = by[(label, seed, 0)], by[(label, seed, 2)]
            assert tuned["kept"] == plain["kept"] and tuned["seconds"] == plain["seconds"]  # one selection
            task = toy_task(seed)
            config = PruneConfig(sparsity=0.4, method=label, seed=seed, solver=FAST.__class__(
                **{**FAST.to_dict(), "seed": seed}))
            result = prune(task.model, task.calibration, config)
            assert tuned["value"] == task.test(finetuned(result, task.calibration, 2))
            assert plain["value"] == task.test(result.model)


def test_benchmark_saves_both_settings_margins_and_never_picks_a_refined_row(tmp_path):
    chosen = [v for v in variants() if v[0] in ("random", "fisher-topk", "fisher-greedy", "taylor-greedy",
                                               "fisher-qubo", "fisher-qubo[second-order]")]
    report = benchmark("toy", toy_task, tmp_path, seeds=(0, 1), sparsities=(0.4,), base=PruneConfig(
        quadratic="redundancy", solver=FAST, refine_budget=6), budgets=(), variants_=chosen, finetune_epochs=2,
        refined=refined_variant("swap", 6), budget_sparsity=0.4)
    saved = json.loads((tmp_path / "toy.json").read_text())
    assert {r["finetune_epochs"] for r in saved["rows"]} == {0, 2}
    tuned = {r["label"] for r in saved["rows"] if r["finetune_epochs"] == 2}
    assert tuned == {label for label, _, _ in chosen if label in FINETUNED} | {"fisher-qubo-refined[swap,6]"}
    block = saved["finetuned"]["2"]
    rows2 = [r for r in saved["rows"] if r["finetune_epochs"] == 2 and r["sparsity"] == 0.4]
    mean = lambda label: np.mean([r["value"] for r in rows2 if r["label"] == label])  # noqa: E731
    best = max(mean(b) for b in saved["baselines"])
    assert block["margins"]["fisher-qubo"]["0.4"] == pytest.approx(mean("fisher-qubo") - best)
    for picks in (saved["picked"], block["picked"]):
        assert "refined" not in picks["0.4"]
    assert "fine-tuned 2 epochs" in report["text"] and (tmp_path / "toy.png").exists()


def test_refined_arg_reads_the_option_and_refuses_a_bad_one():
    assert refined_arg("tt, 200") == refined_variant("tt", 200)
    assert refined_arg("") is None
    with pytest.raises(ValueError, match="--refined must be refinement,budget"):
        refined_arg("swap")


def test_the_default_pair_term_follows_the_criterion():
    assert PruneConfig(method="fisher-qubo").pair_term == "second-order"
    assert PruneConfig(method="qubo", importance={"fisher": 1.0}).pair_term == "second-order"
    assert PruneConfig(method="qubo", importance={"fisher": 0.5, "l1": 0.5}).pair_term == "redundancy"
    assert PruneConfig(method="taylor-qubo").pair_term == "redundancy"
    assert PruneConfig(method="l1-qubo").pair_term == "redundancy"
    assert PruneConfig(method="fisher-qubo", quadratic="redundancy").pair_term == "redundancy"
    assert PruneConfig(method="fisher-qubo", scope="joint").scope == "joint"  # the default allows the joint QUBO
    task = toy_task()
    default = prune(task.model, task.calibration, PruneConfig(sparsity=0.4, method="fisher-qubo", solver=FAST))
    explicit = prune(task.model, task.calibration, PruneConfig(sparsity=0.4, method="fisher-qubo",
                                                               quadratic="second-order", solver=FAST))
    assert all(np.array_equal(default.masks[n], explicit.masks[n]) for n in default.masks)
