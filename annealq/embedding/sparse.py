"""Heuristic minor embedding of sparse problems with minorminer.find_embedding.

For dense per-neuron QUBOs use :mod:`annealq.embedding.clique`: find_embedding on a
dense K64 takes 15-40 s, a busclique lookup ~0.01 ms.

Examples:
    >>> import dwave.graphs
    >>> from annealq.embedding import find_sparse_embedding
    >>> emb = find_sparse_embedding([(0, 1), (1, 2), (2, 0)], dwave.graphs.chimera_graph(2),
    ...                             timeout=5, seed=1)
    >>> sorted(emb)
    [0, 1, 2]
"""

from __future__ import annotations

from typing import Iterable, Optional, Union

import dimod
import minorminer
import networkx as nx

from .clique import target_graph, topology_label
from .errors import EmbeddingError

__all__ = ["find_sparse_embedding", "source_graph"]


def source_graph(source) -> nx.Graph:
    """The interaction graph of a BQM, a networkx graph or an edge list.

    Isolated variables of a BQM or graph are kept (they need a qubit too).
    """
    if isinstance(source, nx.Graph):
        return source
    graph = nx.Graph()
    if isinstance(source, dimod.BinaryQuadraticModel):
        graph.add_nodes_from(source.variables)
        graph.add_edges_from(source.quadratic)
    else:
        graph.add_edges_from(source)
    return graph


def find_sparse_embedding(source: Union[dimod.BinaryQuadraticModel, nx.Graph, Iterable[tuple]],
                          target, *, timeout: float = 30.0, seed: Optional[int] = None,
                          tries: int = 10, ideal: bool = False, **kwargs) -> dict:
    """Embed a sparse source graph with :func:`minorminer.find_embedding`.

    Args:
        source: a BQM, a networkx graph, or an edge list.
        target: a :class:`~annealq.profiles.HardwareProfile`, structured sampler or
            networkx graph (``ideal`` picks a profile's full graph).
        timeout: seconds minorminer may spend (per its own ``timeout``).
        seed: ``random_seed`` for reproducible embeddings.
        tries: minorminer's restarts.
        **kwargs: further :func:`minorminer.find_embedding` parameters.

    Returns:
        ``{variable: chain tuple}``.

    Raises:
        EmbeddingError: minorminer found no embedding within the limits.
    """
    graph = source_graph(source)
    if graph.number_of_nodes() == 0:
        return {}
    target = target_graph(target, ideal=ideal)
    emb = minorminer.find_embedding(graph, target, timeout=timeout, tries=tries,
                                    random_seed=seed, **kwargs)
    if not emb or len(emb) < graph.number_of_nodes():
        raise EmbeddingError(
            f"minorminer found no embedding of {graph.number_of_nodes()} variables / "
            f"{graph.number_of_edges()} interactions on {topology_label(target)} "
            f"({target.number_of_nodes()} qubits) within timeout={timeout}s, tries={tries}",
            requested=graph.number_of_nodes(), topology=topology_label(target))
    return {v: tuple(chain) for v, chain in emb.items()}
