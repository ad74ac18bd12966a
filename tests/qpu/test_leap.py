"""End to end on D-Wave Leap: a tiny quantization on the QPU and on the hybrid solver.

QPU time used: a few QPU calls of ~20 ms; hybrid: two neurons at the minimum time limit.
"""
import gzip

import pytest
import torch

import annealq
from annealq.doctor import doctor
from annealq.records import Journal
from annealq.harness.dryrun import price
from annealq.studies.compare import compare_run


def tiny_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 2)), torch.rand(32, 6)


def no_token_in(folder, token: str):
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            data += gzip.decompress(data) if path.suffix == ".gz" else b""
            assert token.encode() not in data, path


def leap_token() -> str:
    from dwave.cloud.config import load_config

    return load_config()["token"]


def test_doctor_reaches_leap():
    report = doctor()
    assert report["token_configured"] and report["qpu"]["reachable"] and report["hybrid"]["reachable"]


@pytest.mark.parametrize("route", ["qpu", "qpu-packed"])
def test_quantize_on_the_qpu(tmp_path, route):
    model, calib = tiny_model()
    config = annealq.QuantConfig(bits=2, route=route, num_reads=50)
    planned = price(lambda solver, journal: annealq.quantize(model, calib, config.__class__(
        bits=2, route=solver.route, num_reads=50), journal=journal), config.solver, ["Advantage_system4.1"])
    result = annealq.quantize(model, calib, config, journal=Journal(tmp_path))
    rtn = annealq.quantize(model, calib, annealq.QuantConfig(bits=2, method="rtn"))
    assert result.recon_error <= rtn.recon_error + 1e-9
    rows = Journal(tmp_path, read_only=True).records()
    assert len(rows) == 2 and all(r["qpu_access_time"] > 0 and r["physical_qubits"] > 0 for r in rows)
    assert len({r["call_id"] for r in rows}) == round(sum(r["calls"] for r in planned["Advantage_system4.1"]))
    report = compare_run(tmp_path, accuracy=False)  # offline: SA on the recorded QPU problems
    assert len(report.neurons) == 2
    no_token_in(tmp_path, leap_token())


def test_quantize_on_the_hybrid_solver(tmp_path):
    model, calib = tiny_model()
    result = annealq.quantize(model, calib, annealq.QuantConfig(bits=2, route="hybrid"), journal=Journal(tmp_path))
    rows = Journal(tmp_path, read_only=True).records()
    assert len(rows) == 2 and all(r["solved_by"] == "hybrid" for r in rows)
    assert result.layers[0].quantization.info["route"] == "hybrid"
    no_token_in(tmp_path, leap_token())
