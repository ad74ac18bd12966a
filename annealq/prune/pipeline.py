"""``annealq.prune.prune(model, data, PruneConfig(...))``: masks, a masked copy and a physically smaller export.

Example:
    >>> import torch, annealq
    >>> from torch import nn
    >>> from annealq.prune import PruneConfig, prune
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> data = (torch.randn(64, 4), torch.randint(0, 3, (64,)))
    >>> result = prune(model, data, PruneConfig(sparsity=0.5, solver=annealq.SolverConfig(num_reads=4)))
    >>> [int(m.sum()) for m in result.masks.values()], result.exported[0].out_features
    ([4], 4)
    >>> bool(torch.allclose(result.model(data[0]), result.exported(data[0]), atol=1e-6))
    True
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Callable

import torch
from torch import nn

from annealq.nn.modules import in_float32
from annealq.prune.config import PruneConfig
from annealq.prune.graph import NORM_TYPES, add_masks, export, masked, prunable_layers
from annealq.prune.methods import PruneContext, choose, values
from annealq.prune.refine import RefineResult, refine
from annealq.prune.registry import method_spec
from annealq.prune.scores import check_outputs, check_pair, default_loss
from annealq.report.tables import Column
from annealq.samplers.config import check_count
from annealq.workflows import register_workflow, run


@dataclass
class PruneResult:
    """What :func:`prune` returns.

    Attributes:
        model: a copy of the model with the masks applied (forward hooks).
        masks: ``{layer: bool mask}``, True = kept.
        exported: the physically smaller copy (outputs equal to ``model``'s).
        config: the config used.
        layers: ``{layer: {"units", "kept", ...facts of the method}}``.
        left_alone: ``[(layer, why)]`` for Conv/Linear layers not pruned.
        refinement: the refinement's result (the ``-refined`` methods), else None.
        seconds: wall time of choosing the masks (fine-tuning excluded).
    """

    model: nn.Module
    masks: dict
    exported: nn.Module
    config: PruneConfig
    layers: dict
    left_alone: list
    refinement: RefineResult | None = None
    seconds: float = 0.0

    @property
    def kept(self) -> int:
        return int(sum(int(m.sum()) for m in self.masks.values()))

    def figures(self) -> dict:
        """``{"capacity": Figure}``: units kept against the multiplier at each capacity step, per layer."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 3.5))
        ax = fig.add_subplot()
        for name, facts in self.layers.items():
            steps = [h for h in facts.get("history", []) if "multiplier" in h]
            if steps:
                ax.plot([h["multiplier"] for h in steps], [h["kept"] for h in steps], "o-", label=name)
                ax.axhline(facts["kept"], ls=":", lw=0.8)
        ax.set_xlabel("capacity multiplier (price per kept unit)")
        ax.set_ylabel("units kept")
        if ax.lines:
            ax.legend(fontsize=7)
        return {"capacity": fig}


def prune(model: nn.Module, data, config=PruneConfig(), **kwargs):
    """Prune ``model`` (see :func:`prune_model`); another workflow's config is refused."""
    return run("prune", model, data, config, **kwargs)


def _data(data):
    try:
        x, y = data
    except (TypeError, ValueError):
        raise ValueError("data must be an (inputs, targets) pair: inputs (N, ...) and labels or target outputs (N, ...)")
    return check_pair(x, y)


def keep_counts(layers, sparsity: float) -> dict:
    """Units kept per layer: ``n - round(sparsity * n)``, at least one."""
    return {l.name: max(1, l.units - int(round(sparsity * l.units))) for l in layers}


@register_workflow("prune", "annealq.prune", PruneConfig, row_key=("method", "sparsity", "finetune_epochs"), columns=(
    Column("method"), Column("sparsity", kind="percent"), Column("finetune_epochs", "fine-tuning epochs"),
    Column("value", "test metric", kind="fixed"), Column("validation", kind="fixed"),
    Column("seconds", kind="seconds")))
def prune_model(model: nn.Module, data, config: PruneConfig = PruneConfig(), *,
                evaluate: Callable[[nn.Module], float] | None = None, journal=None,
                progress: Callable[[str, int], None] | None = None, sampler=None) -> PruneResult:
    """Prune the output units of ``model``'s Conv/Linear layers (``model`` is left untouched).

    Args:
        model: a torch model (any graph with ``torch-pruning`` installed, else a plain Sequential).
        data: ``(inputs, targets)``: the calibration batch for the scores and the fine-tuning data.
        config: a :class:`PruneConfig`.
        evaluate: ``evaluate(model) -> float``, higher is better, on a held-out split: the true
            metric the ``-refined`` methods search against.
        journal: a :class:`annealq.records.Journal`: every QUBO answer is recorded (workflow
            ``prune``, steps ``<layer>/capacity-<t>``) and a rerun reuses them.
        progress: called as ``progress(stage, 1)`` after each layer solved / unit removed.
        sampler: a dimod sampler instance instead of ``config.solver.route`` (for example
            ``dwave.system.LeapHybridCQMSampler()`` with ``exact_k="cqm"``).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}: annealq prunes the layers of a "
                        f"module (wrap a function's layers in an nn.Module)")
    x, y = _data(data)
    spec = method_spec(config.method)
    if spec.refined and evaluate is None:
        raise ValueError(f"method {config.method!r} refines against the true metric: "
                         f"pass evaluate=callable(model) -> float")
    start = time.perf_counter()
    work = copy.deepcopy(model).eval()
    check_outputs(work, x, y, config.loss)
    layers, left = prunable_layers(work, x)
    if not layers:
        why = "; ".join(f"{name}: {reason}" for name, reason in left)
        raise ValueError(f"{type(model).__name__} has nothing to prune: every Conv/Linear layer is left alone ({why})")
    ctx = PruneContext(work, layers, x, y, keep_counts(layers, config.sparsity), config, journal, progress,
                       sampler)
    masks, facts = choose(ctx, config.method)
    refinement = None
    if spec.refined:
        def metric(trial):
            with masked(work, layers, trial):
                return evaluate(work)
        priority = {l.name: values(ctx.scores[l.name], spec.criterion, config) for l in layers}
        refinement = refine(masks, metric, config.refine_budget, method=config.refine, priority=priority,
                            seed=config.seed)
        masks = refinement.masks
    seconds = time.perf_counter() - start
    if config.recalibrate_bn:
        with masked(work, layers, masks):
            recalibrate_batchnorm(work, x)
    if config.finetune_epochs:
        with masked(work, layers, masks), in_float32(work):  # a float16 model's steps at float32 precision
            finetune(work, x, y, config)
    info = {l.name: {"units": l.units, "kept": int(masks[l.name].sum()), **facts.get(l.name, {})} for l in layers}
    exported = export(work, layers, masks, x)
    add_masks(work, layers, masks)  # for good, on the returned copy
    return PruneResult(work.eval(), masks, exported, config, info, left, refinement, seconds)


def recalibrate_batchnorm(model: nn.Module, x, batch_size: int = 256) -> int:
    """Recompute every BatchNorm's running mean and variance on ``x`` (the model as it runs now, masks
    included), in run order: each norm gets the exact statistics of what reaches it in eval mode, the
    norms before it already recomputed; returns how many were."""
    x = torch.as_tensor(x, dtype=torch.float32)
    norms = [m for m in model.modules() if isinstance(m, NORM_TYPES) and m.track_running_stats]
    order = []
    hooks = [m.register_forward_hook(lambda mod, args, out: order.append(mod)) for m in norms]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x[:2])
    finally:
        for h in hooks:
            h.remove()
    ran = list(dict.fromkeys(order))
    try:
        for norm in ran:
            momentum = norm.momentum
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average: every batch weighs the same
            norm.train()
            with torch.no_grad():
                for batch in x.split(batch_size):
                    model(batch)
            norm.momentum = momentum
            norm.eval()
    finally:
        model.train(was_training)
    return len(ran)


def finetuned(result: PruneResult, data, epochs: int) -> nn.Module:
    """A copy of ``result.model`` (its masks held) fine-tuned for ``epochs`` epochs on ``data`` with
    ``result.config``'s learning rate, loss and seed: the same model as :func:`prune` with
    ``finetune_epochs=epochs``, from the selection already made (rows with and without fine-tuning
    from one solve).

    Example:
        >>> import torch
        >>> from torch import nn
        >>> from annealq.samplers import SolverConfig
        >>> _ = torch.manual_seed(0)
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> data = (torch.randn(64, 4), torch.randint(0, 3, (64,)))
        >>> config = PruneConfig(sparsity=0.5, method="fisher-topk", solver=SolverConfig(num_reads=2))
        >>> result = prune(model, data, config)
        >>> tuned = finetuned(result, data, 2)
        >>> bool(torch.equal(tuned[0].weight[~result.masks["0"]], result.model[0].weight[~result.masks["0"]]))
        True
    """
    check_count("epochs", epochs, minimum=0)
    x, y = _data(data)
    model = copy.deepcopy(result.model)
    if epochs:
        with in_float32(model):
            finetune(model, x, y, replace(result.config, finetune_epochs=epochs))
    return model


def finetune(model: nn.Module, x, y, config: PruneConfig, batch_size: int = 64) -> None:
    """Adam on ``(x, y)`` for ``config.finetune_epochs`` epochs, in place (masks held by their hooks)."""
    loss = config.loss or default_loss(y)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=config.finetune_lr)
    model.train()
    for _ in range(config.finetune_epochs):
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            opt.zero_grad()
            out = model(x[idx])
            target = y[idx]
            value = (nn.functional.cross_entropy(out, target) if loss == "cross_entropy"
                     else nn.functional.mse_loss(out, target.to(out.dtype).reshape(out.shape)))
            value.backward()
            opt.step()
    model.eval()
