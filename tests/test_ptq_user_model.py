"""The user's model from files: torch.export / TorchScript round trips through the CLI, pickles refused, bad input."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from annealq.cli import main
from annealq.ptq import QuantConfig, quantize
from annealq.ptq.user_model import UserModelError, load_data, load_model
from reports import report_rows


class Payload:
    """A Python object: storing it needs a pickle."""


def small_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Unflatten(1, (1, 6, 6)), nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(3, 3, 3, stride=2, groups=3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 4))


@pytest.fixture
def files(tmp_path):
    model = small_cnn()
    torch.export.save(torch.export.export(model, (torch.rand(2, 36),)), tmp_path / "net.pt2")
    torch.jit.save(torch.jit.trace(model, torch.rand(2, 36)), str(tmp_path / "net.ts"))
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(40, 36, generator=g), torch.randint(0, 4, (40,), generator=g)
    np.savez(tmp_path / "cal.npz", x=x.numpy(), y=y.numpy())
    torch.save({"x": x[:20], "y": y[:20]}, tmp_path / "eval.pt")
    np.save(tmp_path / "unlabelled.npy", x.numpy())
    return tmp_path, model, x


def run(*args):
    return CliRunner().invoke(main, ["quantize", *map(str, args)], catch_exceptions=False)


@pytest.mark.parametrize("name", ["net.pt2", "net.ts"])
def test_model_file_round_trips_through_the_cli(files, name):
    folder, model, x = files
    out = folder / f"run-{name}"
    result = run("--model", folder / name, "--calibration", folder / "cal.npz", "--eval", folder / "eval.pt",
                 "--bits", "2", "--methods", "rtn,qubo", "--route", "steepest", "--out", out)
    assert result.exit_code == 0, result.output
    rows = report_rows(out)
    assert [(r["method"], r["bits"]) for r in rows] == [("float", 32), ("rtn", 2), ("qubo", 2)]
    assert (out / "ptq.png").exists() and (out / "journal.sqlite").exists()
    # the saved file is the same format and computes what the pipeline's quantized model computes
    reference = quantize(model, x, QuantConfig(bits=2, route="steepest")).model
    saved = load_model(rows[-1]["model"], example=x)
    assert saved.format == load_model(folder / name, example=x).format
    assert torch.allclose(saved.module(x), reference(x), atol=1e-5)
    ints = torch.load(rows[-1]["export"], weights_only=True)
    conv = ints[next(iter(ints))]
    assert conv["weight_int"].dtype == torch.int8 and conv["weight_int"].ndim == 4
    assert rows[2]["recon_error"] <= rows[1]["recon_error"] and rows[2]["accuracy"] == rows[2]["accuracy"]
    if name.endswith(".pt2"):
        again = run("--model", folder / name, "--calibration", folder / "cal.npz", "--eval", folder / "eval.pt",
                    "--bits", "2", "--methods", "qubo", "--route", "steepest", "--out", out)
        qubo = next(r for r in report_rows(out) if r["method"] == "qubo")
        assert "resuming" in again.output and qubo["recon_error"] == pytest.approx(rows[2]["recon_error"])


def test_dry_run_prices_every_layer_on_each_profile_and_submits_nothing(files, monkeypatch):
    import dwave.system

    def refuse(*args, **kwargs):
        raise AssertionError("a dry run contacted Leap")

    monkeypatch.setattr(dwave.system.DWaveSampler, "__init__", refuse)
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    folder, _, _ = files
    out = folder / "priced"
    result = run("--model", folder / "net.pt2", "--calibration", folder / "cal.npz", "--route", "qpu", "--dry-run",
                 "--bits", "4,1", "--profile", "Advantage2_system1,Advantage_system4.1", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.output.count("est. QPU s") == 2 and "Advantage2_system1" in result.output  # a table a profile
    assert "bits=4" in result.output and "bits=1" in result.output and "refit" in result.output
    assert "nothing sent" in result.output and not out.exists()


def test_without_labels_the_output_error_is_reported(files):
    folder, _, _ = files
    result = run("--model", folder / "net.pt2", "--calibration", folder / "unlabelled.npy", "--bits", "3",
                 "--methods", "gptq", "--out", folder / "run")
    assert result.exit_code == 0, result.output
    rows = report_rows(folder / "run")
    assert rows[1]["accuracy"] is None and rows[1]["output_error"] > 0  # JSON has no NaN: null
    assert not (folder / "run" / "ptq.png").exists()


def test_pickles_are_refused_unless_trusted(files):
    folder, model, x = files
    torch.save({"x": x, "y": Payload()}, folder / "pickled.pt")
    np.save(folder / "objects.npy", np.array([Payload()], dtype=object), allow_pickle=True)
    torch.save(model, folder / "whole.pt")
    for path in ("pickled.pt", "objects.npy"):
        with pytest.raises(UserModelError, match="pickled Python objects.*--trust-pickle"):
            load_data(folder / path)
    with pytest.raises(UserModelError, match="--trust-pickle"):
        load_model(folder / "whole.pt")
    result = run("--model", folder / "whole.pt", "--calibration", folder / "cal.npz", "--out", folder / "r")
    assert result.exit_code == 2 and "--trust-pickle" in result.output
    assert load_model(folder / "whole.pt", trust_pickle=True).format == "pickle"
    with pytest.raises(UserModelError, match="not a numeric array"):  # past the pickle gate when trusted
        load_data(folder / "objects.npy", trust_pickle=True)


@pytest.mark.parametrize("case, match", [
    ("bad_model", "not a torch.export program"), ("shape", "does not run on the calibration data"),
    ("labels", "3 labels for 40 inputs"), ("missing", "does not exist"), ("alone", "go together"),
])
def test_bad_input_gets_a_clear_error(files, case, match):
    folder, _, x = files
    (folder / "broken.pt2").write_bytes(b"not a zip")
    np.savez(folder / "wide.npz", x=np.random.rand(5, 37))
    np.savez(folder / "labels.npz", x=x.numpy(), y=np.arange(3))
    args = {"bad_model": ("--model", folder / "broken.pt2", "--calibration", folder / "cal.npz"),
            "shape": ("--model", folder / "net.pt2", "--calibration", folder / "wide.npz"),
            "labels": ("--model", folder / "net.pt2", "--calibration", folder / "labels.npz"),
            "missing": ("--model", folder / "nothing.pt2", "--calibration", folder / "cal.npz"),
            "alone": ("--model", folder / "net.pt2")}[case]
    result = run(*args, "--methods", "rtn", "--bits", "4", "--out", folder / "r")
    assert result.exit_code == 2 and match in result.output, result.output
