"""Bad files and bad data refused at the boundary: crafted .pt2 archives run nothing, data checks say what to fix."""
import contextlib
import io
import json
import pickle
import logging
import re
import zipfile

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from annealq.ptq.user_model import UserModelError, load_data, load_model


class Payload:
    """Unpickling it creates the file ``marker`` (what a malicious payload could do instead)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def exported(folder):
    """A small .pt2 (a linear layer, a tensor constant, dynamic batch) and its calibration data."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.shift = torch.ones(3)

        def forward(self, x):
            return self.fc(x) + self.shift

    torch.manual_seed(0)
    batch = torch.export.Dim("batch")
    path = folder / "net.pt2"
    torch.export.save(torch.export.export(Net(), (torch.rand(2, 4),), dynamic_shapes=({0: batch},)), path)
    np.save(folder / "cal.npy", np.random.default_rng(0).random((8, 4)).astype(np.float32))
    return path


def rewrite(path, out, change, added=None):
    """Copy the archive ``path`` to ``out`` with ``change(name, data) -> data`` applied to each member (``name``
    without the archive's root folder) and the members ``added`` ({name: data}) written too."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        root = src.namelist()[0].split("/")[0]
        for info in src.infolist():
            dst.writestr(info, change(info.filename.split("/", 1)[1], src.read(info.filename)))
        for name, data in (added or {}).items():
            dst.writestr(f"{root}/{name}", data)
    return out


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def in_sample_inputs(path, out, marker):
    return rewrite(path, out, lambda name, data: saved(((Payload(marker),), {}))
                   if name == "data/sample_inputs/model.pt" else data)


def in_a_weight(path, out, marker):
    def change(name, data):
        if name == "data/weights/model_weights_config.json":
            config = json.loads(data)
            for meta in config["config"].values():
                meta["use_pickle"] = True
            return json.dumps(config).encode()
        return saved(Payload(marker)) if name.startswith("data/weights/weight_") else data
    return rewrite(path, out, change)


def in_an_opaque_constant(path, out, marker):
    def change(name, data):
        if name == "data/constants/model_constants_config.json":
            config = json.loads(data)
            config["config"]["hidden"] = {"path_name": "opaque_obj_0", "is_param": False, "use_pickle": True,
                                          "tensor_meta": None}
            return json.dumps(config).encode()
        return data
    return rewrite(path, out, change, {"data/constants/opaque_obj_0": pickle.dumps(Payload(marker))})


def in_a_shape_expression(path, out, marker):
    code = f"open({str(marker)!r}, 'w') and Symbol(".encode()
    return rewrite(path, out, lambda name, data: data.replace(b"Symbol(", code, 1) if name == "models/model.json"
                   else data)


def in_the_torch_27_layout(path, out, marker):
    from torch._export.serde.schema import SCHEMA_VERSION

    with zipfile.ZipFile(path) as src:
        program = src.read(next(n for n in src.namelist() if n.endswith("models/model.json")))
    with zipfile.ZipFile(out, "w") as dst:
        dst.writestr("version", ".".join(map(str, SCHEMA_VERSION)))
        dst.writestr("serialized_exported_program.json", program)
        dst.writestr("serialized_state_dict.pt", saved(Payload(marker)))
        dst.writestr("serialized_constants.pt", saved({}))
        dst.writestr("serialized_example_inputs.pt", saved(((), {})))
    return out


@pytest.mark.parametrize("hide, member", [
    (in_sample_inputs, "data/sample_inputs/model.pt"), (in_a_weight, "data/weights/weight_"),
    (in_an_opaque_constant, "data/constants/opaque_obj_0"), (in_a_shape_expression, "models/model.json"),
    (in_the_torch_27_layout, "'version'")])
def test_a_pt2_member_that_would_run_code_is_refused_and_nothing_runs(tmp_path, hide, member):
    from annealq.cli import main

    marker = tmp_path / "ran"
    evil = hide(exported(tmp_path), tmp_path / "evil.pt2", marker)
    with pytest.raises(UserModelError, match="--trust-pickle") as err:
        load_model(evil)
    assert not marker.exists()  # no code from the file ran
    assert member in str(err.value) and len(str(err.value).splitlines()) == 1
    for extra in ((), ("--dry-run",)):  # --dry-run loads the model the same way
        result = CliRunner().invoke(main, ["quantize", "--model", str(evil), "--calibration", str(tmp_path / "cal.npy"),
                                           "--bits", "2", "--methods", "rtn", "--out", str(tmp_path / "r"), *extra])
        assert result.exit_code == 2 and member in result.output and "--trust-pickle" in result.output
    assert not marker.exists()
    with contextlib.suppress(Exception):  # trusted, torch reads the member (what it then makes of the object varies)
        load_model(evil, trust_pickle=True)
    assert marker.exists()


def test_a_garbage_pt2_is_one_error_line_without_torch_logging(tmp_path, monkeypatch):
    from annealq.cli import main

    logged = []
    call_handlers = logging.Logger.callHandlers
    monkeypatch.setattr(logging.Logger, "callHandlers", lambda self, record: logged.append(record.name) or
                        call_handlers(self, record))
    bad = tmp_path / "bad.pt2"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    np.save(tmp_path / "cal.npy", np.ones((4, 4), dtype=np.float32))
    with pytest.raises(UserModelError, match="not a torch.export program"):
        load_model(bad)
    result = CliRunner().invoke(main, ["quantize", "--model", str(bad), "--calibration", str(tmp_path / "cal.npy"),
                                       "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and [line for line in result.output.splitlines() if "bad.pt2" in line] == \
        [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert not [name for name in logged if name.startswith("torch")]  # torch logged nothing (no traceback)


# -- data files of the user-model path -------------------------------------------------------------------------------

def quantize_cli(tmp_path, *args):
    from annealq.cli import main

    return CliRunner().invoke(main, ["quantize", "--model", str(exported(tmp_path)), *map(str, args), "--bits", "2",
                                     "--methods", "rtn", "--out", str(tmp_path / "run")])


@pytest.mark.parametrize("x, y, words", [
    ([[0.1, np.nan, 0.2, 0.3]] * 8, None, "NaN or inf values"),
    ([[0.1, np.inf, 0.2, 0.3]] * 8, None, "NaN or inf values"),
    ([[0.1, 0.2, 0.3, 0.4]] * 8, [0.5] * 8, "not class indices"),
    ([[0.1, 0.2, 0.3, 0.4]] * 8, [np.nan] + [0] * 7, "NaN or inf labels"),
    ([[0.1, 0.2, 0.3, 0.4]] * 8, [-1] + [0] * 7, "label -1"),
    ([[0.1, 0.2, 0.3, 0.4]] * 8, [7] * 8, "label 7 is outside the class indices 0..2"),  # the model has 3 outputs
])
def test_bad_evaluation_data_is_one_error_line(tmp_path, x, y, words):
    arrays = {"x": np.array(x, dtype=np.float32)} | ({} if y is None else {"y": np.array(y)})
    np.savez(tmp_path / "eval.npz", **arrays)
    result = quantize_cli(tmp_path, "--calibration", tmp_path / "cal.npy", "--eval", tmp_path / "eval.npz")
    assert result.exit_code == 2 and words in result.output and "eval.npz" in result.output, result.output


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".pt"])
@pytest.mark.parametrize("size", [0, 100])  # empty, truncated
def test_an_empty_or_truncated_data_file_is_one_error_line_naming_it(tmp_path, suffix, size):
    whole = tmp_path / f"whole{suffix}"
    x = np.random.default_rng(0).random((8, 4)).astype(np.float32)
    {".npy": lambda: np.save(whole, x), ".npz": lambda: np.savez(whole, x=x),
     ".pt": lambda: torch.save(torch.from_numpy(x), whole)}[suffix]()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[:size])
    with pytest.raises(UserModelError, match=f"data file {cut}.*(empty|damaged|does not load).*write it again"):
        load_data(cut)
    result = quantize_cli(tmp_path, "--calibration", cut)
    assert result.exit_code == 2 and str(cut) in result.output and "Aborted" not in result.output


# -- the head estimator ----------------------------------------------------------------------------------------------

def blobs():
    from sklearn.datasets import make_blobs

    return make_blobs(30, n_features=3, centers=3, random_state=0)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "decision_function"])
def test_the_head_before_fit_raises_sklearns_not_fitted_error(method):
    from sklearn.exceptions import NotFittedError

    from annealq.head.classifier import QUBOHeadClassifier

    X, y = blobs()
    with pytest.raises(NotFittedError, match="call fit"):
        getattr(QUBOHeadClassifier(bits=2), method)(*((X, y) if method == "score" else (X,)))


@pytest.mark.parametrize("where, words", [("label", "y (labels): NaN"), ("predict", "X (features): NaN")])
def test_the_head_refuses_nan_labels_and_nan_features_to_predict(where, words):
    from annealq.head.classifier import QUBOHeadClassifier

    X, y = blobs()
    head = QUBOHeadClassifier(bits=2, solver="exact", max_iter=1)
    if where == "label":  # a NaN label would become a class of its own
        with pytest.raises(ValueError, match=re.escape(words)):
            head.fit(X, np.where(np.arange(len(y)) == 3, np.nan, y))
    else:
        head.fit(X, y)
        X[2, 1] = np.nan
        with pytest.raises(ValueError, match=re.escape(words)):
            head.predict(X)


# -- QNN training ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("part, words", [("x_train", "data.x_train: NaN"), ("x_test", "data.x_test: NaN"),
                                         ("y_train", "data.y_train: label 2 is outside")])
def test_qnn_training_refuses_nan_inputs_and_labels_outside_the_classes(part, words):
    import dataclasses

    from annealq.qnn.config import QNNConfig
    from annealq.qnn.toy import toy_dataset
    from annealq.qnn.training import train

    data = toy_dataset()
    value = getattr(data, part).copy()
    value[1] = np.nan if part.startswith("x") else data.num_classes
    with pytest.raises(ValueError, match=words):
        train(dataclasses.replace(data, **{part: value}),
              QNNConfig(hidden=2, batch=4, iterations=1, inner=1, pool=0, route="steepest"))


# -- pruning ---------------------------------------------------------------------------------------------------------

def mlp(dtype=torch.float32):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(dtype)


def prune_config(**kwargs):
    import annealq
    from annealq.prune import PruneConfig

    return PruneConfig(sparsity=0.5, solver=annealq.SolverConfig(route="exact"), **kwargs)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_half_precision_model_prunes_in_its_own_dtype(dtype):
    from annealq.prune import prune

    model = mlp(dtype)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    result = prune(model, (x, y), prune_config(finetune_epochs=1))
    assert {p.dtype for p in result.model.parameters()} == {p.dtype for p in result.exported.parameters()} == {dtype}
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the user's model untouched
    assert all(p.isfinite().all() for p in result.model.parameters())  # the fine-tuning steps ran at float32
    assert int(result.masks["0"].sum()) == 4 and result.exported[0].out_features == 4
    xs = x.to(dtype)
    assert torch.allclose(result.model(xs).float(), result.exported(xs).float(), atol=1e-2)


@pytest.mark.parametrize("x, y, words", [
    (torch.full((32, 4), float("nan")), torch.randint(0, 3, (32,)), "data: NaN or inf values"),
    (torch.randn(32, 5), torch.randint(0, 3, (32,)), "does not run on data inputs of shape \\(32, 5\\)"),
    (torch.randn(32, 4), torch.randint(0, 3, (32,)) + 3, "label [3-5] is outside the class indices 0..2"),
    (torch.randn(32, 4), torch.randint(0, 3, (32, 2)), "data labels: shape \\(32, 2\\)"),
    (torch.randn(32, 4), torch.full((32,), float("nan")), "data targets: NaN"),
    (torch.randn(32, 4), torch.randn(32, 2), "data targets: \\(2,\\) per sample, the model outputs \\(3,\\)"),
])
def test_bad_pruning_data_is_one_clear_line(x, y, words):
    from annealq.prune import prune

    with pytest.raises(ValueError, match=words) as err:
        prune(mlp(), (x, y), prune_config())
    assert "symmetric" not in str(err.value)


def test_a_function_passed_as_the_model_is_a_type_error():
    from annealq.prune import prune

    with pytest.raises(TypeError, match="model must be a torch nn.Module, got function"):
        prune(lambda x: x, (torch.randn(8, 4), torch.randint(0, 3, (8,))), prune_config())


# -- quantization ----------------------------------------------------------------------------------------------------

def test_a_model_whose_layers_are_never_called_is_refused():
    import annealq

    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return 2 * x

    with pytest.raises(ValueError, match="calls none of its layers fc: nothing would be quantized"):
        annealq.quantize(Unused(), torch.rand(8, 3), annealq.QuantConfig(bits=2, route="exact"))
