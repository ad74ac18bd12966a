"""Embedding: clique and sparse minor embeddings, packing, chains, scaling, decomposition.

Modules:
    clique     busclique clique embeddings, one cache per target graph
    sparse     minorminer.find_embedding with a timeout, for sparse problems
    packing    several same-size problems on disjoint cliques in one QPU call
    chains     chain-strength policies and tuner, chain-break resolution
    scaling    fit a BQM into a QPU's h/J ranges, precision diagnostics
    decompose  block coordinate descent when a problem exceeds the largest clique
    stats      physical qubits and chain lengths of an embedding
    calls      QPU calls, qubits and access time of a batch of QUBOs, before sending
    errors     EmbeddingError

Example:
    >>> from annealq.profiles import load_profile
    >>> from annealq.embedding import clique_embedder, embedding_stats
    >>> emb = clique_embedder(load_profile("Advantage_system4.1"), ideal=True).embed(65)
    >>> embedding_stats(emb).max_chain_length
    7
"""

from .calls import batch_calls
from .chains import (
    CHAIN_BREAK_METHODS,
    ChainStrengthTuning,
    chain_info,
    chain_strength_policy,
    fixed,
    get_chain_break_method,
    record_chain_info,
    scaled,
    tune_chain_strength,
    uniform_torque_compensation,
)
from .clique import (
    CliqueEmbedder,
    clique_embedder,
    largest_clique,
    largest_clique_size,
    target_graph,
    topology_label,
    used_adjacency,
)
from .decompose import solve_by_blocks
from .errors import EmbeddingError
from .packing import pack_clique_embeddings, pack_embedded
from .scaling import ScalingReport, dynamic_range, scale_to_profile
from .sparse import find_sparse_embedding
from .stats import EmbeddingStats, embedding_stats

__all__ = [
    "batch_calls",
    "CHAIN_BREAK_METHODS",
    "ChainStrengthTuning",
    "CliqueEmbedder",
    "EmbeddingError",
    "EmbeddingStats",
    "ScalingReport",
    "chain_info",
    "chain_strength_policy",
    "clique_embedder",
    "dynamic_range",
    "embedding_stats",
    "find_sparse_embedding",
    "fixed",
    "get_chain_break_method",
    "largest_clique",
    "largest_clique_size",
    "pack_embedded",
    "pack_clique_embeddings",
    "record_chain_info",
    "scale_to_profile",
    "scaled",
    "solve_by_blocks",
    "target_graph",
    "topology_label",
    "tune_chain_strength",
    "uniform_torque_compensation",
    "used_adjacency",
]
