"""Embedding: cliques, sparse embeddings, packing, chains, scaling, decomposition."""

import dimod
import networkx as nx
import numpy as np
import pytest
from dwave.embedding import verify_embedding
from dwave.samplers import SimulatedAnnealingSampler
from dwave.system import FixedEmbeddingComposite

try:
    import dwave.graphs as dgraphs
except ImportError:  # pragma: no cover
    import dwave_networkx as dgraphs

from annealq.embedding import (
    CliqueEmbedder,
    EmbeddingError,
    chain_info,
    chain_strength_policy,
    clique_embedder,
    embedding_stats,
    find_sparse_embedding,
    fixed,
    get_chain_break_method,
    largest_clique_size,
    pack_embedded,
    pack_clique_embeddings,
    record_chain_info,
    scale_to_profile,
    scaled,
    solve_by_blocks,
    tune_chain_strength,
    uniform_torque_compensation,
)
from annealq.embedding.decompose import condition_on
from annealq.embedding.scaling import dynamic_range
from annealq.profiles import load_profile


def random_qubo(n, seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, n))
    return dimod.BQM(np.triu(q + q.T), "BINARY")


@pytest.fixture(scope="module")
def p16():
    return load_profile("Advantage_system4.1")


@pytest.fixture(scope="module")
def z12():
    return load_profile("Advantage2_system1")


@pytest.fixture(scope="module")
def z12_mock(z12):
    return z12.mock_sampler(SimulatedAnnealingSampler(), {"num_sweeps": 200, "seed": 7})


# -- cliques -------------------------------------------------------------------

@pytest.mark.parametrize("name, size", [("Advantage_system4.1", 180),
                                        ("Advantage2_system1", 184),
                                        ("Advantage2_Z15", 232)])
def test_largest_clique_on_ideal_graphs(name, size):
    assert largest_clique_size(load_profile(name), ideal=True) == size


def test_too_large_clique_raises_with_the_largest_size(z12):
    embedder = clique_embedder(z12, ideal=True)
    with pytest.raises(EmbeddingError) as info:
        embedder.embed(185)
    err = info.value
    assert isinstance(err, ValueError)
    assert "185" in str(err) and "184" in str(err) and "zephyr [12, 4]" in str(err)
    assert (err.requested, err.largest, err.topology) == (185, 184, "zephyr [12, 4]")


def test_embedder_registry_reuses_the_cache(z12):
    first = clique_embedder(z12, ideal=True)
    assert clique_embedder(z12, ideal=True) is first
    same_content = nx.Graph(z12.graph(ideal=True))  # another object, same graph
    assert clique_embedder(same_content) is first
    assert clique_embedder(z12) is not first  # the working graph has its own cache


def test_clique_embedding_is_valid_and_labelled(p16):
    embedder = clique_embedder(p16, ideal=True)
    labels = [f"w{i}" for i in range(65)]
    emb = embedder.embed(labels)
    assert list(emb) == labels
    assert verify_embedding(emb, nx.complete_graph(labels), p16.graph(ideal=True))
    stats = embedding_stats(emb)
    assert stats.num_variables == 65 and stats.max_chain_length == 7
    assert stats.num_qubits == sum(len(c) for c in emb.values())
    bqm = dimod.BQM({"a": 1.0, "b": 1.0}, {("a", "b"): 1.0}, 0.0, "BINARY")
    assert sorted(embedder.embed(bqm)) == ["a", "b"]
    assert embedder.embed(0) == {}


def test_clique_embedder_on_a_plain_graph():
    embedder = CliqueEmbedder(dgraphs.zephyr_graph(2, 4))
    assert embedder.largest_clique_size() == 24
    assert embedder.build_time_ >= 0
    assert len(embedder.largest_clique()) == 24


# -- sparse embeddings -----------------------------------------------------------

def test_sparse_embedding_and_its_failure():
    target = dgraphs.chimera_graph(2)
    cycle = nx.cycle_graph(6)
    emb = find_sparse_embedding(cycle, target, timeout=5, seed=3)
    assert verify_embedding(emb, cycle, target)
    bqm = dimod.BQM({"x": 1.0}, {("y", "z"): 1.0}, 0.0, "SPIN")  # x is isolated
    assert set(find_sparse_embedding(bqm, target, timeout=5, seed=3)) == {"x", "y", "z"}
    with pytest.raises(EmbeddingError):
        find_sparse_embedding(nx.complete_graph(12), dgraphs.chimera_graph(1), timeout=1,
                              tries=2, seed=0)


# -- packing -------------------------------------------------------------------

def test_pack_clique_embeddings_are_disjoint(z12):
    embs = pack_clique_embeddings(z12, 20, count=4, ideal=True)
    assert len(embs) == 4
    used = [q for emb in embs for chain in emb.values() for q in chain]
    assert len(used) == len(set(used))
    for emb in embs:
        assert verify_embedding(emb, nx.complete_graph(20), z12.graph(ideal=True))
    assert pack_clique_embeddings(z12, 20, count=4, ideal=True) == embs  # cached
    with pytest.raises(EmbeddingError):
        pack_clique_embeddings(z12, 185, ideal=True)


@pytest.mark.parametrize("strategy", ["tiled", "greedy"])
def test_packing_on_a_damaged_graph_gives_valid_disjoint_cliques(z12, strategy):
    graph = z12.graph()  # the modelled yield: dead qubits and couplers
    embs = pack_clique_embeddings(z12, 9, count=6, strategy=strategy)
    assert len(embs) == 6
    used = [q for emb in embs for chain in emb.values() for q in chain]
    assert len(used) == len(set(used)) and set(used) <= set(graph)
    assert all(verify_embedding(emb, nx.complete_graph(9), graph) for emb in embs)


def test_packed_problems_need_disjoint_qubits():
    a = dimod.BQM({1: 1.0}, {}, 0.0, "SPIN")
    with pytest.raises(ValueError, match="disjoint"):
        pack_embedded([a, dimod.BQM({1: 0.5, 2: 1.0}, {(1, 2): 1.0}, 0.0, "SPIN")])
    assert pack_embedded([a, dimod.BQM({2: 1.0}, {}, 0.0, "SPIN")]).num_variables == 2


def test_the_range_check_returns_the_problem_it_embedded(z12):
    bqm = random_qubo(6, 0)
    emb = clique_embedder(z12).embed(list(bqm.variables))
    scaled, report, embedded = scale_to_profile(bqm, z12, embedding=emb, return_embedded=True)
    from dwave.embedding import embed_bqm
    from annealq.embedding import used_adjacency

    direct = embed_bqm(scaled, emb, used_adjacency(z12.graph(), emb), chain_strength=report.chain_strength,
                       smear_vartype=dimod.SPIN)
    assert set(direct.variables) == set(embedded.variables)
    for q in direct.variables:
        assert embedded.linear[q] == pytest.approx(direct.linear[q], rel=1e-9, abs=1e-12)
    for (p, q), bias in direct.quadratic.items():
        assert embedded.quadratic[p, q] == pytest.approx(bias, rel=1e-9, abs=1e-12)


# -- chains --------------------------------------------------------------------

def test_chain_strength_policies_give_the_documented_values():
    # spins: J = {ab: -2, bc: 1}; RMS(J) = sqrt(5/2); mean degree = 4/3
    bqm = dimod.BQM({"a": 0.5, "b": 3.0}, {("a", "b"): -2.0, ("b", "c"): 1.0}, 0.0, "SPIN")
    utc = 1.414 * np.sqrt(5 / 2) * np.sqrt(4 / 3)
    assert uniform_torque_compensation(bqm) == pytest.approx(utc)
    assert uniform_torque_compensation(bqm, prefactor=2.0) == pytest.approx(utc / 1.414 * 2)
    assert scaled(bqm) == 3.0 and scaled(bqm, prefactor=0.5) == 1.5
    assert fixed(1.25)(bqm, None) == 1.25
    # a QUBO is measured in spin units, as the embedding composites apply it
    qubo = bqm.binary
    assert uniform_torque_compensation(qubo) == pytest.approx(utc)
    assert scaled(qubo) == pytest.approx(3.0)
    assert chain_strength_policy("utc", prefactor=2.0)(bqm) == pytest.approx(utc / 1.414 * 2)
    assert chain_strength_policy(0.75)(bqm) == 0.75
    assert chain_strength_policy(None)(bqm) == pytest.approx(utc)
    with pytest.raises(ValueError):
        chain_strength_policy("strongest")


def test_chain_break_resolution_and_info():
    # a 2-variable problem on a 4-qubit path: chains of 2
    target = nx.path_graph(4)
    sampler = dimod.StructureComposite(dimod.ExactSolver(), list(target), list(target.edges))
    bqm = dimod.BQM({"a": -1.0, "b": 0.5}, {("a", "b"): -0.5}, 0.0, "SPIN")
    embedding = {"a": (0, 1), "b": (2, 3)}
    composite = FixedEmbeddingComposite(sampler, embedding)
    for name in ("majority_vote", "minimize_energy"):
        method = get_chain_break_method(name, bqm=bqm, embedding=embedding)
        answer = composite.sample(bqm, chain_strength=0.1, chain_break_method=method,
                                  chain_break_fraction=True)
        record_chain_info(answer, 0.1, method)
        assert answer.info["chain_break_method"] == name
        assert answer.info["chain_strength"] == 0.1
        assert 0.0 < answer.info["chain_break_fraction"] <= 1.0  # weak chains break
        assert np.allclose(answer.record.energy, bqm.energies(answer))
    assert chain_info(2.0)["chain_break_fraction"] is None
    with pytest.raises(ValueError):
        get_chain_break_method("minimize_energy")


def test_tune_chain_strength_respects_the_break_bound():
    target = dgraphs.chimera_graph(2)
    sampler = dimod.StructureComposite(SimulatedAnnealingSampler(), list(target),
                                       list(target.edges))
    bqm = random_qubo(6, 11).spin
    embedding = clique_embedder(target).embed(bqm)
    assert max(len(c) for c in embedding.values()) > 1
    result = tune_chain_strength(sampler, bqm, embedding, prefactors=(0.05, 1.0, 3.0),
                                 max_chain_break_fraction=0.05, num_reads=20, seed=5)
    assert len(result.trials) == 3
    assert result.within_bound and result.chain_break_fraction <= 0.05
    ok = [t for t in result.trials if t.chain_break_fraction <= 0.05]
    assert result.mean_energy == min(t.mean_energy for t in ok)
    assert result.trials[0].chain_break_fraction > result.trials[-1].chain_break_fraction
    assert result.as_dict()["chain_strength"] == result.chain_strength


def test_tune_chain_strength_on_a_route():
    import warnings

    import annealq

    bqm = dimod.generators.gnp_random_bqm(12, 1.0, "BINARY", random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = tune_chain_strength(annealq.sampler("mock-qpu:Advantage2_system1"), bqm,
                                     prefactors=(0.02, 2.0), num_reads=10, seed=1)
    weak, strong = result.trials
    assert weak.chain_break_fraction > strong.chain_break_fraction
    assert result.prefactor == 2.0 and result.within_bound


# -- scaling -------------------------------------------------------------------

def test_scaling_keeps_the_ground_state_and_fits_the_ranges(p16):
    bqm = random_qubo(10, 4)
    bqm.linear[0] += 40.0  # one large field sets the scale
    scaled_bqm, report = scale_to_profile(bqm, p16, chain_strength=3.0)
    assert scaled_bqm.vartype is dimod.SPIN
    ground = dimod.ExactSolver().sample(bqm).first.sample
    scaled_ground = dimod.ExactSolver().sample(scaled_bqm).first.sample
    assert {v: 2 * x - 1 for v, x in ground.items()} == scaled_ground
    lin, (_, _, quad), _ = scaled_bqm.to_numpy_vectors()
    h_low, h_high = p16.h_range
    j_low, j_high = p16.j_range
    assert h_low - 1e-12 <= lin.min() and lin.max() <= h_high + 1e-12
    assert j_low - 1e-12 <= quad.min() and quad.max() <= j_high + 1e-12
    assert report.limiting == "h_range" and max(abs(lin)) == pytest.approx(h_high)
    assert -report.chain_strength >= p16.extended_j_range[0]
    assert report.as_dict()["scale"] == report.scale


def test_chain_strength_can_set_the_scale(p16):
    bqm = dimod.BQM({"a": 0.1}, {("a", "b"): 0.5}, 0.0, "SPIN")
    _, report = scale_to_profile(bqm, p16, chain_strength=10.0)
    assert report.limiting.startswith("extended_j_range")
    assert report.chain_strength == pytest.approx(2.0)  # -2 is the extended J limit
    _, strict = scale_to_profile(bqm, p16, chain_strength=10.0, extended_j_range=False)
    assert strict.chain_strength == pytest.approx(1.0)


def test_precision_warning_and_dynamic_range(p16):
    bqm = dimod.BQM({}, {("a", "b"): 1.0, ("b", "c"): 0.001}, 0.0, "SPIN")
    _, report = scale_to_profile(bqm, p16, chain_strength=1.0)
    assert report.dynamic_range_j == pytest.approx(1000.0)
    assert report.dynamic_range_j_db == pytest.approx(60.0)
    assert report.dynamic_range_j_bits == pytest.approx(np.log2(1000.0))
    assert report.min_abs_j == pytest.approx(0.001)
    assert len(report.warnings) == 1 and "precision" in report.warnings[0]
    _, clean = scale_to_profile(dimod.BQM({}, {("a", "b"): 1.0, ("b", "c"): 0.5}, 0.0,
                                          "SPIN"), p16)
    assert clean.warnings == ()
    assert dynamic_range(np.zeros(3)) == (1.0, 0.0, 0.0)


def test_embedded_scaling_respects_coupling_group_limits(z12):
    bqm = random_qubo(30, 2)
    embedding = clique_embedder(z12).embed(bqm)
    scaled_bqm, report = scale_to_profile(bqm, z12, embedding=embedding)
    assert report.embedded
    from dwave.embedding import embed_bqm
    from dwave.system.coupling_groups import coupling_groups

    target = embed_bqm(scaled_bqm, embedding, z12.graph(), chain_strength=report.chain_strength)
    lin, (_, _, quad), _ = target.to_numpy_vectors()
    assert z12.h_range[0] - 1e-9 <= lin.min() and lin.max() <= z12.h_range[1] + 1e-9
    assert z12.extended_j_range[0] - 1e-9 <= quad.min() and quad.max() <= z12.j_range[1] + 1e-9
    low, high = z12.per_group_coupling_range
    used = z12.graph().subgraph(target.variables)
    for group in coupling_groups(used):
        total = sum(target.quadratic.get(edge, 0.0) for edge in group)
        assert low - 1e-9 <= total <= high + 1e-9


# -- decomposition -------------------------------------------------------------

class CountingSampler(dimod.Sampler):
    """ExactSolver that counts its calls and checks the block size."""

    parameters = {}
    properties = {}

    def __init__(self, limit):
        self.calls = 0
        self.limit = limit

    def sample(self, bqm, **kwargs):
        assert len(bqm) <= self.limit
        self.calls += 1
        return dimod.ExactSolver().sample(bqm)


def test_decomposition_reaches_the_brute_force_optimum():
    bqm = random_qubo(16, 2024)
    optimum = dimod.ExactSolver().sample(bqm).first.energy
    sampler = CountingSampler(limit=6)
    answer = solve_by_blocks(bqm, sampler, block_size=6, num_restarts=5, seed=1)
    assert answer.first.energy == pytest.approx(optimum)
    assert answer.info["num_subproblem_calls"] == sampler.calls > 0
    assert len(answer) == 5 and answer.info["block_size"] == 6
    for trace in answer.info["energy_trace"]:
        assert all(b <= a + 1e-9 for a, b in zip(trace, trace[1:]))  # never worse


def test_decomposition_with_simulated_annealing_blocks():
    bqm = random_qubo(16, 7).spin
    optimum = dimod.ExactSolver().sample(bqm).first.energy
    answer = solve_by_blocks(bqm, SimulatedAnnealingSampler(), block_size=6, num_restarts=5,
                             seed=3, sampler_kwargs={"num_reads": 10, "seed": 1})
    assert answer.vartype is dimod.SPIN
    assert answer.first.energy == pytest.approx(optimum)


def test_conditioning_matches_fix_variables():
    bqm = random_qubo(12, 5)
    fixed_values = {v: int(v % 3 == 0) for v in range(4, 12)}
    expected = bqm.copy()
    expected.fix_variables(fixed_values)
    got = condition_on(bqm, fixed_values)
    assert got.offset == pytest.approx(expected.offset)
    for v in expected.variables:
        assert got.linear[v] == pytest.approx(expected.linear[v])
    for (u, v), bias in expected.quadratic.items():
        assert got.quadratic[u, v] == pytest.approx(bias)
    small = random_qubo(5, 1)
    one_call = solve_by_blocks(small, CountingSampler(limit=6), block_size=6)
    assert one_call.info["num_subproblem_calls"] == 1


def test_an_inconsistent_busclique_file_cache_is_cleared_and_rebuilt(monkeypatch):
    from annealq.embedding import clique as clique_module

    real, events = clique_module.busgraph_cache, []

    class Broken:
        """busclique's cache whose LRU names a file that is gone, until the caches are cleared."""

        def __init__(self, graph, seed=0):
            self.inner = real(graph, seed=seed)

        def largest_clique(self):
            if "cleared" not in events:
                events.append("failed")
                raise FileNotFoundError("busclique_7/clique/zephyr_0000")
            return self.inner.largest_clique()

        @staticmethod
        def clear_all_caches():
            events.append("cleared")

    monkeypatch.setattr(clique_module, "busgraph_cache", Broken)
    cache = clique_module.clique_cache(dgraphs.chimera_graph(2))
    assert events == ["failed", "cleared"] and len(cache.largest_clique()) == 8
