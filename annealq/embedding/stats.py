"""Embedding statistics: how many physical qubits, how long the chains are."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

__all__ = ["EmbeddingStats", "embedding_stats"]


@dataclass(frozen=True)
class EmbeddingStats:
    """Size of an embedding: variables, physical qubits, chain lengths."""

    num_variables: int
    num_qubits: int
    max_chain_length: int
    mean_chain_length: float

    def as_dict(self) -> dict:
        """Plain dict, ready for a SampleSet's ``info`` or a JSON record."""
        return asdict(self)


def embedding_stats(embedding: Mapping[object, Iterable[int]]) -> EmbeddingStats:
    """Statistics of a ``{variable: chain}`` embedding.

    >>> embedding_stats({"a": (0, 1), "b": (2,)})
    EmbeddingStats(num_variables=2, num_qubits=3, max_chain_length=2, mean_chain_length=1.5)
    """
    lengths = [len(tuple(chain)) for chain in embedding.values()]
    num_qubits = sum(lengths)
    return EmbeddingStats(
        num_variables=len(lengths),
        num_qubits=num_qubits,
        max_chain_length=max(lengths, default=0),
        mean_chain_length=num_qubits / len(lengths) if lengths else 0.0,
    )
