"""The console script: quantize writes the table, report.json and the plot."""
import json

from click.testing import CliRunner

from annealq.cli import main


def test_quantize_writes_report_and_plot(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNEALQ_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["quantize", "--bits", "4,2", "--methods", "rtn,qubo", "--num-reads", "2",
                                       "--num-sweeps", "100", "--calibration-size", "64", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "report.json").read_text())
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
