"""The run journal through PTQ: nothing lost on a fault, a rerun resumes, records hold problems and no token."""
import json

import dimod
import numpy as np
import pytest
import torch

import annealq
from annealq.records import Journal, config_key, scrub
from annealq.samplers.roles import row_seed
from annealq.samplers.router import register_route, unregister_route


class Fault(RuntimeError):
    pass


class FlakySampler(dimod.Sampler):
    """Simulated annealing that raises once ``fail_after`` calls have been answered."""

    parameters = {"num_reads": [], "num_sweeps": [], "seed": []}
    properties = {}

    def __init__(self):
        from dwave.samplers import SimulatedAnnealingSampler

        self.inner, self.calls, self.fail_after = SimulatedAnnealingSampler(), 0, None

    def sample(self, bqm, **parameters):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise Fault("injected fault")
        self.calls += 1
        return self.inner.sample(bqm, **parameters)


@pytest.fixture
def flaky():
    sampler = FlakySampler()
    register_route("flaky", lambda arg: sampler)
    yield sampler
    unregister_route("flaky")


def small_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))


def weights(model):
    return [p.detach().clone() for p in model.parameters()]


def test_fault_loses_nothing_and_rerun_sends_only_the_rest(tmp_path, flaky):
    model, calib = small_model(), torch.rand(64, 16)
    config = annealq.QuantConfig(bits=2, route="flaky", num_reads=4, num_sweeps=200)
    reference = annealq.quantize(model, calib, config)
    total = flaky.calls  # 8 + 4 neurons
    assert total == 12

    store = Journal(tmp_path / "run")
    flaky.calls, flaky.fail_after = 0, 5
    with pytest.raises(Fault):
        annealq.quantize(model, calib, config, journal=store)
    assert sorted(store.step("ptq", config, "0").answers()) == [0, 1, 2, 3, 4]  # every answer before the fault
    store.close()

    flaky.calls, flaky.fail_after = 0, None
    store = Journal(tmp_path / "run")
    resumed = annealq.quantize(model, calib, config, journal=store)
    assert flaky.calls == total - 5  # only the remaining neurons were sent
    assert resumed.layers[0].quantization.info["resumed_neurons"] == 5
    for a, b in zip(weights(reference.model), weights(resumed.model)):
        assert torch.equal(a, b)
    assert len(store.records()) == total


def test_records_keep_the_exact_problem_and_its_answer(tmp_path):
    model, calib = small_model(), torch.rand(32, 16)
    config = annealq.QuantConfig(bits=2, route="sa", num_reads=2, num_sweeps=100)
    store = Journal(tmp_path)
    annealq.quantize(model, calib, config, journal=store)
    rows = store.records("ptq", config, "2")
    assert [r["row"] for r in rows] == [0, 1, 2, 3]
    assert len({r["problem_hash"] for r in rows}) == 4  # four neurons, four problems
    for row in rows:
        bqm = store.model(row)
        assert bqm.num_variables == row["num_variables"]
        state = np.array(json.loads(row["state"]))
        assert bqm.energy(state) == pytest.approx(row["energy"])
        assert store.sampleset(row).first.energy == pytest.approx(row["route_energy"])
        assert row["solved_by"] == "sa" and row["config_key"] == config_key(config)
        assert json.loads(row["parameters"]) == {"num_reads": 2, "num_sweeps": 100,
                                                 "seed": row_seed(0, row["row"])}
    assert store.config(rows[0]["config_key"]) == config
    # another config is another run: nothing to resume from
    assert store.step("ptq", annealq.QuantConfig(bits=3, route="sa"), "2").answers() == {}


def test_scrub_drops_credentials_at_any_depth():
    info = {"token": "t", "nested": [{"api_key": "k", "ok": 1}], "Authorization": "a", "timing": {"x": 1}}
    assert scrub(info) == {"nested": [{"ok": 1}], "timing": {"x": 1}}


SECRET = "annealq-dummy-token-9b2e71"


class LeakySampler(dimod.Sampler):
    """Exact solver whose answers carry credential-like keys in ``info`` (what must never be stored)."""

    parameters, properties = {}, {}

    def sample(self, bqm, **parameters):
        answer = dimod.ExactSolver().sample(bqm).truncate(2)
        answer.info.update(token=SECRET, client={"headers": {"X-Auth-Token": SECRET}, "endpoint": "x"})
        return answer


def files_contain(folder, text: bytes) -> list:
    import gzip

    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data += gzip.decompress(data)
            if text in data:
                hits.append(path)
    return hits


def test_no_token_in_the_run_folder(tmp_path, monkeypatch):
    import warnings

    monkeypatch.setenv("DWAVE_API_TOKEN", SECRET)
    register_route("leaky", lambda arg: LeakySampler())
    model, calib = small_model(), torch.rand(32, 16)
    store = Journal(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        annealq.quantize(model, calib, annealq.QuantConfig(bits=2, route="mock-qpu:Advantage2_system1",
                                                           num_reads=5), journal=store)
    annealq.quantize(torch.nn.Sequential(torch.nn.Linear(4, 2)), torch.rand(16, 4),
                     annealq.QuantConfig(bits=2, route="leaky"), journal=store)
    unregister_route("leaky")
    rows = store.records()
    assert len(rows) == 14 and files_contain(tmp_path, b"qpu_access_time")  # the scan reads the records
    assert files_contain(tmp_path, SECRET.encode()) == []
    qpu_rows = [r for r in rows if r["solved_by"].startswith("mock-qpu")]
    for row in qpu_rows:
        assert row["physical_qubits"] > 0 and row["max_chain_length"] >= 1 and row["qpu_calls"] == 1
        assert row["chain_strength"] > 0 and 0 <= row["chain_break_fraction"] <= 1
        assert row["qpu_access_time"] > 0 and json.loads(row["timing"])["qpu_access_time"] > 0
    assert store.sampleset(qpu_rows[0]).info["embedding"]["num_qubits"] == qpu_rows[0]["physical_qubits"]


def test_records_of_another_problem_are_solved_again(tmp_path, flaky):
    model = small_model()
    config = annealq.QuantConfig(bits=2, route="flaky", num_reads=4, num_sweeps=200)
    store = Journal(tmp_path)
    annealq.quantize(model, torch.rand(64, 16), config, journal=store)
    flaky.calls = 0
    other = annealq.quantize(model, torch.rand(64, 16), config, journal=store)  # new calibration data
    assert flaky.calls == 12  # no recorded answer fits the new problems
    info = other.layers[0].quantization.info
    assert info["resumed_neurons"] == 0 and info["stale_answers_solved_again"] == 8
    assert annealq.quantize(model, torch.rand(64, 16), config).recon_error > 0


class Interrupt(RuntimeError):
    pass


def test_packed_run_resumed_after_a_fault_ends_as_an_uninterrupted_one(tmp_path, small_profile):
    """A packed route sends the same calls (neurons, embeddings, seeds) whether or not it was resumed."""
    from annealq.embedding import pack_clique_embeddings
    from annealq.profiles import load_profile

    torch.manual_seed(1)
    model, calib = torch.nn.Sequential(torch.nn.Linear(4, 40)), torch.rand(32, 4)
    config = annealq.QuantConfig(bits=2, route=f"mock-qpu-packed:{small_profile}", num_reads=8, num_sweeps=100)
    per_call = len(pack_clique_embeddings(load_profile(small_profile), 5))
    assert 1 < per_call < 40
    reference = annealq.quantize(model, calib, config)

    done = []

    def fail_after_one_call(layer, count):
        done.append(count)
        if len(done) == per_call:
            raise Interrupt

    store = Journal(tmp_path)
    with pytest.raises(Interrupt):
        annealq.quantize(model, calib, config, journal=store, progress=fail_after_one_call)
    assert len(store.records()) == per_call
    resumed = annealq.quantize(model, calib, config, journal=store)
    assert resumed.layers[0].quantization.info["resumed_neurons"] == per_call
    assert {r["call_id"] for r in store.records()[:per_call]}.isdisjoint(r["call_id"] for r in store.records()[per_call:])
    for a, b in zip(weights(reference.model), weights(resumed.model)):
        assert torch.equal(a, b)
