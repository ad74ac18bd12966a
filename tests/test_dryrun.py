"""Dry run: QPU calls and time before spending any, consistent with the routes' embeddings."""
import math

import numpy as np
import pytest

from annealq.ptq import QuantConfig
from annealq.embedding import clique_embedder, embedding_stats, pack_clique_embeddings
from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.nn.models import mlp
from annealq.profiles import load_profile
from annealq.ptq.dryrun import dry_run, format_dry_run, neuron_variables

PROFILE = "Advantage2_system1"
SHAPES = [(64, 128), (128, 64), (64, 10)]


@pytest.fixture(autouse=True)
def nothing_is_submitted(monkeypatch):
    import dwave.system

    def refuse(*args, **kwargs):
        raise AssertionError("a dry run contacted Leap")

    monkeypatch.setattr(dwave.system.DWaveSampler, "__init__", refuse)
    monkeypatch.setattr(dwave.system.LeapHybridSampler, "__init__", refuse)


@pytest.mark.parametrize("bits,levels", [(4, 2), (4, 4), (1, 4), (8, 8), (2, 8)])
def test_variables_per_neuron_match_the_formulation(bits, levels):
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(3, 64)), rng.normal(size=3), rng.normal(size=(40, 64))
    config = QuantConfig(bits=bits, levels=levels)
    grid = Grid.fit(w, bits)
    with_bias = rounding_problem(w, b, x, weight_grid=grid, bias_grid=bias_grid(b), levels=levels)
    without = rounding_problem(w, None, x, weight_grid=grid, levels=levels)
    assert neuron_variables(64, True, config) == with_bias.num_variables
    assert neuron_variables(64, False, config) == without.num_variables


def test_numbers_match_the_embedding():
    profile = load_profile(PROFILE)
    embedder = clique_embedder(profile)
    rows = dry_run(SHAPES, QuantConfig(bits=2), profile=PROFILE)
    assert [(r["neurons"], r["variables"]) for r in rows] == [(128, 65), (64, 129), (10, 65)]
    for row in rows:
        block = min(row["variables"], embedder.largest_clique_size())
        chains = embedder.embed(block)
        assert row["qubits_per_neuron"] == sum(len(c) for c in chains.values())
        assert row["max_chain_length"] == max(len(c) for c in chains.values())
        assert row["physical_qubits"] == row["qubits_per_neuron"] * row["qpu_calls"]
    fits, split = rows[0], rows[1]
    assert fits["fits"] and fits["qpu_calls"] == 128
    assert not split["fits"] and split["qpu_calls"] == 64 * 2 * math.ceil(129 / embedder.largest_clique_size())


def test_time_estimate_grows_with_calls_and_reads():
    rows = dry_run([(16, 4), (16, 40)], QuantConfig(bits=2), profile=PROFILE)
    assert rows[1]["qpu_calls"] == 10 * rows[0]["qpu_calls"]
    assert rows[1]["est_qpu_access_time_us"] == pytest.approx(10 * rows[0]["est_qpu_access_time_us"])
    more_reads = dry_run([(16, 4)], QuantConfig(bits=2, num_reads=500), profile=PROFILE)
    assert more_reads[0]["est_qpu_access_time_us"] > rows[0]["est_qpu_access_time_us"]


def test_packing_cuts_calls_and_time(small_profile):
    config = QuantConfig(bits=2, route=f"mock-qpu-packed:{small_profile}")
    packed = dry_run([(5, 12)], config)[0]  # the profile and packing come from the route
    single = dry_run([(5, 12)], config, pack=False)[0]
    per_call = len(pack_clique_embeddings(load_profile(small_profile), packed["variables"], count=12))
    assert packed["profile"] == "Pegasus_P4_test" and packed["neurons_per_call"] == per_call > 1
    assert packed["qpu_calls"] == math.ceil(12 / per_call) < single["qpu_calls"] == 12
    assert packed["est_qpu_access_time_us"] < single["est_qpu_access_time_us"]
    embeddings = pack_clique_embeddings(load_profile(small_profile), packed["variables"], count=12)
    calls = [embeddings[:per_call]] * (12 // per_call) + ([embeddings[:12 % per_call]] if 12 % per_call else [])
    assert packed["physical_qubits"] == sum(embedding_stats(e).num_qubits for call in calls for e in call)


def test_a_model_and_its_shapes_agree():
    model = mlp([64, 32, 10])
    by_model = dry_run(model, QuantConfig(bits=3), profile=PROFILE)
    by_shape = dry_run([(64, 32), (32, 10)], QuantConfig(bits=3), profile=PROFILE)
    assert [r["layer"] for r in by_model] == ["0", "2"]  # the model's own names
    assert [{**r, "layer": None} for r in by_model] == [{**r, "layer": None} for r in by_shape]


def test_methods_without_qubos_use_no_qpu():
    rows = dry_run(SHAPES, QuantConfig(bits=2, method="gptq"), profile=PROFILE)
    assert all(r["qpu_calls"] == 0 and r["est_qpu_access_time_us"] == 0 for r in rows)


def test_table():
    table = format_dry_run(dry_run(SHAPES, QuantConfig(bits=2), profile=PROFILE))
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["layer", "neurons"] and lines[-1].startswith("total")
    assert "(split)" in table and len(lines) == 5
