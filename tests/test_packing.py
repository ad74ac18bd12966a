"""Packing several cliques per QPU call: validity on damaged graphs, never fewer than the
earlier tiling, and the qubit bound it is measured against."""
import random

import dwave.graphs as dgraphs
import networkx as nx
import pytest
from dwave.embedding import verify_embedding

from annealq.embedding import pack_clique_embeddings
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
