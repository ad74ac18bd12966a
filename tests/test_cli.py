"""The console script: quantize writes the table, report.json and the plot."""
import json

from click.testing import CliRunner

from annealq.cli import main
from reports import report_rows


def test_quantize_writes_report_and_plot(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNEALQ_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["quantize", "--bits", "4,2", "--methods", "rtn,qubo", "--num-reads", "2",
                                       "--num-sweeps", "100", "--calibration-size", "64", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = report_rows(out)
    assert {(r["method"], r["bits"]) for r in rows} == {("float", 32), ("rtn", 4), ("rtn", 2), ("qubo", 4), ("qubo", 2)}
    for r in rows:
        assert {"method", "bits", "accuracy", "recon_error", "layer_errors", "seconds"} <= set(r)
        assert 0 <= r["accuracy"] <= 1
    assert (out / "ptq.png").stat().st_size > 0
    assert "qubo" in result.output and "accuracy" in result.output


def test_quantize_rejects_bad_options(tmp_path):
    runner = CliRunner()
    for args, word in [(["--bits", "9"], "bits"), (["--methods", "magic"], "method"), (["--route", "nowhere"], "route"),
                       (["--dataset", "mnist", "--data-root", str(tmp_path)], "mnist")]:
        result = runner.invoke(main, ["quantize", *args, "--out", str(tmp_path / "r")])
        assert result.exit_code == 2 and word in result.output, result.output


def no_token(monkeypatch, tmp_path):
    config = tmp_path / "dwave.conf"
    config.write_text("")
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config))


def test_dry_run_refuses_an_unknown_profile_before_anything(tmp_path):
    bad = CliRunner().invoke(main, ["quantize", "--dry-run", "--profile", "Advantage9", "--out", str(tmp_path / "r")])
    assert bad.exit_code == 2 and "Advantage9" in bad.output and not (tmp_path / "r").exists()


def test_quantize_records_every_neuron_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNEALQ_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["quantize", "--bits", "2", "--methods", "qubo", "--num-reads", "2", "--num-sweeps", "50",
            "--calibration-size", "32", "--out", str(out)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    run = json.loads((out / "run.json").read_text())["settings"]
    assert run["model_sizes"] == [64, 128, 64, 10] and run["calibration_size"] == 32 and "bits" not in run
    from annealq.records import Journal

    assert len(Journal(out, read_only=True).records()) == 128 + 64 + 10
    before = report_rows(out)[1]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "resuming" in again.output and "202 answers recorded" in again.output
    assert "0 neuron QUBOs solved, 202 reused" in again.output
    after = report_rows(out)[1]
    assert after["recon_error"] == before["recon_error"] and after["accuracy"] == before["accuracy"]
    assert all(layer["info"]["resumed_neurons"] == layer["out_features"] for layer in after["layers"])


def test_profiles_and_doctor(tmp_path, monkeypatch):
    from annealq.profiles import list_profiles, load_profile

    result = CliRunner().invoke(main, ["profiles"])
    assert result.exit_code == 0, result.output
    for name in list_profiles():
        line = next(line for line in result.output.splitlines() if line.startswith(name))
        assert str(load_profile(name).graph().number_of_nodes()) in line.split()
    assert "180" in result.output and "184" in result.output and "232" in result.output  # ideal cliques
    monkeypatch.setenv("DWAVE_API_TOKEN", "annealq-dummy-token-77c1")
    monkeypatch.setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:9/sapi")
    doctor = CliRunner().invoke(main, ["doctor", "--timeout", "2"])
    assert doctor.exit_code == 0, doctor.output
    assert "Leap API token: configured" in doctor.output and "annealq-dummy-token" not in doctor.output
    assert "qpu: not reachable" in doctor.output
