"""Hardware profiles: files, graphs, solver properties, mock QPU, QPU-time estimate."""

import pickle
import sys
from pathlib import Path

import dimod
import pytest
from dwave.cloud.solver import StructuredSolver
from dwave.cloud.testing.mocks import structured_solver_data
from dwave.samplers import SimulatedAnnealingSampler

from annealq.profiles import (
    HardwareProfile,
    UnknownProfileError,
    list_profiles,
    load_profile,
    profiles_dir,
)

REPO = Path(__file__).resolve().parent.parent
TIMING_KEYS = {
    "version", "typical_programming_time", "reverse_annealing_with_reinit_prog_time_delta",
    "reverse_annealing_without_reinit_prog_time_delta", "default_programming_thermalization",
    "default_annealing_time", "readout_time_model", "readout_time_model_parameters",
    "qpu_delay_time_per_sample", "reverse_annealing_with_reinit_delay_time_delta",
    "reverse_annealing_without_reinit_delay_time_delta", "decorrelation_max_nominal_anneal_time",
    "decorrelation_time_range", "default_readout_thermalization",
}
# documented sizes (DESIGN.md "Facts measured here"; D-Wave per-QPU tables)
IDEAL_SIZES = {
    "Advantage_system4.1": (5640, 40484),
    "Advantage_system6.4": (5640, 40484),
    "Advantage2_system1": (4800, 45864),
    "Advantage2_Z15": (7440, 71736),
}


@pytest.fixture(scope="module")
def adv2():
    return load_profile("Advantage2_system1")


@pytest.fixture(scope="module")
def adv4():
    return load_profile("Advantage_system4.1")


@pytest.fixture(scope="module")
def adv2_mock(adv2):
    return adv2.mock_sampler()


def test_profiles_ship_and_load():
    names = list_profiles()
    assert set(IDEAL_SIZES) <= set(names)
    for name in names:
        profile = load_profile(name)
        assert isinstance(profile, HardwareProfile)
        assert profile.name == name
        assert TIMING_KEYS <= set(profile.problem_timing_data)
        assert profile.sources, f"{name} cites no sources"
        assert {"h", "j"} <= set(profile.precision)
        assert profile.h_range[0] < 0 < profile.h_range[1]
        assert profile.extended_j_range[0] <= profile.j_range[0]
    assert load_profile("advantage2_system1.json") is load_profile("Advantage2_system1")


def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(UnknownProfileError) as info:
        load_profile("Advantage_system9.9")
    assert isinstance(info.value, ValueError)
    for name in list_profiles():
        assert name in str(info.value)


def test_load_by_path_gives_the_cached_profile():
    path = profiles_dir() / "Advantage_system6.4.json"
    assert load_profile(path) is load_profile("Advantage_system6.4")


@pytest.mark.parametrize("name", sorted(IDEAL_SIZES))
def test_ideal_graph_sizes(name):
    graph = load_profile(name).graph(ideal=True)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == IDEAL_SIZES[name]


def test_working_graph_follows_the_yield_model(adv4, adv2):
    g4 = adv4.graph()
    assert g4.number_of_nodes() == 5627 and 40279 <= g4.number_of_edges() < 40484
    g2 = adv2.graph()
    assert g2.number_of_nodes() == 4578 and g2.number_of_edges() <= 41531
    ideal = adv2.graph(ideal=True)
    assert set(g2.nodes) <= set(ideal.nodes)
    assert adv2.graph() is g2  # cached
    with pytest.raises(Exception):
        g2.remove_node(next(iter(g2)))  # frozen: shared by every caller


def test_properties_have_the_solver_shape(adv2, adv4):
    props = adv2.properties()
    graph = adv2.graph()
    for key in ("chip_id", "topology", "qubits", "couplers", "h_range", "j_range",
                "extended_j_range", "annealing_time_range", "default_annealing_time",
                "num_reads_range", "problem_run_duration_range", "problem_timing_data",
                "num_qubits", "supported_problem_types", "category", "parameters"):
        assert key in props, key
    assert props["topology"] == {"type": "zephyr", "shape": [12, 4]}
    assert len(props["qubits"]) == graph.number_of_nodes()
    assert len(props["couplers"]) == graph.number_of_edges()
    assert all(u < v for u, v in props["couplers"])
    assert "per_group_coupling_range" in props and "per_qubit_coupling_range" not in props
    assert adv4.properties()["per_qubit_coupling_range"] == [-18.0, 15.0]
    props["h_range"][0] = 99  # a copy: the profile is unchanged
    assert adv2.properties()["h_range"] != props["h_range"]


def test_mock_sampler_carries_the_profile_properties(adv2, adv2_mock):
    props = adv2_mock.properties
    assert props["chip_id"] == "Advantage2_system1"  # not 'MockDWaveSampler'
    assert props["topology"] == {"type": "zephyr", "shape": [12, 4]}
    assert props["problem_timing_data"] == dict(adv2.problem_timing_data)  # mock default: None
    assert props["per_group_coupling_range"] == [-13.0, 10.0]
    assert "per_qubit_coupling_range" not in props  # Advantage-only limit removed
    assert props["num_qubits"] == 4800
    assert set(adv2_mock.nodelist) == set(adv2.graph().nodes)
    assert len(adv2_mock.edgelist) == adv2.graph().number_of_edges()
    q = adv2_mock.nodelist[0]
    answer = adv2_mock.sample_ising({q: -1.0}, {}, num_reads=3)
    assert answer.first.sample[q] == 1


def test_mock_sampler_takes_a_substitute(adv4):
    mock = adv4.mock_sampler(SimulatedAnnealingSampler(), {"num_sweeps": 50, "seed": 1})
    assert mock.properties["chip_id"] == "Advantage_system4.1"
    assert mock.properties["per_qubit_coupling_range"] == [-18.0, 15.0]
    u, v = mock.edgelist[0]
    answer = mock.sample(dimod.BQM({}, {(u, v): -1.0}, 0.0, "SPIN"), num_reads=4)
    assert answer.first.energy == -1.0


def test_access_time_estimate_matches_the_library(adv4, adv2):
    for profile in (adv4, adv2):
        solver = StructuredSolver(None, structured_solver_data(
            problem_timing_data=dict(profile.problem_timing_data)))
        for num_qubits, num_reads, anneal in [(10, 1, None), (400, 100, 50.0), (4000, 1000, None)]:
            expected = solver.estimate_qpu_access_time(num_qubits, num_reads=num_reads,
                                                       annealing_time=anneal)
            got = profile.estimate_qpu_access_time(num_qubits, num_reads, annealing_time=anneal)
            assert got == pytest.approx(expected)
    # D-Wave's documented example: every qubit of Advantage_system4.1, 100 reads
    assert round(adv4.estimate_qpu_access_time(5627, num_reads=100)) == 42657


def test_access_time_grows_with_reads_and_anneal_time(adv2):
    times = [adv2.estimate_qpu_access_time(500, num_reads=r) for r in (1, 10, 100, 1000)]
    assert times == sorted(times) and len(set(times)) == 4
    assert (adv2.estimate_qpu_access_time(500, 100, annealing_time=200.0)
            > adv2.estimate_qpu_access_time(500, 100))
    per_read = (times[3] - times[2]) / 900
    assert per_read == pytest.approx(20.0 + 60.57 + 10 ** 1.99055, rel=1e-3)


def test_profile_pickles_by_path(adv2):
    assert pickle.loads(pickle.dumps(adv2)) is adv2


def test_profile_from_dict_validates():
    data = load_profile("Advantage_system4.1").to_dict()
    data["name"] = "custom"
    assert HardwareProfile.from_dict(data).h_range == (-4.0, 4.0)
    data["j_range"] = [1.0, -1.0]
    with pytest.raises(ValueError):
        HardwareProfile.from_dict(data)


def test_pyproject_lists_every_package():
    """The explicit package list (needed for the hardware_profiles mapping) is complete."""
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    assert config["package-dir"]["annealq.hardware_profiles"] == "hardware_profiles"
    assert "annealq.hardware_profiles" in listed
    folders = {p.parent for p in (REPO / "annealq").rglob("*.py")
               if "__pycache__" not in p.parts}
    needed = {".".join(f.relative_to(REPO).parts) for f in folders}
    assert needed <= listed, f"add to [tool.setuptools] packages: {sorted(needed - listed)}"
