"""QPU calls, qubits and access time of a batch of QUBOs on a profile, before anything is sent.

The embeddings come from the same busclique cache and packer the QPU routes use, the time
from the profile's timing model (:meth:`~annealq.profiles.HardwareProfile.estimate_qpu_access_time`).
Workflows price their problems with it (``annealq quantize --dry-run``, the head's precision study).
"""
from __future__ import annotations

import math
from collections import Counter

from annealq.embedding.clique import clique_embedder
from annealq.embedding.packing import pack_clique_embeddings
from annealq.embedding.stats import embedding_stats


def batch_calls(profile, variables: int, rows: int, *, pack: bool = False, sweeps: int = 2,
                num_reads: int = 1, strategy: str = "setpack") -> dict:
    """QPU calls for ``rows`` QUBOs of ``variables`` each on ``profile``'s working graph.

    A QUBO that fits the largest clique takes one call, or shares one with others on
    disjoint cliques (``pack``); a larger one is split into blocks of the largest clique,
    ``sweeps`` calls per block (block decomposition), one block per call.  ``strategy``: the
    packer's (:func:`~annealq.embedding.pack_clique_embeddings`; the QPU routes use ``setpack``).

    Returns:
        ``qubit_bound`` (:func:`qubit_bound`), ``qubits_per_row`` and ``max_chain_length`` (of one block when split),
        ``rows_per_call``, ``qpu_calls``, ``physical_qubits`` (summed over the calls)
        and ``est_qpu_access_time_us`` (the whole batch).

    >>> from annealq.profiles import load_profile
    >>> calls = batch_calls(load_profile("Advantage2_system1"), 300, rows=4)
    >>> calls["qpu_calls"]  # 300 > 106 variables: 3 blocks x 2 sweeps x 4 rows
    24
    """
    embedder = clique_embedder(profile)
    largest = embedder.largest_clique_size()
    stats = embedding_stats(embedder.embed(min(variables, largest)))
    if variables <= largest and pack:
        embeddings = pack_clique_embeddings(profile, variables, count=rows, strategy=strategy)
        per_call = len(embeddings)
        call_qubits = [sum(embedding_stats(e).num_qubits for e in embeddings[:k])
                       for k in _call_sizes(rows, per_call)]
    else:
        per_call = 1
        calls_per_row = 1 if variables <= largest else sweeps * math.ceil(variables / largest)
        call_qubits = [stats.num_qubits] * (rows * calls_per_row)
    time_us = sum(count * profile.estimate_qpu_access_time(q, num_reads=num_reads)
                  for q, count in Counter(call_qubits).items())
    return {"qubit_bound": qubit_bound(profile, variables), "qubits_per_row": stats.num_qubits,
            "max_chain_length": stats.max_chain_length,
            "rows_per_call": per_call, "qpu_calls": len(call_qubits), "physical_qubits": sum(call_qubits),
            "est_qpu_access_time_us": float(time_us)}


def qubit_bound(profile, variables: int) -> int:
    """Clique embeddings of ``variables`` that could share one call if qubits were all that
    counted: working qubits // qubits of the best single clique embedding on the working
    graph; 0 when the clique does not fit (block decomposition).

    >>> from annealq.profiles import load_profile
    >>> qubit_bound(load_profile("Advantage_system4.1"), 65), qubit_bound(load_profile("Advantage_system4.1"), 200)
    (12, 0)
    """
    embedder = clique_embedder(profile)
    if variables > embedder.largest_clique_size():
        return 0
    return embedder.graph.number_of_nodes() // embedding_stats(embedder.embed(variables)).num_qubits


def _call_sizes(rows: int, per_call: int) -> list[int]:
    """Rows in each packed call."""
    full, rest = divmod(rows, per_call)
    return [per_call] * full + ([rest] if rest else [])
