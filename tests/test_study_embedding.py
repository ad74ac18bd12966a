"""Embedding cost per bit-width: the study's figures, its fixed-point formulation and its command."""
import csv
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from annealq.cli import main
from annealq.formulations import fixed_point_problem
from annealq.studies.embedding_cost import ROW_KEYS, embedding_cost, format_summary, format_table, save_rows

IDEAL_CLIQUES = {"Advantage_system4.1": 180, "Advantage2_system1": 184, "Advantage2_Z15": 232}


def test_cliques_match_the_measured_facts():
    # 64 variables three ways: rounding at fan-in 63, fixed point 2 x 32 and 8 x 8
    rows = embedding_cost(profiles=list(IDEAL_CLIQUES), fan_ins=[63, 31, 7], bits=[1, 2, 8],
                          formulations=["rounding", "fixed_point"], yield_models=[False], pack_limit=0,
                          progress=False)
    for r in rows:
        assert r["graph"] == "ideal" and r["largest_clique"] == IDEAL_CLIQUES[r["profile"]]
    sixty_four = {(r["profile"], r["formulation"], r["fan_in"], r["bits"]): r["qubits"] for r in rows
                  if r["variables"] == 64}
    assert len(sixty_four) == 3 * (3 + 3)  # rounding at 3 bit-widths; fixed point 64 x 1, 32 x 2, 8 x 8
    for (profile, *_), qubits in sixty_four.items():
        assert qubits == {"Advantage_system4.1": 436, "Advantage2_system1": 384, "Advantage2_Z15": 384}[profile]


def test_fixed_point_qubits_never_decrease_as_bits_grow():
    rows = embedding_cost(profiles=["Advantage2_system1"], fan_ins=[8, 40], bits=range(1, 9),
                          formulations=["fixed_point"], neurons=10, pack_limit=0, progress=False)
    for key in {(r["graph"], r["fan_in"]) for r in rows}:
        line = sorted((r for r in rows if (r["graph"], r["fan_in"]) == key), key=lambda r: r["bits"])
        assert [r["variables"] for r in line] == [(key[1] + 1) * k for k in range(1, 9)]
        qubits = [r["qubits"] for r in line]
        assert qubits == sorted(qubits)
    for r in rows:
        assert r["fits"] == (r["variables"] <= r["largest_clique"])
        assert r["blocks"] == math.ceil(r["variables"] / r["largest_clique"])
        assert r["qpu_calls"] == 10 * (1 if r["fits"] else 2 * r["blocks"])  # 2 sweeps over the blocks
        assert r["j_dynamic_range_bits"] is None
    assert any(not r["fits"] for r in rows) and any(r["fits"] for r in rows)


def test_rounding_keeps_its_variables_and_reports_its_coupling_range(small_profile):
    rows = embedding_cost(profiles=[small_profile], fan_ins=[4, 60], bits=[1, 4, 8], formulations=["rounding"],
                          neurons=12, yield_models=[True], progress=False)
    assert {(r["fan_in"], r["variables"]) for r in rows} == {(4, 5), (60, 61)}
    for r in rows:
        assert r["j_dynamic_range_bits"] >= 0 and r["j_precision"] == 0.015
        assert r["j_below_precision"] == (r["j_min"] < r["j_precision"])
        if r["fits"]:
            assert r["neurons_per_call"] >= 2 and r["qpu_calls"] == math.ceil(12 / r["neurons_per_call"])
        else:  # P4 holds no K61: split, one block per call
            assert r["neurons_per_call"] == 1 and r["qpu_calls"] == 12 * 2 * r["blocks"]
        assert r["qpu_access_s"] > 0 and r["cache_build_s"] >= 0 and r["embed_s"] >= 0
    assert not rows[-1]["fits"]


def test_tables_and_files(tmp_path, small_profile):
    rows = embedding_cost(profiles=[small_profile], fan_ins=[4], bits=[1, 2], neurons=4, progress=False)
    assert len(rows) == 2 * 2 * 2  # graphs x formulations x bits
    assert len(format_table(rows).splitlines()) == 1 + len(rows)
    assert "Largest fan-in" in format_summary(rows)
    paths = save_rows(rows, tmp_path)
    with open(paths["csv"], newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == list(ROW_KEYS) and len(table) == len(rows)
    assert json.loads(paths["json"].read_text())[0]["profile"] == "Pegasus_P4_test"


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="1 to 8 bits"):
        embedding_cost(profiles=["Advantage2_system1"], bits=[9], formulations=["rounding"], progress=False)
    with pytest.raises(ValueError, match="formulations"):
        embedding_cost(profiles=["Advantage2_system1"], formulations=["pruning"], progress=False)
    with pytest.raises(ValueError, match="neurons"):
        embedding_cost(profiles=["Advantage2_system1"], neurons=0, progress=False)


def test_fixed_point_problem_encodes_its_grid():
    rng = np.random.default_rng(1)
    features, target = rng.normal(size=(30, 4)), rng.normal(size=(3, 4))
    p = fixed_point_problem(target, bits=3, features=features)
    assert p.num_variables == 4 * 3 and p.num_neurons == 3
    states = rng.integers(0, 2, size=(3, 12))
    assert np.array_equal(p.encode(p.decode(states)), states)
    levels = p.decode(np.ones((3, 12)))
    assert np.allclose(levels, np.abs(target).max(axis=1, keepdims=True))  # the grid spans ±max|t|
    with pytest.raises(ValueError, match="exactly one"):
        fixed_point_problem(target, bits=2)
    with pytest.raises(ValueError, match="bits"):
        fixed_point_problem(target, bits=0, features=features)


def test_cli_study_embedding(tmp_path, small_profile):
    out = tmp_path / "study"
    result = CliRunner().invoke(main, ["study", "embedding", "--profiles", small_profile, "--fan-ins", "4,8",
                                       "--bits", "1-2", "--neurons", "4", "--plot-fan-in", "8", "--full",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Largest fan-in" in result.output and "fixed_point" in result.output
    for name in ("embedding_cost.csv", "embedding_cost.json", "embedding_cost.png", "embedding_fan_in.png"):
        assert (out / name).stat().st_size > 0
    bad = CliRunner().invoke(main, ["study", "embedding", "--profiles", "NoSuchQPU", "--out", str(out)])
    assert bad.exit_code != 0 and "Advantage_system4.1" in bad.output
    bad = CliRunner().invoke(main, ["study", "embedding", "--pack-limit", "some", "--out", str(out)])
    assert bad.exit_code != 0 and "--pack-limit" in bad.output
