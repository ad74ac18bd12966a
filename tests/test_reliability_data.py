"""Bad files and bad data refused at the boundary: crafted .pt2 archives run nothing, data checks say what to fix."""
import io
import json
import pickle
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


def rewrite(path, out, change):
    """Copy the archive ``path`` to ``out``; ``change(name, data) -> data`` per member (name without the root
    folder), and ``change(name, None)`` adds a member when it returns bytes."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        root = src.namelist()[0].split("/")[0]
        seen = set()
        for info in src.infolist():
            name = info.filename.split("/", 1)[1]
            seen.add(name)
            dst.writestr(info, change(name, src.read(info.filename)))
        for name in ("data/constants/opaque_obj_0",):
            if name not in seen and (data := change(name, None)) is not None:
                dst.writestr(f"{root}/{name}", data)
    return out


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def in_sample_inputs(marker):
    return lambda name, data: saved(((Payload(marker),), {})) if name == "data/sample_inputs/model.pt" else data


def in_a_weight(marker):
    def change(name, data):
        if name == "data/weights/model_weights_config.json":
            config = json.loads(data)
            for meta in config["config"].values():
                meta["use_pickle"] = True
            return json.dumps(config).encode()
        return saved(Payload(marker)) if name.startswith("data/weights/weight_") else data
    return change


def in_an_opaque_constant(marker):
    def change(name, data):
        if name == "data/constants/model_constants_config.json":
            config = json.loads(data)
            config["config"]["hidden"] = {"path_name": "opaque_obj_0", "is_param": False, "use_pickle": True,
                                          "tensor_meta": None}
            return json.dumps(config).encode()
        if name == "data/constants/opaque_obj_0":
            return pickle.dumps(Payload(marker))
        return data
    return change


def in_a_shape_expression(marker):
    code = f"open({str(marker)!r}, 'w') and Symbol"

    def change(name, data):
        if name == "models/model.json":
            return data.replace(b"Symbol(", code.encode() + b"(", 1)
        return data
    return change


@pytest.mark.parametrize("hide, member", [
    (in_sample_inputs, "data/sample_inputs/model.pt"), (in_a_weight, "data/weights/weight_"),
    (in_an_opaque_constant, "data/constants/opaque_obj_0"), (in_a_shape_expression, "models/model.json")])
def test_a_pt2_member_that_would_run_code_is_refused_and_nothing_runs(tmp_path, capfd, hide, member):
    from annealq.cli import main

    marker = tmp_path / "ran"
    evil = rewrite(exported(tmp_path), tmp_path / "evil.pt2", hide(marker))
    with pytest.raises(UserModelError, match="--trust-pickle") as err:
        load_model(evil)
    assert not marker.exists()  # no code from the file ran
    assert member in str(err.value) and len(str(err.value).splitlines()) == 1
    for extra in ((), ("--dry-run",)):  # --dry-run loads the model the same way
        result = CliRunner().invoke(main, ["quantize", "--model", str(evil), "--calibration", str(tmp_path / "cal.npy"),
                                           "--bits", "2", "--methods", "rtn", "--out", str(tmp_path / "r"), *extra])
        assert result.exit_code == 2 and member in result.output and "--trust-pickle" in result.output
    assert not marker.exists()
    assert "Traceback" not in capfd.readouterr().err  # torch logged nothing


def test_a_clean_pt2_loads_and_a_trusted_one_runs_its_pickles(tmp_path):
    path = exported(tmp_path)
    assert [name for name, _ in load_model(path).layers()] == ["fc"]
    marker = tmp_path / "ran"
    evil = rewrite(path, tmp_path / "evil.pt2", in_sample_inputs(marker))
    load_model(evil, trust_pickle=True)  # the user's own file: pickles allowed
    assert marker.exists()


def test_a_garbage_pt2_is_one_error_line_without_torch_logging(tmp_path, capfd):
    bad = tmp_path / "bad.pt2"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UserModelError, match="not a torch.export program"):
        load_model(bad)
    assert capfd.readouterr().err == ""
