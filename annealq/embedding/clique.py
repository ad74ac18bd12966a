"""Clique embeddings from minorminer's busclique, one cache per target graph.

Dense per-neuron QUBOs are cliques; :mod:`minorminer.busclique` finds clique
embeddings with even chain lengths in polynomial time. A ``busgraph_cache`` holds the
embeddings of every size for one graph (computed once, ~1 s on P16, then ~0.01 ms a
lookup), so :func:`clique_embedder` keeps one :class:`CliqueEmbedder` per graph.

Examples:
    >>> from annealq.profiles import load_profile
    >>> from annealq.embedding import clique_embedder
    >>> embedder = clique_embedder(load_profile("Advantage2_system1"), ideal=True)
    >>> embedder.largest_clique_size()
    184
    >>> emb = embedder.embed(["w0", "w1", "w2"])
    >>> sorted(emb)
    ['w0', 'w1', 'w2']
"""

from __future__ import annotations

import logging
import threading
import weakref
from time import perf_counter
from typing import Hashable, Iterable, Mapping, Union

import dimod
import networkx as nx
from minorminer.busclique import busgraph_cache

from .errors import EmbeddingError

__all__ = [
    "CliqueEmbedder",
    "clique_embedder",
    "largest_clique",
    "largest_clique_size",
    "target_graph",
    "topology_label",
    "used_adjacency",
]

logger = logging.getLogger(__name__)

_REGISTRY: dict = {}
_BY_GRAPH: "weakref.WeakKeyDictionary[nx.Graph, CliqueEmbedder]" = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()


def topology_label(graph: nx.Graph) -> str:
    """``'pegasus [16]'``, ``'zephyr [12, 4]'`` or ``'chimera [16, 16, 4]'``."""
    info = graph.graph
    family = info.get("family", "unknown")
    if family == "pegasus":
        shape = [info.get("rows")]
    elif family == "zephyr":
        shape = [info.get("rows"), info.get("tile")]
    elif family == "chimera":
        shape = [info.get("rows"), info.get("columns"), info.get("tile")]
    else:
        shape = []
    return f"{family} {shape}"


def target_graph(target, ideal: bool = False) -> nx.Graph:
    """The graph of a :class:`~annealq.profiles.HardwareProfile` (working graph
    unless ``ideal``), of a structured sampler, or a graph passed through."""
    if isinstance(target, nx.Graph):
        return target
    if hasattr(target, "graph") and callable(target.graph):  # HardwareProfile
        return target.graph(ideal=ideal)
    if hasattr(target, "to_networkx_graph"):  # DWaveSampler / MockDWaveSampler
        return target.to_networkx_graph()
    raise TypeError(f"expected a HardwareProfile, a structured sampler or a networkx "
                    f"graph, got {type(target).__name__}")


def _fingerprint(graph: nx.Graph, seed: int) -> tuple:
    info = graph.graph
    edges = frozenset((u, v) if u <= v else (v, u) for u, v in graph.edges)
    return (info.get("family"), info.get("rows"), info.get("columns"), info.get("tile"),
            info.get("labels"), graph.number_of_nodes(), len(edges),
            hash(frozenset(graph.nodes)), hash(edges), seed)


def _as_labels(variables) -> tuple[int, list]:
    if isinstance(variables, dimod.BinaryQuadraticModel):
        labels = list(variables.variables)
    elif isinstance(variables, int):
        if variables < 0:
            raise ValueError(f"number of variables must be >= 0, got {variables}")
        labels = list(range(variables))
    else:
        labels = list(variables)
        if len(set(labels)) != len(labels):
            raise ValueError("variable labels must be unique")
    return len(labels), labels


def clique_cache(graph: nx.Graph, seed: int = 0) -> busgraph_cache:
    """busclique's cache of ``graph`` with its clique table built.

    busclique keeps its tables in files under an LRU index; a writer killed mid-way leaves
    the index naming a file that is gone, and every later eviction then fails with
    ``FileNotFoundError``.  That state is repaired here by clearing busclique's file caches
    (they are rebuilt on demand) and building once more.
    """
    cache = busgraph_cache(graph, seed=seed)
    try:
        cache.largest_clique()
    except FileNotFoundError as err:
        logger.warning("busclique's file cache is inconsistent (%s): clearing it and rebuilding", err)
        busgraph_cache.clear_all_caches()
        cache = busgraph_cache(graph, seed=seed)
        cache.largest_clique()
    return cache


class CliqueEmbedder:
    """Clique embeddings on one target graph, from one ``busgraph_cache``.

    Args:
        graph: a ``dwave.graphs`` Pegasus, Zephyr or Chimera graph (missing qubits
            and couplers allowed).
        seed: busclique's seed (embeddings are deterministic for a given seed).

    Attributes:
        cache_: the :class:`minorminer.busclique.busgraph_cache`.
        build_time_: seconds spent building the cache (first construction in this
            process; busclique also keeps a file cache, so later processes are faster).

    >>> import dwave.graphs
    >>> embedder = CliqueEmbedder(dwave.graphs.zephyr_graph(2, 4))
    >>> embedder.largest_clique_size(), len(embedder.embed(3))
    (24, 3)
    """

    def __init__(self, graph: nx.Graph, seed: int = 0):
        self.graph = graph
        self.seed = seed
        start = perf_counter()
        self.cache_ = clique_cache(graph, seed=seed)
        self._largest = len(self.cache_.largest_clique())
        self.build_time_ = perf_counter() - start

    @property
    def topology(self) -> str:
        """Topology of the target, e.g. ``'zephyr [12, 4]'``."""
        return topology_label(self.graph)

    def largest_clique_size(self) -> int:
        """Size of the largest clique busclique embeds on this graph."""
        return self._largest

    def largest_clique(self) -> dict:
        """The largest clique embedding, ``{0..n-1: chain}``."""
        return {v: tuple(c) for v, c in self.cache_.largest_clique().items()}

    def embed(self, variables: Union[int, Iterable[Hashable], dimod.BinaryQuadraticModel]) -> dict:
        """Clique embedding ``{label: chain tuple}`` minimising the longest chain.

        Args:
            variables: a number of variables (labels ``0..n-1``), an iterable of
                labels, or a BQM (its variables).

        Raises:
            EmbeddingError: the clique is larger than the largest that fits; the
                message names the size requested, the topology and the largest size.
        """
        n, labels = _as_labels(variables)
        if n == 0:
            return {}
        emb = self.cache_.find_clique_embedding(labels) if n <= self._largest else {}
        if not emb:
            raise EmbeddingError(
                f"a clique of {n} variables does not fit on {self.topology} "
                f"({self.graph.number_of_nodes()} qubits): the largest clique that fits "
                f"has {self._largest} variables; decompose the problem "
                f"(annealq.embedding.decompose) or use a larger target",
                requested=n, largest=self._largest, topology=self.topology)
        return {v: tuple(chain) for v, chain in emb.items()}

    def __repr__(self) -> str:
        return (f"CliqueEmbedder({self.topology}, {self.graph.number_of_nodes()} qubits, "
                f"largest clique {self._largest})")


def clique_embedder(target, ideal: bool = False, seed: int = 0) -> CliqueEmbedder:
    """The shared :class:`CliqueEmbedder` of a profile, sampler or graph.

    Repeated calls for the same graph (same object, or same nodes and edges) return
    the same embedder, so the busclique cache is built once per process.
    """
    graph = target_graph(target, ideal=ideal)
    with _LOCK:
        found = _BY_GRAPH.get(graph)
        if found is not None and found.seed == seed:
            return found
        key = _fingerprint(graph, seed)
        found = _REGISTRY.get(key)
        if found is None:
            found = CliqueEmbedder(graph, seed=seed)
            _REGISTRY[key] = found
        if seed == 0:
            _BY_GRAPH[graph] = found
        return found


def largest_clique_size(target, ideal: bool = False) -> int:
    """Size of the largest clique busclique embeds on a profile/sampler/graph.

    >>> from annealq.profiles import load_profile
    >>> largest_clique_size(load_profile("Advantage_system4.1"), ideal=True)
    180
    """
    return clique_embedder(target, ideal=ideal).largest_clique_size()


def largest_clique(target, ideal: bool = False) -> dict:
    """The largest clique embedding on a profile/sampler/graph, ``{0..n-1: chain}``."""
    return clique_embedder(target, ideal=ideal).largest_clique()


def used_adjacency(graph: nx.Graph, embedding: Mapping) -> dict:
    """The target adjacency among an embedding's qubits only: ``embed_bqm`` walks every
    coupler of the adjacency it gets, so this makes embedding a neuron ~10x cheaper than
    passing the whole QPU graph (same result).

    >>> import networkx as nx
    >>> used_adjacency(nx.path_graph(5), {"a": (1, 2)})
    {1: [2], 2: [1]}
    """
    used = {q for chain in embedding.values() for q in chain}
    return {q: [n for n in graph[q] if n in used] for q in used}
