"""Which units of a torch model can be pruned, masks for evaluation, and the physically smaller export.

A prunable layer is a ``Conv1d``/``Conv2d``/``Linear`` whose output channels (neurons) can be
removed: the last layer run (the model's output) is left alone, and so is a layer run more than
once.  Layers whose output channels are tied by a residual add are one prunable unit set: their
channel ``c`` is kept or removed together (one mask, scored over all of them).  The ties come
from ``torch-pruning``'s dependency graph when it is installed (``pip install annealq[prune]``):
it traces any model, and it removes channels physically together with every layer they touch
(BatchNorm, the next layers' inputs, a flatten into a ``Linear``, a concatenation's slice),
which a hand-written walk would have to re-derive for each graph shape.  Without it, plain
``nn.Sequential`` conv/linear stacks are handled here.

A mask zeroes a unit's output where it leaves its layer (after a BatchNorm that takes the
layer's output unchanged), and at every other per-channel module of its group (a BatchNorm
after an activation or after the residual add), so with activations that map 0 to 0 (ReLU,
tanh, GELU) the masked model computes exactly what the exported smaller one does.  In-place
activations are seen through: a BatchNorm fed by a tensor an in-place ReLU has changed is not
"right after" the layer.

Example:
    >>> import torch
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 9, 3))
    >>> x = torch.randn(5, 1, 3, 3)
    >>> layers, left = prunable_layers(model, x)
    >>> [(l.name, l.units) for l in layers], [name for name, _ in left]
    ([('0', 4)], ['3'])
    >>> masks = {"0": np.array([1, 0, 1, 1], dtype=bool)}
    >>> small = export(model, layers, masks, x)
    >>> small[0].out_channels, small[3].in_features
    (3, 27)
    >>> with masked(model, layers, masks):
    ...     same = torch.allclose(model(x), small(x), atol=1e-6)
    >>> same
    True
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from annealq.nn.modules import float_dtype

UNIT_TYPES = (nn.Conv1d, nn.Conv2d, nn.Linear)
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d)


@dataclass
class PrunableLayer:
    """One layer (or several tied by a residual add) whose output units may be removed.

    Attributes:
        name: the (first run) module's name in the model; the key of its mask.
        module: the Conv/Linear module.
        mask_point: where a mask zeroes its outputs (the module, or the BatchNorm right after it).
        units: number of output channels / neurons.
        tied: ``((name, module, mask_point), ...)`` of the other layers whose output channels are
            these units (residual adds): scored with this one, masked and removed together.
        extra_points: other per-channel modules of the group (a BatchNorm after an activation or
            after the add), masked but not scored.
    """

    name: str
    module: nn.Module
    mask_point: nn.Module
    units: int
    tied: tuple = ()
    extra_points: tuple = ()

    @property
    def score_points(self) -> list[nn.Module]:
        """Where the scores are read: this layer's mask point and its tied layers'."""
        return [self.mask_point] + [point for _, _, point in self.tied]

    @property
    def modules(self) -> list[nn.Module]:
        return [self.module] + [module for _, module, _ in self.tied]

    @property
    def names(self) -> list[str]:
        return [self.name] + [name for name, _, _ in self.tied]


def torch_pruning():
    """The ``torch_pruning`` module, or None when it is not installed."""
    try:
        import torch_pruning
    except ImportError:
        return None
    return torch_pruning


def _trace(model: nn.Module, example: torch.Tensor) -> list[tuple]:
    """Leaf modules in the order they run: ``(name, module, input, output, input version, output version)``
    (references, no copies; a tensor's version counter moves when an in-place op changes it)."""
    names = {m: n for n, m in model.named_modules()}
    order = []

    def record(mod, args, out):
        arg = args[0] if args else None
        order.append((names[mod], mod, arg, out, getattr(arg, "_version", None), getattr(out, "_version", None)))

    hooks = [m.register_forward_hook(record) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model.eval()
            model(example[:2])
    finally:
        for h in hooks:
            h.remove()
    return order


def _unit_count(module: nn.Module) -> int:
    return module.out_channels if isinstance(module, (nn.Conv1d, nn.Conv2d)) else module.out_features


def _out_pruner(tp, module):
    return tp.prune_linear_out_channels if isinstance(module, nn.Linear) else tp.prune_conv_out_channels


def _group(tp, graph, module, names: dict) -> tuple[list[nn.Module], list[nn.Module], bool]:
    """``(unit layers, other modules of the model)`` whose output channels the graph ties to ``module``'s,
    and whether every tie maps channel ``c`` to channel ``c``."""
    n = _unit_count(module)
    group = graph.get_pruning_group(module, _out_pruner(tp, module), idxs=list(range(n)))
    units, others, aligned = [], [], True
    for dep, idxs in group:
        target = dep.target.module
        if target not in names or "out_channels" not in getattr(dep.handler, "__name__", ""):
            continue
        aligned &= [int(i) for i in idxs] == list(range(n))
        (units if isinstance(target, UNIT_TYPES) else others).append(target)
    return units, others, aligned


def _is_chain(model: nn.Module) -> bool:
    if not isinstance(model, nn.Sequential):
        return False
    return all(_is_chain(m) if isinstance(m, nn.Sequential) else not list(m.children()) for m in model)


def prunable_layers(model: nn.Module, example) -> tuple[list[PrunableLayer], list[tuple[str, str]]]:
    """``(prunable layers in run order, [(name, why left alone)])`` (see module docstring)."""
    example = torch.as_tensor(example, dtype=float_dtype(model))
    order = _trace(model, example)
    runs = [(n, m) for n, m, *_ in order if isinstance(m, UNIT_TYPES)]
    if not runs:
        raise ValueError(f"{type(model).__name__} has nothing to prune: annealq prunes the output channels of "
                         f"Conv1d/Conv2d layers and the neurons of Linear layers")
    counts = {}
    for n, *_ in runs:
        counts[n] = counts.get(n, 0) + 1
    tp = torch_pruning()
    graph = None
    if tp is not None:
        graph = tp.DependencyGraph().build_dependency(model, example_inputs=example[:2])
    elif not _is_chain(model):
        raise ValueError(f"{type(model).__name__} is not a plain nn.Sequential: install torch-pruning "
                         f"(pip install 'annealq[prune]') to find which channels can be removed")
    names = {m: n for n, m in model.named_modules()}
    last = runs[-1][0]
    layers, left, seen = [], [(last, "the model's output layer")], {last}

    def point(module):  # a BatchNorm fed by this layer's output, unchanged since, carries the mask
        out, version = next((o, v) for _, m, _, o, _, v in order if m is module)
        return next((m for _, m, i, _, iv, _ in order if isinstance(m, NORM_TYPES) and i is out and iv == version),
                    module)

    for name, module in runs[:-1]:
        if name in seen:
            continue
        units, others, aligned = _group(tp, graph, module, names) if graph is not None else ([module], [], True)
        unit_names = [names[m] for m in units]
        seen.update(unit_names)
        shared = [n for n in unit_names if counts.get(n, 0) > 1]
        if shared:
            left += [(n, "run more than once (shared weights)") for n in unit_names]
            continue
        if last in unit_names:
            left += [(n, "its channels are tied to the model's output layer") for n in unit_names if n != last]
            continue
        if not aligned or any(_unit_count(m) != _unit_count(module) for m in units):
            left += [(n, "its channels are tied to another layer's with an index shift") for n in unit_names]
            continue
        points = {m: point(m) for m in units}
        if graph is None:
            extra = ()
        else:
            used = set(points.values())
            extra = tuple(m for m in others if m not in used)
        tied = tuple((names[m], m, points[m]) for m in units if m is not module)
        layers.append(PrunableLayer(name, module, points[module], _unit_count(module), tied, extra))
    return layers, left


def _mask_hook(mask: torch.Tensor):
    def hook(module, args, out):
        shape = (1, -1) + (1,) * (out.ndim - 2)
        return out * mask.to(out.dtype).reshape(shape)
    return hook


def add_masks(model: nn.Module, layers: list[PrunableLayer], masks: dict) -> list:
    """Zero the units whose mask is False, for good (forward hooks); returns the hooks' handles."""
    handles = []
    for layer in layers:
        if layer.name in masks:
            mask = torch.as_tensor(np.asarray(masks[layer.name], dtype=bool))
            for point in layer.score_points + list(layer.extra_points):
                handles.append(point.register_forward_hook(_mask_hook(mask)))
    return handles


@contextmanager
def masked(model: nn.Module, layers: list[PrunableLayer], masks: dict):
    """Run ``model`` with the units whose mask is False zeroed (hooks removed on exit)."""
    handles = []
    try:
        handles = add_masks(model, layers, masks)
        yield model
    finally:
        for h in handles:
            h.remove()


def export(model: nn.Module, layers: list[PrunableLayer], masks: dict, example) -> nn.Module:
    """A physically smaller copy of ``model``: the masked-out units and every weight they touch removed."""
    example = torch.as_tensor(example, dtype=float_dtype(model))
    small = copy.deepcopy(model).eval()
    by_name = dict(small.named_modules())
    drops = {layer.name: np.flatnonzero(~np.asarray(masks[layer.name], dtype=bool)).tolist()
             for layer in layers if layer.name in masks}
    for name, drop in drops.items():
        if len(drop) == next(l.units for l in layers if l.name == name):
            raise ValueError(f"layer {name!r} would lose every unit: keep at least one per layer to export")
    tp = torch_pruning()
    if tp is not None:
        graph = tp.DependencyGraph().build_dependency(small, example_inputs=example[:2])
        for name, drop in drops.items():
            module = by_name[name]
            if drop:
                graph.get_pruning_group(module, _out_pruner(tp, module), idxs=drop).prune()
        return small
    return _export_chain(small, drops, example)


def _export_chain(small: nn.Sequential, drops: dict, example: torch.Tensor) -> nn.Module:
    """Channel removal on a plain Sequential: the layer's rows, its BatchNorm, the next layer's inputs."""
    order = _trace(small, example)
    leaves = [(n, m) for n, m, *_ in order]
    shapes = {n: o.shape for n, m, _, o, *_ in order}
    for pos, (name, module) in enumerate(leaves):
        if not drops.get(name):
            continue
        keep = torch.as_tensor(np.setdiff1d(np.arange(_unit_count(module)), drops[name]))
        _take(module, keep, out=True)
        for later, follower in leaves[pos + 1:]:
            if isinstance(follower, NORM_TYPES):
                _take(follower, keep, out=True)
            elif isinstance(follower, UNIT_TYPES):
                per_channel = follower.in_features // shapes[name][1] if isinstance(follower, nn.Linear) else 1
                cols = (keep[:, None] * per_channel + torch.arange(per_channel)[None]).reshape(-1)
                _take(follower, cols, out=False)
                break
    return small


def _take(module: nn.Module, idx: torch.Tensor, out: bool) -> None:
    """Keep the output (or input) entries ``idx`` of a Conv/Linear/BatchNorm, in place."""
    with torch.no_grad():
        if isinstance(module, NORM_TYPES):
            for attr in ("weight", "bias", "running_mean", "running_var"):
                t = getattr(module, attr)
                if t is not None:
                    t.data = t.data[idx].clone()
            module.num_features = len(idx)
            return
        dim = 0 if out else 1
        module.weight = nn.Parameter(module.weight.data.index_select(dim, idx).clone())
        if out and module.bias is not None:
            module.bias = nn.Parameter(module.bias.data[idx].clone())
        attr = ("out_" if out else "in_") + ("features" if isinstance(module, nn.Linear) else "channels")
        setattr(module, attr, len(idx))
