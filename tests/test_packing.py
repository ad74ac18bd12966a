"""Packing several cliques per QPU call: validity on damaged graphs, never fewer than the
earlier tiling, and the qubit bound it is measured against."""
import random
from time import perf_counter

import dwave.graphs as dgraphs
import networkx as nx
import pytest
from dwave.embedding import verify_embedding

from annealq.embedding import pack_clique_embeddings
from annealq.embedding.packing import _repair
from annealq.embedding.calls import batch_calls, qubit_bound
from annealq.profiles import load_profile


def damaged(graph: nx.Graph, seed: int) -> nx.Graph:
    """``graph`` with 1% of its qubits and 2% of its couplers dead, as a yield model would."""
    rng = random.Random(seed)
    out = nx.Graph(graph)
    out.remove_nodes_from(rng.sample(sorted(out), len(out) // 100))
    out.remove_edges_from(rng.sample(sorted(out.edges), out.number_of_edges() // 50))
    return out


def assert_packed(embs: list, size: int, graph: nx.Graph):
    used = [q for emb in embs for chain in emb.values() for q in chain]
    assert len(used) == len(set(used)), "chains overlap"
    for emb in embs:  # chains connected, every pair of chains coupled, on the graph itself
        assert sorted(emb) == list(range(size))
        assert verify_embedding(emb, nx.complete_graph(size), graph)


def test_the_qubit_bound_on_a_hand_checked_graph():
    k44 = dgraphs.chimera_graph(1)  # K_{4,4}: K4 needs chains of 2, all 8 qubits; K5 does not fit
    assert qubit_bound(k44, 4) == 1 and qubit_bound(k44, 5) == 0
    assert qubit_bound(k44, 1) == 8
    chimera = dgraphs.chimera_graph(2)  # 32 qubits; busclique's K5 has chains of 3: 15 qubits
    assert qubit_bound(chimera, 5) == 32 // 15 == 2


CASES = [(dgraphs.zephyr_graph(4, 2), 16), (dgraphs.zephyr_graph(4, 2), 20), (dgraphs.pegasus_graph(6), 40)]


@pytest.mark.parametrize("graph, size", CASES, ids=["Z4-K16", "Z4-K20", "P6-K40"])
def test_setpack_is_valid_and_never_below_the_tiling(graph, size):
    for target in (graph, damaged(graph, seed=size)):
        target.graph.update(graph.graph)
        packed = pack_clique_embeddings(target, size, strategy="setpack", timeout=5)
        tiled = pack_clique_embeddings(target, size, strategy="tiled", timeout=5)
        assert_packed(packed, size, target)
        assert len(packed) >= len(tiled)
    # the native triangles in two orientations: two cliques where one tile placement fits one
    assert len(pack_clique_embeddings(graph, size, timeout=5)) == 2 > len(
        pack_clique_embeddings(graph, size, strategy="tiled", timeout=5))


def test_setpack_on_a_profiles_working_graph():
    z12 = load_profile("Advantage2_system1")
    embs = pack_clique_embeddings(z12, 9, count=6)
    assert len(embs) == 6
    assert_packed(embs, 9, z12.graph())


def test_batch_calls_report_the_bound_next_to_the_packing():
    profile = load_profile("Advantage2_system1")
    calls = batch_calls(profile, 9, rows=12, pack=True)
    assert calls["qubit_bound"] == qubit_bound(profile, 9) >= calls["rows_per_call"] > 1
    assert calls["qpu_calls"] == -(-12 // calls["rows_per_call"])



@pytest.mark.parametrize("graph, size", CASES[1:], ids=["Z4-K20", "P6-K40"])
def test_a_clique_broken_by_a_dead_qubit_is_repaired_on_free_qubits(graph, size):
    """The broken chain re-routed by minorminer on the qubits no other clique uses."""
    first, other = pack_clique_embeddings(graph, size, timeout=5)[:2]
    target = nx.Graph(graph)
    target.remove_node(first[0][0])
    target.graph.update(graph.graph)
    free = set(target) - {q for emb in (first, other) for chain in emb.values() for q in chain}
    repaired = _repair(target, first, frozenset({0}), free, longest=len(target), seed=0, deadline=perf_counter() + 30)
    assert_packed([repaired, other], size, target)


@pytest.mark.parametrize("graph, size", CASES[1:], ids=["Z4-K20", "P6-K40"])
def test_setpack_repairs_cliques_that_a_dead_qubit_breaks(graph, size):
    """One dead qubit in every clique of the full graph's packing: the packing keeps its count, each
    broken chain re-routed by minorminer around it (the other chains where they were)."""
    full = pack_clique_embeddings(graph, size, timeout=5)
    dead = [emb[0][0] for emb in full]
    target = nx.Graph(graph)
    target.remove_nodes_from(dead)
    target.graph.update(graph.graph)
    packed = pack_clique_embeddings(target, size, timeout=30)
    assert_packed(packed, size, target)
    assert len(packed) == len(full) == 2
    assert not any(q in dead for emb in packed for chain in emb.values() for q in chain)
