"""The user's own model and data from files: load, quantize, evaluate, save in the same format.

Models: ``torch.export`` programs (``.pt2``, :func:`torch.export.load`) and TorchScript
(``torch.jit.save``, any other suffix).  Their ``aten.linear`` / ``aten.conv1d`` /
``aten.conv2d`` / ``aten.convolution`` calls become ``nn.Linear`` / ``nn.Conv1d`` /
``nn.Conv2d`` modules of an ``fx.GraphModule`` holding the same weights (TorchScript goes
through torch's TorchScript-to-export converter first), so the PTQ pipeline walks them like
any model; the quantized weights are written back into the loaded program, which is saved in
its own format.  A whole pickled ``nn.Module`` (``torch.save(model)``) loads only with
``trust_pickle=True`` and is saved the same way; so does a ``.pt2`` archive with a member that
loading would run (a pickled weight, constant or sample input, a shape expression that is Python
code, compiled code: :mod:`annealq.ptq.archive` inspects the archive before torch reads it).

Data: ``.npy`` (inputs only), ``.npz`` (arrays ``x`` and optionally ``y``; a single array is
``x``) or ``.pt`` (a tensor, a ``(x, y)`` pair or a dict with ``x`` and ``y``), read with
``allow_pickle=False`` / ``weights_only=True`` unless ``trust_pickle``.  Without labels the
evaluation is the output error against the float model.

Example:
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 3))
    >>> batch = torch.export.Dim("batch")
    >>> torch.export.save(torch.export.export(net, (torch.rand(2, 4),), dynamic_shapes=({0: batch},)),
    ...                   folder / "net.pt2")
    >>> loaded = load_model(folder / "net.pt2")
    >>> loaded.format, [type(m).__name__ for _, m in loaded.layers()]
    ('export', ['Linear'])
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import fx, nn

from annealq.data.checks import check_inputs, check_labels
from annealq.nn.layers import quantizable_layers
from annealq.ptq.archive import UnsafeArchiveError, load_program, quiet_torch
from annealq.ptq.config import QuantConfig
from annealq.ptq.report import sweep

PICKLE_HINT = "pass --trust-pickle (trust_pickle=True) only if you trust the file's origin"
_ATEN = torch.ops.aten


class UserModelError(ValueError):
    """A model or data file that cannot be used as it is (the message says why and what to do)."""


@dataclass
class LoadedModel:
    """A model from a file: ``module`` (an ``nn.Module`` the pipeline walks) and how to save it again."""

    path: Path
    format: str  # "export", "torchscript" or "pickle"
    module: nn.Module
    original: object  # the ExportedProgram, ScriptModule or nn.Module as loaded
    weights: dict  # module name -> (weight name, bias name or None) in ``original``
    trusted: bool = False  # loaded with trust_pickle: the file is read again the same way to save

    def layers(self):
        return quantizable_layers(self.module)

    def save(self, quantized: nn.Module, path) -> Path:
        """``original`` with the weights of ``quantized`` (same structure as ``module``), saved in its format."""
        path = Path(path)
        if self.format == "pickle":
            torch.save(quantized, path)
            return path
        if self.format == "export":
            target = _load_export(self.path, self.trusted)
        else:
            with quiet_torch():
                target = torch.jit.load(str(self.path))
        tensors = target.state_dict if self.format == "export" else dict(target.state_dict(keep_vars=True))
        modules = dict(quantized.named_modules())
        with torch.no_grad():
            for name, (weight, bias) in self.weights.items():
                tensors[weight].data.copy_(modules[name].weight.reshape(tensors[weight].shape))
                if bias is not None:
                    tensors[bias].data.copy_(modules[name].bias)
        if self.format == "export":
            torch.export.save(target, path)
        else:
            torch.jit.save(target, str(path))
        return path


def load_model(path, *, trust_pickle: bool = False, example=None) -> LoadedModel:
    """Load a ``.pt2`` export, a TorchScript file or (trusted) a pickled ``nn.Module``.

    ``example``: a batch of inputs, needed to convert TorchScript (it is traced once).
    """
    path = Path(path)
    if not path.is_file():
        raise UserModelError(f"model file {path} does not exist")
    if path.suffix == ".pt2":
        program = _load_export(path, trust_pickle)
        return _from_program(path, "export", program, program, trust_pickle)
    try:
        with quiet_torch():
            script = torch.jit.load(str(path), map_location="cpu")
    except Exception as jit_error:  # noqa: BLE001
        if not trust_pickle:
            raise UserModelError(f"{path} is neither a torch.export program (.pt2) nor TorchScript "
                                 f"({type(jit_error).__name__}); a pickled nn.Module is not loaded unless "
                                 f"trusted: {PICKLE_HINT}") from jit_error
        try:
            module = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as err:  # noqa: BLE001
            raise UserModelError(f"{path} does not load as a model ({type(err).__name__}: {err})") from err
        if not isinstance(module, nn.Module):
            raise UserModelError(f"{path} holds a {type(module).__name__}, not an nn.Module")
        return LoadedModel(path, "pickle", module.eval(), module, {}, trusted=True)
    if example is None:
        raise UserModelError("a TorchScript model needs example inputs to be converted: pass calibration data")
    try:
        from torch._export.converter import TS2EPConverter

        with quiet_torch():
            program = TS2EPConverter(script, (torch.as_tensor(example[:2]),)).convert()
    except Exception as err:  # noqa: BLE001
        raise UserModelError(f"the TorchScript model {path} could not be converted for quantization "
                             f"({type(err).__name__}: {err}); save it with torch.export instead (.pt2)") from err
    return _from_program(path, "torchscript", program, script, trust_pickle)


def _load_export(path: Path, trust_pickle: bool):
    """The ``torch.export`` program in ``path``, refused with one line when a member would run code."""
    try:
        return load_program(path.read_bytes(), trust_pickle=trust_pickle)
    except UnsafeArchiveError as err:
        raise UserModelError(f"{path}: loading it could run code from its {err}; {PICKLE_HINT}") from None
    except Exception as err:  # noqa: BLE001 (torch raises many kinds for a bad archive)
        raise UserModelError(f"{path} is not a torch.export program ({type(err).__name__}: "
                             f"{str(err).splitlines()[0] if str(err) else ''}); save the model with "
                             f"torch.export.save(torch.export.export(model, args), 'model.pt2')") from err


def _from_program(path: Path, kind: str, program, original, trusted: bool) -> LoadedModel:
    names = {id(t): n for n, t in program.state_dict.items()}
    module, weights = _calls_as_modules(program.module(), names)
    return LoadedModel(path, kind, module.eval(), original, weights, trusted)


def _layer_module(node: fx.Node, weight: torch.Tensor, bias) -> nn.Module | None:
    """The ``nn`` module doing what the aten call ``node`` does, or None for calls left as they are."""
    args = list(node.args) + [None] * 9
    if node.target == _ATEN.linear.default:
        layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    elif node.target in (_ATEN.conv1d.default, _ATEN.conv2d.default, _ATEN.convolution.default):
        if node.target == _ATEN.convolution.default:
            if args[6]:  # transposed
                return None
            stride, padding, dilation, groups = args[3], args[4], args[5], args[8]
        else:
            stride, padding, dilation, groups = (args[3] or 1, args[4] or 0, args[5] or 1, args[6] or 1)
        kind = {3: nn.Conv1d, 4: nn.Conv2d}.get(weight.ndim)
        if kind is None:
            return None
        layer = kind(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]), stride=stride,
                     padding=padding, dilation=dilation, groups=groups, bias=bias is not None)
    else:
        return None
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


def _calls_as_modules(gm: fx.GraphModule, names: dict) -> tuple[fx.GraphModule, dict]:
    """An ordinary ``GraphModule`` whose linear/convolution calls on constant weights are modules.

    Modules are named after the source module (``nn_module_stack``) where the graph records
    it; returns the module and ``{module name: (weight name, bias name or None)}``.
    """
    def attr(node):
        if isinstance(node, fx.Node) and node.op == "get_attr":
            value = gm
            for part in node.target.split("."):
                value = getattr(value, part)
            return value
        return None

    used = [n.args[1].target for n in gm.graph.nodes if n.op == "call_function" and len(n.args) > 1
            and isinstance(n.args[1], fx.Node) and n.args[1].op == "get_attr"]
    layers, weights = {}, {}
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or len(node.args) < 2:
            continue
        weight, bias = attr(node.args[1]), attr(node.args[2]) if len(node.args) > 2 else None
        if weight is None or used.count(node.args[1].target) > 1 or (len(node.args) > 2 and node.args[2] is not None
                                                                    and bias is None):
            continue  # weights computed at run time or shared by several calls stay as they are
        layer = _layer_module(node, weight, bias)
        if layer is None:
            continue
        stack = list((node.meta.get("nn_module_stack") or {}).values())
        source = str(stack[-1][0]) if stack else ""
        plain = source and all(p.isidentifier() or p.isdigit() for p in source.split(".")) and not any(
            k == source or k.startswith(source + ".") or source.startswith(k + ".") for k in layers)
        name = source if plain else f"layer{len(layers)}_{node.name}"
        layers[name] = layer
        try:
            gm.get_submodule(name)
        except AttributeError:
            gm.add_submodule(name, layer)  # fx checks the owner has it; the module returned holds ``layer``
        weights[name] = (names.get(id(weight), node.args[1].target),
                         None if bias is None else names.get(id(bias), node.args[2].target))
        with gm.graph.inserting_before(node):
            call = gm.graph.call_module(name, (node.args[0],))
        node.replace_all_uses_with(call)
        gm.graph.erase_node(node)
    for node in [n for n in gm.graph.nodes if n.op == "call_module" and n.target == "_guards_fn"]:
        gm.graph.erase_node(node)  # shape guards of the export batch: calibration runs in other batch sizes
    gm.graph.eliminate_dead_code()
    root = {}
    for node in gm.graph.nodes:  # only what the graph still uses: the new modules and the other constants
        if node.op == "get_attr":
            root[node.target] = attr(node)
        elif node.op == "call_module":
            root[node.target] = layers.get(node.target) or gm.get_submodule(node.target)
    return fx.GraphModule(root, gm.graph), weights


def load_data(path, *, trust_pickle: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Inputs ``x`` (finite numbers, samples first) and labels ``y`` (class indices, or None) from ``.npy``,
    ``.npz`` or ``.pt``; one :class:`UserModelError` line naming the file and the fix for anything else."""
    path = Path(path)
    if not path.is_file():
        raise UserModelError(f"data file {path} does not exist")
    if path.suffix not in (".npy", ".npz", ".pt"):
        raise UserModelError(f"{path}: data files are .npy, .npz or .pt, got {path.suffix or 'no suffix'!r}")
    if path.stat().st_size == 0:
        raise UserModelError(f"data file {path} is empty (0 bytes): write it again with np.save, np.savez or "
                             f"torch.save")
    try:
        x, y = _read_data(path, trust_pickle)
    except UserModelError:
        raise
    except (pickle.UnpicklingError, ValueError) as err:
        if "pickle" in str(err).lower() or "weights_only" in str(err) or isinstance(err, pickle.UnpicklingError):
            raise UserModelError(f"{path} holds pickled Python objects, which are not loaded by default: "
                                 f"store plain arrays/tensors, or {PICKLE_HINT}") from err
        raise UserModelError(f"data file {path} does not load ({_first_line(err)}): write it again") from err
    except Exception as err:  # noqa: BLE001 (numpy, zipfile and torch raise many kinds for a damaged file)
        raise UserModelError(f"data file {path} is damaged or truncated ({type(err).__name__}: "
                             f"{_first_line(err)}): write it again") from err
    try:
        x = torch.as_tensor(check_inputs(x, f"inputs in data file {path}"))
        if y is not None:
            y = torch.as_tensor(check_labels(y, f"labels in data file {path}", samples=len(x)))
    except ValueError as err:
        raise UserModelError(str(err)) from None
    return x.float(), y


def _read_data(path: Path, trust_pickle: bool) -> tuple:
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=trust_pickle), None
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=trust_pickle) as arrays:
            keys = list(arrays.keys())
            if len(keys) == 1:
                return arrays[keys[0]], None
            if "x" in keys:
                return arrays["x"], arrays["y"] if "y" in keys else None
            raise UserModelError(f"{path} holds arrays {keys}: name the inputs 'x' and the labels 'y'")
    data = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    if isinstance(data, dict) and "x" in data:
        return data["x"], data.get("y")
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return tuple(data)
    return data, None


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def evaluate(model: nn.Module, reference: nn.Module, x: torch.Tensor, y=None) -> dict:
    """``accuracy`` (with labels) and ``output_error`` ``||f_q(x) - f(x)||^2 / ||f(x)||^2`` against ``reference``."""
    with torch.no_grad():
        out, ref = model.eval()(x).double(), reference.eval()(x).double()
    result = {"output_error": float(((out - ref) ** 2).sum() / max(float((ref ** 2).sum()), 1e-300))}
    if y is not None:
        result["accuracy"] = float((out.argmax(-1) == y).double().mean())
    return result


def check_fits(loaded: LoadedModel, x: torch.Tensor, what: str = "calibration", *, labels=None, path=None) -> None:
    """A clear error when the model cannot run on ``x`` or ``labels`` (from the file ``path``) are not class
    indices of its outputs."""
    try:
        with torch.no_grad():
            out = loaded.module(x[:2])
    except Exception as err:  # noqa: BLE001 (whatever the model raises on a wrong shape)
        raise UserModelError(f"the model does not run on the {what} data of shape {tuple(x.shape)} "
                             f"({type(err).__name__}: {_first_line(err)}); give inputs "
                             f"shaped as the model expects (samples first)") from err
    if labels is not None:
        try:
            check_labels(labels, f"labels in data file {path}" if path else f"{what} labels",
                         classes=int(out.shape[-1]))
        except ValueError as err:
            raise UserModelError(f"{err} (the model has {out.shape[-1]} outputs)") from None


def prepare(model_path, calibration_path, eval_path=None, *, trust_pickle: bool = False):
    """``(loaded model, calibration inputs, evaluation inputs, evaluation labels)``, every file checked."""
    x, y = load_data(calibration_path, trust_pickle=trust_pickle)
    loaded = load_model(model_path, trust_pickle=trust_pickle, example=x)
    check_fits(loaded, x, labels=y, path=calibration_path)
    ex, ey = load_data(eval_path, trust_pickle=trust_pickle) if eval_path else (x, y)
    check_fits(loaded, ex, "evaluation", labels=ey, path=eval_path or calibration_path)
    if not loaded.layers():
        raise UserModelError(f"{model_path} has no linear or convolution layer with constant weights to quantize")
    return loaded, x, ex, ey


def quantize_user_model(model_path, calibration_path, eval_path=None, *, out, bits=(8, 4, 3, 2, 1),
                        methods=("rtn", "gptq", "qubo"), config: QuantConfig = QuantConfig(),
                        trust_pickle: bool = False, journal=None, executor=None, progress=None,
                        on_row: Callable[[dict], None] | None = None, prepared=None) -> list[dict]:
    """Quantize a model file with each method and bit-width; save each model and its integer export in ``out``.

    Returns table rows (``method``, ``bits``, ``accuracy`` (with labels, else NaN),
    ``output_error``, ``recon_error``, ``seconds``, ``model``, ``export``).  Without
    ``eval_path`` the calibration data is also the evaluation data; ``prepared`` is what
    :func:`prepare` returned for these files (loaded once, checked before any folder exists).
    """
    loaded, x, ex, ey = prepared or prepare(model_path, calibration_path, eval_path, trust_pickle=trust_pickle)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = loaded.path.suffix or ".pt"

    def save(method, b, result) -> dict:
        stem = out / f"{loaded.path.stem}-{method}-int{b}"
        model_file = loaded.save(result.model, stem.with_suffix(suffix))
        export_file = stem.with_name(stem.name + "-int.pt")
        torch.save(result.export(), export_file)
        return {"model": str(model_file), "export": str(export_file)}

    return sweep(loaded.module, x, lambda m: _row_metrics(evaluate(m, loaded.module, ex, ey)), methods=methods,
                 bits=bits, config=config, on_result=save, on_row=on_row, progress=progress, journal=journal,
                 executor=executor)


def _row_metrics(metrics: dict) -> dict:
    return {"accuracy": metrics.get("accuracy", float("nan")), "output_error": metrics["output_error"]}
