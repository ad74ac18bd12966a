"""Faults and bad input: every expected failure is one ``Error:`` line, and the journal heals.

Runs use the digits MLP at int2 with a tiny budget (``ARGS``), so each takes seconds.
"""
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import annealq
from annealq.cli import main
from annealq.records import Journal
from reports import report_rows

ARGS = ["quantize", "--bits", "2", "--methods", "qubo", "--num-reads", "2", "--num-sweeps", "50",
        "--calibration-size", "32"]


def run(*args, out=None):
    extra = [] if out is None else ["--out", str(out)]
    return CliRunner().invoke(main, [*args, *extra])


def one_error_line(result, *words):
    """The run failed with one ``Error:`` line naming ``words``, and no traceback."""
    assert result.exit_code != 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word.lower() in errors[0].lower(), errors[0]
    return errors[0]


def states(run_dir):
    journal = Journal(run_dir, read_only=True)
    return {(r["step"], r["row"]): r["state"] for r in journal.records()}


def blobs_match_rows(run_dir):
    journal = Journal(run_dir, read_only=True)
    for r in journal.records():
        answer = journal.answer(r)
        assert float(answer.sampleset.first.energy) == pytest.approx(r["route_energy"])
        assert journal.model(r).energy([int(v) for v in json.loads(r["state"])]) == pytest.approx(r["energy"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    result = run(*ARGS, out=out)
    assert result.exit_code == 0, result.output
    return out


def test_a_rerun_with_other_inputs_solves_them_and_keeps_the_earlier_answers(reference, tmp_path):
    out = tmp_path / "run"
    assert run(*ARGS, out=out).exit_code == 0
    first = {r["sampleset_blob"] for r in Journal(out, read_only=True).records()}
    result = run(*[a if a != "32" else "16" for a in ARGS], out=out)  # another calibration set
    assert result.exit_code == 0, result.output
    assert "202 neuron QUBOs solved, 0 reused" in result.output
    journal = Journal(out, read_only=True)
    rows = journal.records(config=journal.records()[-1]["config_key"])
    assert len(rows) == 202 and not first & {r["sampleset_blob"] for r in rows}
    blobs_match_rows(out)
    answers = journal.records(unique=True)
    assert len(answers) == 404  # the first set's answers stay: they answer other problems
    names = {r[c] for r in answers for c in ("sampleset_blob", "model_blob") if r[c]}
    assert {p.name for p in (out / "blobs").iterdir()} == names  # and no blob is left without its answer
    back = run(*ARGS, out=out)  # the first calibration set again: nothing is sent
    assert "0 neuron QUBOs solved, 202 reused" in back.output


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_a_damaged_blob_is_solved_again_and_the_folder_heals(reference, tmp_path, damage):
    out = tmp_path / "run"
    assert run(*ARGS, out=out).exit_code == 0
    record = Journal(out, read_only=True).records()[5]
    path = out / "blobs" / record["sampleset_blob"]
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:30])
    elif damage == "garbage":
        path.write_bytes(gzip.compress(b"{not json"))
    else:
        path.unlink()
    result = run(*ARGS, out=out)
    assert result.exit_code == 0, result.output
    assert "1 neuron QUBOs solved, 201 reused" in result.output
    assert states(out) == states(reference)
    blobs_match_rows(out)


def test_a_busy_run_folder_is_refused_and_nothing_is_lost(reference, tmp_path):
    out = tmp_path / "run"
    assert run(*ARGS, out=out).exit_code == 0
    with Journal(out):  # another process's run holds the folder
        one_error_line(run(*ARGS, out=out), "in use by pid")
    assert states(out) == states(reference)


def test_reports_of_other_settings_in_one_folder_are_kept(tmp_path):
    out = tmp_path / "run"
    assert run(*ARGS, out=out).exit_code == 0
    assert run(*[a if a != "2" else "3" for a in ARGS[:3]], *ARGS[3:], out=out).exit_code == 0
    rows = report_rows(out)
    assert sorted({r["bits"] for r in rows if r["method"] == "qubo"}) == [2, 3]


def test_a_corrupt_journal_is_one_error_line(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "journal.sqlite").write_bytes(b"this is not sqlite" * 64)
    one_error_line(run(*ARGS, out=out), "journal.sqlite", "not a readable run journal")


def test_an_old_run_folder_is_refused_naming_the_version(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    sqlite3.connect(out / "records.sqlite").close()
    one_error_line(run(*ARGS, out=out), "annealq 0.1", "new --out")


def test_an_out_folder_that_cannot_be_made_is_one_error_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_error_line(run(*ARGS, out=blocker / "run"), "--out")


@pytest.mark.parametrize("args, words", [
    (["--calibration-size", "0"], ["calibration-size"]),
    (["--calibration-size", "-5"], ["calibration-size"]),
    (["--calibration-size", "100000"], ["calibration-size", "training samples"]),
    (["--bits", ""], ["--bits"]),
    (["--bits", "9"], ["bits=9"]),
    (["--methods", "brecq"], ["method"]),
    (["--route", "quantum-magic"], ["unknown route"]),
    (["--route", "mock-qpu:NoSuchQPU"], ["NoSuchQPU", "available profiles"]),
    (["--seed", "-1"], ["seed"]),
    (["--solver-seed", "abc"], ["solver-seed"]),
    (["--num-reads", "0"], ["num-reads"]),
    (["--workers", "0"], ["workers"]),
    (["--levels", "3"], ["levels"]),
    (["--scale", "median"], ["scale"]),
    (["--dataset", "mnist", "--data-root", "/nonexistent"], ["mnist"]),
])
def test_bad_quantize_input_is_one_error_line_and_creates_no_folder(tmp_path, args, words):
    out = tmp_path / "run"
    result = run(*ARGS, *args, out=out)
    one_error_line(result, *words)
    assert not out.exists()


def test_no_token_and_unreachable_services_are_one_error_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DWAVE_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    for route in ("qpu", "hybrid"):
        one_error_line(run(*ARGS, "--route", route, out=tmp_path / route), "token")
    monkeypatch.setenv("DWAVE_API_TOKEN", "annealq-dummy-token")
    monkeypatch.setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:9/sapi/v2/")
    line = one_error_line(run(*ARGS, "--route", "qpu", out=tmp_path / "offline"), "could not reach")
    assert "annealq-dummy-token" not in line


def test_a_malformed_profile_is_one_error_line_naming_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"name": "broken", "num_qubits": ')
    one_error_line(run(*ARGS, "--route", f"mock-qpu:{bad}", out=tmp_path / "a"), "broken.json", "not valid JSON")
    from annealq.profiles import profiles_dir

    data = json.loads((profiles_dir() / "Advantage_system4.1.json").read_text())
    data["num_qubits"] = -5
    negative = tmp_path / "negative.json"
    negative.write_text(json.dumps(data))
    one_error_line(run(*ARGS, "--route", f"mock-qpu:{negative}", out=tmp_path / "b"), "negative.json", "num_qubits")


def test_an_unreachable_scheduler_is_one_error_line(tmp_path):
    one_error_line(run(*ARGS, "--scheduler", "tcp://127.0.0.1:9", out=tmp_path / "run"), "scheduler")


@pytest.mark.parametrize("args, words", [
    (["compare", "/nonexistent/run"], ["journal"]),
    (["compare", "RUN", "--reads-factor", "x"], ["reads-factor"]),
    (["study", "embedding", "--graphs", "moon"], ["graphs"]),
    (["study", "embedding", "--profiles", "NoSuchQPU", "--fan-ins", "8", "--bits", "2"], ["NoSuchQPU"]),
    (["study", "embedding", "--pack-limit", "lots"], ["pack-limit"]),
])
def test_bad_input_to_other_commands_is_one_error_line(tmp_path, args, words):
    args = [str(tmp_path) if a == "RUN" else a for a in args]
    one_error_line(run(*args), *words)


def living_in_session(sid: int) -> list[str]:
    """Processes of session ``sid`` that still run (zombies left to an init that does not reap are dead)."""
    table = subprocess.run(["ps", "-eo", "pid=,sid=,stat="], capture_output=True, text=True).stdout
    return [pid for pid, s, stat in (line.split() for line in table.splitlines())
            if int(s) == sid and not stat.startswith("Z")]


def _spawn(out, workers):
    cmd = [sys.executable, "-m", "annealq.cli", *ARGS, "--workers", str(workers), "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_at_several_points_then_resume_equals_an_uninterrupted_run(reference, tmp_path, workers):
    out = tmp_path / "run"
    for _ in range(40):  # kill as soon as some answers are recorded, at a different point each time
        proc = _spawn(out, workers)
        recorded = len(states(out)) if (out / "journal.sqlite").exists() else 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "journal.sqlite").exists() and len(states(out)) >= recorded + 60:
                break
            time.sleep(0.2)
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)
        assert living_in_session(proc.pid) == [], "worker processes outlived their killed parent"
        blobs_match_rows(out)
    result = run(*ARGS, "--workers", str(workers), out=out)
    assert result.exit_code == 0, result.output
    assert states(out) == states(reference)
    blobs_match_rows(out)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_models_of_every_float_dtype_quantize_and_stay_untouched(dtype):
    import torch

    import annealq

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).to(
        getattr(torch, dtype)).train()
    before = [p.detach().clone() for p in model.parameters()]
    result = annealq.quantize(model, torch.rand(64, 6), annealq.QuantConfig(bits=2, route="exact"))
    assert all(p.dtype == getattr(torch, dtype) for p in result.model.parameters())
    assert model.training and all(m.training for m in model.modules())  # the user's mode is kept
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    for layer in result.layers:  # written back on the grid, in the model's dtype
        ints = layer.quantization.integers()
        assert np.abs(ints["weight_int"]).max() <= 2


@pytest.mark.parametrize("calibration, words", [(None, "numbers"), ("abc", "numbers"), ([], "empty")])
def test_bad_calibration_data_is_one_clear_error(calibration, words):
    import torch

    import annealq

    with pytest.raises(ValueError, match=words):
        annealq.quantize(torch.nn.Linear(3, 2), calibration, annealq.QuantConfig(bits=2))


def test_a_run_folder_path_is_a_journal_in_every_verb(tmp_path):
    from annealq.qnn import QNNConfig, toy_dataset
    from annealq.samplers import SolverConfig

    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    x = torch.rand(20, 4, generator=torch.Generator().manual_seed(0))
    solver = SolverConfig(route="steepest")
    annealq.quantize(model, x, annealq.QuantConfig(bits=2, route="steepest"), journal=str(tmp_path / "ptq"))
    annealq.prune(model, (x, torch.arange(20) % 2), annealq.PruneConfig(sparsity=0.5, solver=solver),
                  journal=tmp_path / "prune")
    annealq.qnn.train(toy_dataset(), QNNConfig(hidden=2, batch=4, iterations=1, inner=1, pool=0, solver=solver),
                      journal=str(tmp_path / "qnn"))
    from annealq.head import HeadConfig, fit_head

    fit_head(np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2, HeadConfig(bits=2, solver=solver),
             max_iter=1, journal=str(tmp_path / "head"))
    for name in ("ptq", "prune", "qnn", "head"):
        assert Journal(tmp_path / name, read_only=True).records(workflow=name), name
    with pytest.raises(TypeError, match="journal must be a run folder path or an annealq.records.Journal"):
        annealq.quantize(model, x, annealq.QuantConfig(bits=2), journal=42)


def test_what_a_killed_run_left_is_removed_by_the_next(tmp_path):
    from annealq.harness.folder import RunFolder

    with RunFolder(tmp_path, "demo", {"seed": 0}, ("method",)) as run:
        run.report([{"method": "a"}])
    (tmp_path / "report.json.x1.tmp").write_bytes(b"")  # a half-written report
    (tmp_path / "blobs" / "abc.sampleset.json.gz.tmp").write_bytes(b"")  # a half-written blob
    (tmp_path / "blobs" / "orphan.sampleset.json.gz").write_bytes(b"x")  # written, its row never committed
    with RunFolder(tmp_path, "demo", {"seed": 0}, ("method",)):
        pass
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock") == \
        ["journal.sqlite", "report.json", "run.json"]


def test_reports_are_as_readable_as_any_file_the_user_writes(tmp_path):
    from annealq.report.tables import write_json

    umask = os.umask(0o022)
    try:
        path = write_json(tmp_path / "report.json", {"a": 1})
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("args, words", [
    (["train-head", "--bits", "0"], ["bits=0"]),
    (["train-head", "--iterations", "0"], ["--iterations"]),
    (["train-head", "--route", "mock-qpu:NoSuchQPU"], ["NoSuchQPU"]),
    (["train-head", "--dry-run", "--profile", "NoSuchQPU"], ["NoSuchQPU"]),
    (["prune", "--sparsities", ""], ["--sparsities"]),
    (["prune", "--methods", ""], ["--methods"]),
    (["prune", "--methods", "magnitude"], ["magnitude"]),
    (["train-qnn", "--pieces", "0"], ["--pieces"]),
    (["train-qnn", "--methods", "magic"], ["magic"]),
    (["quantize", "--model", "/nonexistent/net.pt2", "--calibration", "/nonexistent/cal.npz"], ["cal.npz"]),
])
def test_bad_input_to_every_workflow_creates_no_folder(tmp_path, args, words):
    out = tmp_path / "run"
    one_error_line(run(*args, out=out), *words)
    assert not out.exists()


def test_every_workflow_keeps_the_reports_of_other_settings_and_collapses_repeated_values(tmp_path):
    import contextlib
    from unittest import mock

    from annealq.qnn import toy_dataset

    head = ["train-head", "--bits", "1,1", "--filters", "1", "--pool", "8", "--iterations", "1", "--route", "steepest",
            "--sgd-epochs", "1"]
    qnn = ["train-qnn", "--hidden", "2", "--pool", "0", "--iterations", "1", "--batch", "4", "--inner", "1",
           "--methods", "qcgd", "--route", "steepest"]
    for name, args in (("head", head), ("qnn", qnn)):
        for seed in ("0", "1"):
            with mock.patch("annealq.data.load_dataset", return_value=toy_dataset(36)) if name == "qnn" \
                    else contextlib.nullcontext():
                assert run(*args, "--seed", seed, out=tmp_path / name).exit_code == 0
        runs = json.loads((tmp_path / name / "report.json").read_text())["runs"]
        assert [r["settings"]["seed"] for r in runs] == [0, 1], name
        keys = [(r["method"], r["bits"]) for r in runs[0]["rows"]]
        assert len(keys) == len(set(keys)), name  # --bits 1,1 is one row a method


def test_a_refused_run_on_a_busy_folder_changes_nothing_in_it(tmp_path):
    out = tmp_path / "run"
    assert run(*ARGS, out=out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "journal.sqlite"}
    with Journal(out):  # another process's run holds the folder
        one_error_line(run(*ARGS, "--seed", "1", out=out), "in use by pid")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "journal.sqlite"} == before
