"""Parallel packing: several copies of a dense problem on disjoint clique embeddings.

The neurons of a layer give QUBOs of the same size ``k`` (fan-in + 1); one QPU call
can solve as many of them as there are disjoint ``K_k`` clique embeddings on the
graph. :func:`pack_clique_embeddings` finds them in one of two ways:

- ``'tiled'`` (default): busclique embeds ``K_k`` once in the smallest sub-lattice tile
  of the topology that holds it (ideal graph, a ~0.1 s cache), and dwave-graphs'
  sub-lattice mappings place that embedding at every offset of the QPU graph; a placement
  is kept when its qubits are free and every coupler among them works, else busclique
  re-embeds that window of the damaged graph (at most ``MAX_REPAIRS`` windows a pass); a
  second pass with a one-row-larger tile fills what is left.  Deterministic, and fast where
  greedy is slow (measured on the modelled-yield graphs, 2 busy cores: K17 on
  Advantage_system4.1 49 in 8 s where greedy finds 63 in 100 s, on Advantage2_system1 33
  in 2 s, greedy 44 in 72 s; K65 4-5 in 2-5 s on every profile, greedy 5-6 in 13-16 s),
  at the price of fewer cliques where they are large.
- ``'greedy'``: minorminer's
  :func:`~minorminer.utils.parallel_embeddings.find_multiple_embeddings` (busclique,
  remove the used qubits, rebuild busclique's cache on what is left, repeat).

:func:`pack_embedded` merges problems embedded on those cliques into one QPU call (the
QPU routes' ``*-packed`` composites use it; each problem keeps its own scaling).

Examples:
    >>> import dimod
    >>> from annealq.profiles import load_profile
    >>> from annealq.embedding import pack_clique_embeddings
    >>> embs = pack_clique_embeddings(load_profile("Advantage2_system1"), 20, count=3, ideal=True)
    >>> len(embs)
    3
"""

from __future__ import annotations

import threading
from time import perf_counter
from typing import Callable, List, Optional, Sequence

import dimod
import networkx as nx
from minorminer.utils.parallel_embeddings import find_multiple_embeddings

try:
    import dwave.graphs as _dgraphs
except ImportError:  # pragma: no cover
    import dwave_networkx as _dgraphs

from .clique import _fingerprint, clique_cache, clique_embedder, target_graph, topology_label
from .errors import EmbeddingError

__all__ = ["pack_clique_embeddings", "pack_embedded"]

_PACK_CACHE: dict = {}
_LOCK = threading.Lock()
STRATEGIES = ("tiled", "greedy")
#: busclique re-embeddings of damaged windows per tiled pass (each builds a cache: ~0.1-1 s)
MAX_REPAIRS = 24
_MAPPINGS = {"pegasus": "pegasus_sublattice_mappings", "zephyr": "zephyr_sublattice_mappings",
             "chimera": "chimera_sublattice_mappings"}


def _busclique_embedder(full_graph: nx.Graph, seed: int) -> Callable:
    """An embedder for find_multiple_embeddings: busclique on the remaining graph."""

    def embed(S: nx.Graph, T: nx.Graph) -> dict:
        labels = list(S.nodes)
        if T is full_graph:  # first round: the shared, already-built cache
            embedder = clique_embedder(T, seed=seed)
            return embedder.embed(labels) if len(labels) <= embedder.largest_clique_size() else {}
        # later rounds: the leftover graph (busclique also files this cache on disk)
        return clique_cache(T, seed=seed).find_clique_embedding(labels)

    return embed


def _tile(family: str, m: int, graph: nx.Graph) -> nx.Graph:
    if family == "pegasus":
        return _dgraphs.pegasus_graph(m)
    if family == "zephyr":
        return _dgraphs.zephyr_graph(m, graph.graph["tile"])
    return _dgraphs.chimera_graph(m, m, graph.graph["tile"])


def _smallest_tile(graph: nx.Graph, size: int, seed: int) -> Optional[int]:
    """Rows of the smallest ideal sub-lattice of ``graph``'s family whose largest clique holds ``size``."""
    for m in range(2, graph.graph.get("rows", 0)):
        if clique_embedder(_tile(graph.graph["family"], m, graph), seed=seed).largest_clique_size() >= size:
            return m
    return None


def _place(graph: nx.Graph, tile: nx.Graph, size: int, taken: set, found: list, count: int, seed: int,
           deadline: float) -> None:
    """One pass of ``tile``'s clique embedding over every sub-lattice offset of ``graph``."""
    base = clique_embedder(tile, seed=seed).embed(size)
    used = {q for chain in base.values() for q in chain}
    couplers = [(u, v) for u, v in tile.edges if u in used and v in used]
    tile_nodes = list(tile.nodes)
    repairs = 0
    for f in getattr(_dgraphs, _MAPPINGS[graph.graph["family"]])(tile, graph):
        if len(found) >= count or perf_counter() > deadline:
            return
        if any(f(q) in taken for q in used):
            continue
        if all(graph.has_edge(f(u), f(v)) for u, v in couplers):  # no dead qubit or coupler there
            emb = {v: tuple(f(q) for q in chain) for v, chain in base.items()}
        else:  # a damaged window: busclique on the working qubits that are still free there
            nodes = [q for q in map(f, tile_nodes) if q in graph and q not in taken]
            if len(nodes) < len(used) or repairs == MAX_REPAIRS:  # hopeless, or enough tries
                continue
            repairs += 1
            window = graph.subgraph(nodes).copy()
            window.graph.update(graph.graph)
            emb = clique_cache(window, seed=seed).find_clique_embedding(size)
            if not emb:
                continue
        found.append(emb)
        taken.update(q for chain in emb.values() for q in chain)


def _tiled(graph: nx.Graph, size: int, count: int, seed: int, deadline: float) -> list:
    """Tile placements (see module docstring); a second pass with a one-row-larger tile
    fills damaged regions, where the smallest tile rarely fits."""
    if graph.graph.get("family") not in _MAPPINGS:
        return []
    rows = _smallest_tile(graph, size, seed)
    found: list = []
    taken: set = set()
    for m in ([] if rows is None else [rows, rows + 1]):
        if m < graph.graph["rows"]:
            _place(graph, _tile(graph.graph["family"], m, graph), size, taken, found, count, seed, deadline)
    return found


def pack_clique_embeddings(target, size: int, count: Optional[int] = None, *,
                           ideal: bool = False, strategy: str = "tiled", seed: int = 0,
                           timeout: float = 120.0) -> List[dict]:
    """Disjoint clique embeddings of ``K_size`` on one target graph.

    Args:
        target: a :class:`~annealq.profiles.HardwareProfile`, structured sampler or
            networkx graph (``ideal`` picks a profile's full graph).
        size: number of variables of each problem.
        count: how many embeddings are wanted (``None``: as many as fit).
        strategy: ``'tiled'`` or ``'greedy'`` (see the module docstring); tiled falls
            back to greedy on graphs without sub-lattice structure.
        seed: busclique seed.
        timeout: seconds for the whole search (checked between embeddings).

    Returns:
        A list of ``{0..size-1: chain tuple}`` embeddings on pairwise disjoint qubits,
        cached per (graph, size, count, strategy, seed).

    Raises:
        EmbeddingError: not even one clique of ``size`` fits.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if count is not None and count < 1:
        raise ValueError(f"count must be >= 1 or None, got {count}")
    graph = target_graph(target, ideal=ideal)
    key = (_fingerprint(graph, seed), size, count, strategy)
    with _LOCK:
        cached = _PACK_CACHE.get(key)
    if cached is None:
        embedder = clique_embedder(graph, seed=seed)
        if size > embedder.largest_clique_size():
            embedder.embed(size)  # raises the EmbeddingError with the largest size
        limit = count if count is not None else graph.number_of_nodes() // size
        found = _tiled(graph, size, limit, seed, perf_counter() + timeout) if strategy == "tiled" else []
        if not found:
            found = find_multiple_embeddings(
                nx.complete_graph(size), graph, max_num_emb=limit,
                embedder=_busclique_embedder(graph, seed), one_to_iterable=True, timeout=timeout)
        found = [{v: tuple(c) for v, c in emb.items()} for emb in found]
        used = [q for emb in found for c in emb.values() for q in c]
        if len(used) != len(set(used)):  # never hand out overlapping chains
            raise RuntimeError("packing produced overlapping embeddings")
        if not found:
            raise EmbeddingError(
                f"no clique of {size} variables found on {topology_label(graph)}",
                requested=size, largest=embedder.largest_clique_size(),
                topology=topology_label(graph))
        cached = found
        with _LOCK:
            _PACK_CACHE[key] = cached
    return [dict(emb) for emb in cached]


def pack_embedded(physicals: Sequence[dimod.BinaryQuadraticModel]) -> dimod.BinaryQuadraticModel:
    """Merge problems already embedded on disjoint qubits into one problem for one QPU call.

    Each problem keeps its own scaling and chain strength (the QPU routes embed and scale
    each neuron on its own clique); the merged energy is the sum of theirs.

    >>> import dimod
    >>> a = dimod.BQM({10: 1.0, 11: -1.0}, {(10, 11): -2.0}, 0.0, "SPIN")
    >>> b = dimod.BQM({20: 0.5}, {}, 0.0, "SPIN")
    >>> pack_embedded([a, b]).num_variables
    3
    >>> pack_embedded([a, a])
    Traceback (most recent call last):
    ...
    ValueError: problem 1 shares qubits with an earlier one: packed problems need disjoint embeddings
    """
    if not physicals:
        raise ValueError("nothing to pack")
    merged = dimod.BinaryQuadraticModel(physicals[0].vartype)
    for i, physical in enumerate(physicals):
        if not merged.variables.isdisjoint(physical.variables):
            raise ValueError(f"problem {i} shares qubits with an earlier one: packed problems need disjoint "
                             f"embeddings")
        merged.update(physical)
    return merged
