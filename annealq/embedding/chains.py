"""Chain strength policies, a chain-strength tuner, and chain-break resolution.

A chain-strength policy has dwave-system's signature ``f(bqm, embedding) -> float``
and can be passed as ``chain_strength=`` to any embedding composite. Values are in
*spin* (Ising) units, as the embedding composites apply them: the policies here
evaluate ``bqm.spin`` whatever the BQM's vartype, so calling them directly on a QUBO
gives the number the composite would use.

Examples:
    >>> import dimod
    >>> from annealq.embedding.chains import uniform_torque_compensation, scaled, fixed
    >>> bqm = dimod.BQM({"a": 1.0, "b": -1.0}, {("a", "b"): -2.0}, 0.0, "SPIN")
    >>> round(uniform_torque_compensation(bqm), 3), scaled(bqm), fixed(3.0)(bqm)
    (2.828, 2.0, 3.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Callable, Mapping, Optional, Sequence, Union

import dimod
import numpy as np
from dwave.embedding import chain_breaks as _chain_breaks
from dwave.embedding import chain_strength as _chain_strength

__all__ = [
    "CHAIN_BREAK_METHODS",
    "ChainStrengthTrial",
    "ChainStrengthTuning",
    "chain_info",
    "chain_strength_policy",
    "fixed",
    "get_chain_break_method",
    "record_chain_info",
    "scaled",
    "tune_chain_strength",
    "uniform_torque_compensation",
]

ChainStrength = Callable[..., float]


def _spin(bqm: dimod.BinaryQuadraticModel) -> dimod.BinaryQuadraticModel:
    return bqm if bqm.vartype is dimod.SPIN else bqm.spin


def uniform_torque_compensation(bqm: dimod.BinaryQuadraticModel, embedding=None,
                                prefactor: float = 1.414) -> float:
    """prefactor x RMS(J) x sqrt(mean degree), on the spin form of ``bqm`` (default).

    dwave-system's :func:`dwave.embedding.chain_strength.uniform_torque_compensation`
    applied to ``bqm.spin``.

    >>> import dimod
    >>> qubo = dimod.BQM({}, {("a", "b"): 4.0}, 0.0, "BINARY")   # J = 1.0 in spins
    >>> uniform_torque_compensation(qubo, prefactor=2.0)
    2.0
    """
    return float(_chain_strength.uniform_torque_compensation(_spin(bqm), embedding,
                                                             prefactor=prefactor))


def scaled(bqm: dimod.BinaryQuadraticModel, embedding=None, prefactor: float = 1.0) -> float:
    """prefactor x the largest absolute bias (linear or quadratic) of ``bqm.spin``.

    >>> import dimod
    >>> scaled(dimod.BQM({"a": -3.0}, {("a", "b"): 1.0}, 0.0, "SPIN"), prefactor=0.5)
    1.5
    """
    return float(_chain_strength.scaled(_spin(bqm), embedding, prefactor=prefactor))


def fixed(value: float) -> ChainStrength:
    """A policy that always answers ``value`` (spin units).

    >>> fixed(2.5)(None)
    2.5
    """
    value = float(value)

    def fixed_chain_strength(bqm=None, embedding=None) -> float:
        return value

    fixed_chain_strength.__qualname__ = f"fixed({value})"
    return fixed_chain_strength


_POLICIES = {
    "uniform_torque_compensation": uniform_torque_compensation,
    "utc": uniform_torque_compensation,
    "scaled": scaled,
}


def chain_strength_policy(spec: Union[None, str, float, ChainStrength] = None,
                          **kwargs) -> ChainStrength:
    """Resolve a policy from a name, a number or a callable.

    ``None`` -> uniform torque compensation; a number -> :func:`fixed`; names:
    ``'uniform_torque_compensation'`` (``'utc'``), ``'scaled'``, ``'fixed'`` (needs
    ``value=``). Keyword arguments (e.g. ``prefactor``) are bound to the policy.

    >>> chain_strength_policy("scaled", prefactor=2.0).func.__name__
    'scaled'
    """
    if spec is None:
        spec = "uniform_torque_compensation"
    if callable(spec):
        return partial(spec, **kwargs) if kwargs else spec
    if isinstance(spec, (int, float)):
        return fixed(spec)
    if spec == "fixed":
        return fixed(kwargs["value"])
    try:
        policy = _POLICIES[spec]
    except KeyError:
        raise ValueError(f"unknown chain-strength policy {spec!r}; known: "
                         f"{sorted(_POLICIES) + ['fixed']}") from None
    return partial(policy, **kwargs)


# -- chain-break resolution ----------------------------------------------------

CHAIN_BREAK_METHODS = ("majority_vote", "minimize_energy", "discard", "weighted_random")


def get_chain_break_method(name: str = "majority_vote", bqm: Optional[dimod.BinaryQuadraticModel] = None,
                       embedding: Optional[Mapping] = None) -> Callable:
    """The dwave.embedding chain-break method called ``name``.

    ``'minimize_energy'`` needs the source ``bqm`` and the ``embedding``
    (:class:`dwave.embedding.chain_breaks.MinimizeEnergy`).

    >>> get_chain_break_method().__name__
    'majority_vote'
    """
    if name == "minimize_energy":
        if bqm is None or embedding is None:
            raise ValueError("minimize_energy needs the source bqm and the embedding")
        return _chain_breaks.MinimizeEnergy(bqm, embedding)
    if name not in CHAIN_BREAK_METHODS:
        raise ValueError(f"unknown chain-break method {name!r}; known: {CHAIN_BREAK_METHODS}")
    return getattr(_chain_breaks, name)


def _method_name(method) -> str:
    if method is None:
        return "majority_vote"
    if isinstance(method, str):
        return method
    if isinstance(method, _chain_breaks.MinimizeEnergy):
        return "minimize_energy"
    return getattr(method, "__name__", type(method).__name__)


def _mean_chain_break_fraction(sampleset: dimod.SampleSet) -> Optional[float]:
    record = sampleset.record
    if "chain_break_fraction" not in record.dtype.names or len(record) == 0:
        return None
    return float(np.average(record.chain_break_fraction, weights=record.num_occurrences))


def chain_info(chain_strength: Optional[float], sampleset: Optional[dimod.SampleSet] = None,
               chain_break_method: Union[str, Callable, None] = "majority_vote") -> dict:
    """``{'chain_strength', 'chain_break_fraction', 'chain_break_method'}`` for an
    answer's ``info`` (the fraction is the reads-weighted mean, ``None`` if unknown).
    """
    return {
        "chain_strength": None if chain_strength is None else float(chain_strength),
        "chain_break_fraction": None if sampleset is None
        else _mean_chain_break_fraction(sampleset),
        "chain_break_method": _method_name(chain_break_method),
    }


def record_chain_info(sampleset: dimod.SampleSet, chain_strength: Optional[float],
                      chain_break_method: Union[str, Callable, None] = "majority_vote"
                      ) -> dimod.SampleSet:
    """Write :func:`chain_info` into ``sampleset.info`` (in place) and return it."""
    sampleset.info.update(chain_info(chain_strength, sampleset, chain_break_method))
    return sampleset


# -- tuning --------------------------------------------------------------------

@dataclass(frozen=True)
class ChainStrengthTrial:
    """One point of a chain-strength sweep."""

    prefactor: float
    chain_strength: float
    mean_energy: float
    min_energy: float
    chain_break_fraction: float


@dataclass(frozen=True)
class ChainStrengthTuning:
    """Result of :func:`tune_chain_strength`: the chosen point and the whole sweep."""

    chain_strength: float
    prefactor: float
    mean_energy: float
    chain_break_fraction: float
    within_bound: bool
    trials: tuple = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return asdict(self)


def tune_chain_strength(sampler: dimod.Sampler, bqm: dimod.BinaryQuadraticModel,
                        embedding: Optional[Mapping] = None, prefactors: Sequence[float] = (
                            0.5, 0.75, 1.0, 1.414, 2.0, 3.0),
                        *, policy: Union[str, ChainStrength] = "uniform_torque_compensation",
                        max_chain_break_fraction: float = 0.05,
                        chain_break_method: Union[str, Callable] = "majority_vote",
                        **sample_kwargs) -> ChainStrengthTuning:
    """Sweep a policy's prefactor on a structured sampler and pick a chain strength.

    For each prefactor, ``bqm`` is sampled through
    :class:`~dwave.system.FixedEmbeddingComposite` on ``embedding``, or, without an
    embedding, by ``sampler`` itself: a route that embeds (``annealq.sampler("qpu")``,
    ``"mock-qpu:<profile>"``), so the sweep runs its whole stack, scaling included; the choice is the
    lowest mean logical energy among the points whose reads-weighted mean
    chain-break fraction is at most ``max_chain_break_fraction``. When no point
    meets the bound, the one with the fewest chain breaks is returned with
    ``within_bound=False``.

    Args:
        sampler: a structured sampler (QPU, mock QPU, ``dimod.StructureComposite``), or a
            route that embeds when ``embedding`` is None.
        bqm: the logical problem.
        embedding: ``{variable: chain}`` on ``sampler``'s graph, or None (see above).
        prefactors: the sweep (multiplies the policy's value).
        policy: base policy, ``'uniform_torque_compensation'`` or ``'scaled'`` or a
            callable accepting ``prefactor=``.
        max_chain_break_fraction: bound on the mean chain-break fraction.
        chain_break_method: resolution used when unembedding.
        **sample_kwargs: passed to ``sample`` (e.g. ``num_reads``).
    """
    from dwave.system import FixedEmbeddingComposite

    base = policy if callable(policy) else _POLICIES[policy]
    if embedding is None:  # a route: it embeds, scales and unembeds itself
        composite, options = sampler, {"chain_break_method": chain_break_method}
    else:
        method = chain_break_method
        if isinstance(method, str):
            method = get_chain_break_method(method, bqm=bqm, embedding=embedding)
        composite = FixedEmbeddingComposite(sampler, embedding)
        options = {"chain_break_method": method, "chain_break_fraction": True}
    trials = []
    for prefactor in prefactors:
        strength = float(base(bqm, embedding, prefactor=prefactor))
        answer = composite.sample(bqm, chain_strength=strength, **options, **sample_kwargs)
        record = answer.record
        weights = record.num_occurrences
        trials.append(ChainStrengthTrial(
            prefactor=float(prefactor), chain_strength=strength,
            mean_energy=float(np.average(record.energy, weights=weights)),
            min_energy=float(record.energy.min()),
            chain_break_fraction=float(np.average(record.chain_break_fraction,
                                                  weights=weights))))
    ok = [t for t in trials if t.chain_break_fraction <= max_chain_break_fraction]
    best = min(ok, key=lambda t: (t.mean_energy, t.chain_strength)) if ok else \
        min(trials, key=lambda t: (t.chain_break_fraction, t.mean_energy))
    return ChainStrengthTuning(chain_strength=best.chain_strength, prefactor=best.prefactor,
                               mean_energy=best.mean_energy,
                               chain_break_fraction=best.chain_break_fraction,
                               within_bound=bool(ok), trials=tuple(trials))
