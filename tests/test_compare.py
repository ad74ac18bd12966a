"""QPU against SA, offline: the report reproduces the records, and a real-QPU record compares the same way."""
import functools
import json
import uuid
import warnings
from concurrent.futures import Future
from unittest import mock

import dimod
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from test_records import files_contain

import annealq
from annealq.cli import main
from annealq.data import Dataset
from annealq.nn.models import accuracy
from annealq.profiles import load_profile
from annealq.records import Journal
from annealq.samplers import qpu as qpu_module
from annealq.studies.compare import (Budget, RunRecordsError, compare_run, format_report, route_seconds,
                                     save_report)
from annealq.studies.plots import plot_compare

pytestmark = pytest.mark.filterwarnings("ignore::annealq.samplers.errors.PrecisionWarning")

SECRET = "annealq-dummy-token-5c3a90"


def toy():
    """A 6-4-2 MLP and a two-class dataset for it."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    rng = np.random.default_rng(0)
    x = rng.random((96, 6), dtype=np.float32)
    with torch.no_grad():
        y = model(torch.as_tensor(x)).argmax(1).numpy().astype(np.int64)
    return model, Dataset("toy", x[:64], y[:64], x[64:], y[64:], num_classes=2, image_shape=(6,))


def record(run_dir, route, profile=None):
    """A recorded run of the toy model through ``route``; the config and the quantization result."""
    model, data = toy()
    config = annealq.QuantConfig(bits=2, route=route, num_reads=8, num_sweeps=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = annealq.quantize(model, data.x_train, config, journal=Journal(run_dir))
    return model, data, config, result


def refuse_qpu_routes(monkeypatch):
    """From now on every QPU route fails if it is built: compare must only read records."""
    def refuse(*args, **kwargs):
        raise AssertionError("compare built a QPU route")

    monkeypatch.setattr(qpu_module, "mock_qpu", refuse)
    monkeypatch.setattr(qpu_module, "leap_qpu", refuse)


def check_against_records(report, store, sa_reads):
    rows = {(r["step"], r["row"]): r for r in store.records()}
    assert len(report.neurons) == len(rows)
    for n in report.neurons:
        rec = rows[n["layer"], n["neuron"]]
        answer = store.sampleset(rec)
        assert n["qpu_energy"] == pytest.approx(rec["route_energy"], rel=1e-9, abs=1e-12)
        assert n["polished_energy"] == rec["energy"] and n["problem_hash"] == rec["problem_hash"]
        assert n["best_known"] <= min(n["qpu_energy"], n["sa_energy"], n["sa_x10_energy"], rec["energy"])
        for key in ("chain_strength", "chain_break_fraction", "max_chain_length", "physical_qubits", "qpu_calls"):
            assert n[key] == rec[key]
        assert n["neurons_per_call"] == rec["rows_per_call"]
        assert n["qpu_reads"] == answer.record.num_occurrences.sum() == json.loads(rec["parameters"])["num_reads"]
        assert n["qpu_seconds"] == pytest.approx(json.loads(rec["timing"])["qpu_access_time"] * 1e-6
                                                 / (rec["rows_per_call"] or 1))
        hits = answer.record.energy <= n["best_known"] * (1 + 1e-6) + 1e-9
        assert n["qpu_success"] == pytest.approx(answer.record.num_occurrences[hits].sum() / n["qpu_reads"])
        assert (n["sa_reads"], n["sa_x10_reads"]) == (sa_reads, 10 * sa_reads)
    for layer in {r["layer"] for r in report.neurons}:
        summary = next(r for r in report.layers if r["layer"] == layer and r["solver"] == "qpu")
        recorded = [r["route_energy"] for r in rows.values() if r["step"] == layer]
        assert summary["energy"] == pytest.approx(sum(recorded)) and summary["neurons"] == len(recorded)


def test_compare_reproduces_a_mock_qpu_record(tmp_path, small_profile, monkeypatch):
    run = tmp_path / "run"
    model, data, config, result = record(run, f"mock-qpu-packed:{small_profile}")
    store = Journal(run, read_only=True)
    refuse_qpu_routes(monkeypatch)
    report = compare_run(run, model=model, data=data)
    check_against_records(report, store, config.num_reads)
    assert [r["solver"] for r in report.overall] == ["qpu", "sa", "sa_x10"]
    qpu = report.overall[0]
    assert qpu["accuracy"] == accuracy(result.model, data.x_test, data.y_test)  # the run's own model, rebuilt
    assert qpu["recon_error"] == pytest.approx(result.recon_error)
    assert report.configs[0]["accuracy_note"] is None and report.configs[0]["float_accuracy"] == 1.0
    assert report.chains and report.chains[0]["neurons"] == 4

    paths = save_report(report, tmp_path / "out")
    saved = json.loads(paths["json"].read_text())
    assert saved["neurons"][0]["qpu_energy"] == report.neurons[0]["qpu_energy"]
    assert len(paths["neurons"].read_text().splitlines()) == 1 + len(report.neurons)
    assert plot_compare(report, tmp_path / "out" / "compare.png").stat().st_size > 0
    assert "sa_x10" in format_report(report)


def test_a_record_through_dwave_sampler_compares_the_same_way(tmp_path, small_profile, monkeypatch):
    """The ``qpu`` route on the real DWaveSampler code path, its cloud client mocked (as dwave-system's
    own tests do): the solver is the profile's offline StructuredSolver, answering by simulated annealing."""
    from dwave.samplers import SimulatedAnnealingSampler

    profile = load_profile(small_profile)
    solver = profile.structured_solver()
    sent = []

    def sample_bqm(bqm, num_reads=1, **parameters):
        sent.append(parameters)
        answer = SimulatedAnnealingSampler().sample(bqm, num_reads=num_reads, num_sweeps=200, seed=len(sent))
        timing = {"qpu_access_time": profile.estimate_qpu_access_time(bqm.num_variables, num_reads=num_reads),
                  "qpu_programming_time": 15000.0}
        future = Future()
        future.sampleset = dimod.SampleSet.from_samples_bqm((answer.record.sample, answer.variables), bqm,
                                                            info={"timing": timing, "problem_id": str(uuid.uuid4())})
        return future

    monkeypatch.setattr(solver, "sample_bqm", sample_bqm)
    monkeypatch.setenv("DWAVE_API_TOKEN", SECRET)
    qpu_module.leap_qpu.cache_clear()
    try:
        with mock.patch("dwave.system.samplers.dwave_sampler.Client") as client:
            client.from_config.return_value.get_solvers.return_value = [solver]
            model, data, config, result = record(tmp_path / "run", "qpu")
    finally:
        qpu_module.leap_qpu.cache_clear()
    assert sent and all(p["auto_scale"] is False for p in sent)
    store = Journal(tmp_path / "run", read_only=True)
    assert {r["solved_by"] for r in store.records()} == {"qpu"} and len(store.records()) == 6

    config_file = tmp_path / "dwave.conf"  # the copy is compared where no token is configured
    config_file.write_text("")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config_file))
    monkeypatch.delenv("DWAVE_API_TOKEN")
    refuse_qpu_routes(monkeypatch)
    report = compare_run(tmp_path / "run", model=model, data=data)
    check_against_records(report, store, config.num_reads)
    assert report.configs[0]["route"] == "qpu"
    assert report.overall[0]["accuracy"] == accuracy(result.model, data.x_test, data.y_test)
    save_report(report, tmp_path / "run" / "compare")
    assert files_contain(tmp_path, SECRET.encode()) == []


def test_records_of_another_model_are_named(tmp_path, small_profile):
    run = tmp_path / "run"
    model, data, _, _ = record(run, f"mock-qpu:{small_profile}")
    with torch.no_grad():
        model[0].weight.mul_(1.5)
    report = compare_run(run, model=model, data=data, budgets=[Budget()])
    assert report.overall[0]["accuracy"] is None and report.overall[1]["accuracy"] is not None
    assert "do not match the problems rebuilt from the model and data" in report.configs[0]["accuracy_note"]


def test_recorded_time_is_shared_by_the_neurons_of_a_call():
    row = {"solved_by": "qpu-packed", "rows_per_call": 4, "timing": json.dumps({"qpu_access_time": 8000.0})}
    assert route_seconds(row) == pytest.approx(0.002)
    hybrid = {"solved_by": "hybrid", "rows_per_call": None,
              "timing": json.dumps({"run_time": 3e6, "qpu_access_time": 40000.0})}
    assert route_seconds(hybrid) == pytest.approx(3.0)


def test_compare_command(tmp_path, monkeypatch):
    """A run folder as ``annealq quantize`` leaves it: records and run.json naming the model and data."""
    from annealq.data import load_dataset
    from annealq.nn import models

    monkeypatch.setenv("ANNEALQ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "pretrained_mlp", functools.partial(models.pretrained_mlp, epochs=3))  # quick
    run = tmp_path / "run"
    data = load_dataset("digits")
    model = models.pretrained_mlp(data, (64, 3, 10))
    config = annealq.QuantConfig(bits=4, route="mock-qpu:Advantage_system4.1", num_reads=4, num_sweeps=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        annealq.quantize(model, data.x_train[:64], config, journal=Journal(run))
    (run / "run.json").write_text(json.dumps({"workflow": "ptq", "settings": {
        "model": "reference-mlp", "dataset": "digits", "data_root": None, "seed": 0, "calibration_size": 64,
        "model_sizes": [64, 3, 10]}}))
    result = CliRunner().invoke(main, ["compare", str(run), "--reads-factor", "3"])
    assert result.exit_code == 0, result.output
    assert "sa_x3" in result.output and "float accuracy" in result.output
    saved = json.loads((run / "compare" / "compare.json").read_text())
    assert [r["solver"] for r in saved["overall"]] == ["qpu", "sa", "sa_x3"]
    assert all(r["accuracy"] is not None for r in saved["overall"]), saved["configs"]
    assert (run / "compare" / "compare.png").stat().st_size > 0 and (run / "compare" / "layers.csv").is_file()


def test_compare_names_what_is_missing(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "holds no run journal" in result.output
    assert not (tmp_path / "nothing").exists()
    model, data = toy()
    annealq.quantize(model, data.x_train, annealq.QuantConfig(bits=2, route="sa", num_reads=2, num_sweeps=50),
                     journal=Journal(tmp_path / "local"))
    with pytest.raises(RunRecordsError, match=r"only local-route records \(sa\)"):
        compare_run(tmp_path / "local")
