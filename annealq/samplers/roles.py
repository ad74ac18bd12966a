"""The roles a sampler can play and what every route shares: the whole-batch role, per-row
seeds, parameter filtering and a sampler's stable identity (what a journal keys answers by).

Example:
    >>> from dwave.samplers import SimulatedAnnealingSampler
    >>> accepted(SimulatedAnnealingSampler(), {"num_reads": 5, "chain_strength": 2.0, "num_sweeps": None})
    {'num_reads': 5}
    >>> sampler_identity("sa") == sampler_identity("sa"), sampler_identity(SimulatedAnnealingSampler())["class"]
    (True, 'dwave.samplers.sa.sampler.SimulatedAnnealingSampler')
"""
from __future__ import annotations

import abc
import hashlib
import json
from functools import partial
from typing import Iterable

import dimod


class BatchSampler(abc.ABC):
    """The role of a sampler that takes a whole :class:`~annealq.formulations.QUBOBatch` at once.

    ``sample_batch`` yields one SampleSet per row, in row order, over variables ``0 .. m-1``;
    each SampleSet's ``info['parameters']`` says what the underlying call received.
    """

    #: every read ends descended and no worse than its start (``solve`` then skips its polish)
    polished: bool = False

    @abc.abstractmethod
    def sample_batch(self, batch, *, seed: int | None = None, initial_states=None,
                     **parameters) -> Iterable[dimod.SampleSet]:
        """One SampleSet per row of ``batch``; ``initial_states`` ``(n, s, m)``."""


def row_seed(seed: int | None, row_id: int) -> int | None:
    """A per-row seed, independent of the order and the place rows are solved in."""
    return None if seed is None else int((seed * 1_000_003 + int(row_id)) % 2**32)


def accepted(sampler, parameters: dict) -> dict:
    """The ``parameters`` (not None) that ``sampler`` declares it takes."""
    known = getattr(sampler, "parameters", {})
    return {k: v for k, v in parameters.items() if v is not None and k in known}


def describe_policy(policy) -> str | None:
    """A chain-strength policy as stable text: ``uniform_torque_compensation(prefactor=4.0)``.

    >>> from annealq.embedding import chain_strength_policy
    >>> describe_policy(chain_strength_policy("utc", prefactor=4.0)), describe_policy(2.5)
    ('uniform_torque_compensation(prefactor=4.0)', '2.5')
    """
    if policy is None or isinstance(policy, (int, float, str)):
        return None if policy is None else str(policy)
    if isinstance(policy, partial):
        args = ", ".join([repr(a) for a in policy.args] + [f"{k}={v!r}" for k, v in sorted(policy.keywords.items())])
        return f"{describe_policy(policy.func)}({args})"
    return getattr(policy, "__qualname__", type(policy).__qualname__)


def sampler_identity(sampler) -> dict:
    """What a sampler is, stably across processes: its route name, or for an instance its class and a
    hash of its properties (children included), so two different samplers never share answers."""
    if isinstance(sampler, str):
        return {"route": sampler}
    kind = type(sampler)
    properties = json.dumps(getattr(sampler, "properties", {}), sort_keys=True, default=repr)
    children = [sampler_identity(c) for c in getattr(sampler, "children", [])]
    digest = hashlib.sha256((properties + json.dumps(children, sort_keys=True)).encode()).hexdigest()[:16]
    return {"class": f"{kind.__module__}.{kind.__qualname__}", "properties": digest}
