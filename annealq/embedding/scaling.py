"""Scale a BQM into a QPU's h/J ranges, chains included, with precision diagnostics.

The QPU takes Ising biases within ``h_range`` and ``j_range`` (chain couplings may
use the stronger negative end of ``extended_j_range``), and limits the sum of the
couplings on a qubit (``per_qubit_coupling_range``, Advantage) or on a coupling group
(``per_group_coupling_range``, Advantage2). :func:`scale_to_profile` finds the one
positive factor that puts everything in range (a positive factor keeps the ground
state) and reports the couplings' dynamic range and whether the smallest of them
falls below the hardware precision (the profile's ``precision``, about 1/100 of the
J range: D-Wave's integrated control errors).

Examples:
    >>> import dimod
    >>> from annealq.profiles import load_profile
    >>> from annealq.embedding.scaling import scale_to_profile
    >>> bqm = dimod.BQM({"a": 8.0}, {("a", "b"): -3.0, ("b", "c"): 0.001}, 0.0, "SPIN")
    >>> scaled, report = scale_to_profile(bqm, load_profile("Advantage_system4.1"),
    ...                                   chain_strength=2.0)
    >>> report.scale, report.limiting
    (0.3333333333333333, 'j_range')
    >>> report.warnings[0].startswith("smallest nonzero |J|")
    True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Mapping, Optional, Union

import dimod
import numpy as np

from .chains import uniform_torque_compensation

__all__ = ["ScalingReport", "dynamic_range", "scale_to_profile"]


@dataclass(frozen=True)
class ScalingReport:
    """What :func:`scale_to_profile` did and what it found (all after scaling).

    ``scale`` multiplies the spin-form biases; ``limiting`` names the constraint that
    fixed it; ``dynamic_range_j`` is max|J| / min nonzero |J| (also in dB and bits);
    ``warnings`` are plain strings for a SampleSet's ``info['warnings']``.
    """

    scale: float
    limiting: str
    chain_strength: Optional[float]
    max_abs_h: float
    max_abs_j: float
    min_abs_h: float
    min_abs_j: float
    dynamic_range_j: float
    dynamic_range_j_db: float
    dynamic_range_j_bits: float
    dynamic_range_h: float
    precision_h: float
    precision_j: float
    embedded: bool
    warnings: tuple = ()

    def as_dict(self) -> dict:
        """Plain dict (JSON-ready) for a run record or ``SampleSet.info``."""
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        return d


def dynamic_range(values: np.ndarray, zero_tol: float = 1e-12) -> tuple[float, float, float]:
    """``(ratio, dB, bits)`` of max|x| / min nonzero |x| (``(1, 0, 0)`` when trivial).

    >>> dynamic_range(np.array([1.0, -0.01, 0.0]))
    (100.0, 40.0, 6.643856189774724)
    """
    mags = np.abs(np.asarray(values, dtype=float))
    if mags.size == 0 or mags.max() == 0:
        return 1.0, 0.0, 0.0
    nonzero = mags[mags > zero_tol * mags.max()]
    ratio = float(nonzero.max() / nonzero.min())
    return ratio, 20.0 * math.log10(ratio), math.log2(ratio)


def _upper_factor(values: np.ndarray, low: float, high: float) -> float:
    """Largest s > 0 with low <= s * values <= high."""
    bound = math.inf
    if values.size:
        vmax, vmin = float(values.max()), float(values.min())
        if vmax > 0:
            bound = min(bound, high / vmax)
        if vmin < 0:
            bound = min(bound, low / vmin)
    return bound


def _resolve_chain_strength(chain_strength, spin, embedding) -> Optional[float]:
    if chain_strength is None:
        return uniform_torque_compensation(spin, embedding)
    if callable(chain_strength):
        return float(chain_strength(spin, embedding))
    if isinstance(chain_strength, Mapping):
        return float(max(chain_strength.values())) if chain_strength else None
    return float(chain_strength)


def scale_to_profile(bqm: dimod.BinaryQuadraticModel, profile, chain_strength: Union[
        None, float, Mapping, Callable] = None, *, embedding: Optional[Mapping] = None,
        extended_j_range: bool = True, zero_tol: float = 1e-12, return_embedded: bool = False):
    """Scale ``bqm`` (in its spin form) so that the QPU of ``profile`` can take it.

    Args:
        bqm: the logical problem (any vartype; the result is SPIN).
        profile: a :class:`~annealq.profiles.HardwareProfile`.
        chain_strength: spin units, a policy ``f(bqm, embedding)``, or ``None`` for
            uniform torque compensation; scaled with the problem and checked against
            the (extended) J range.
        embedding: when given, the problem is embedded on the profile's working graph
            and the check covers every qubit and coupler, including the per-qubit /
            per-group coupling sums and the share of h and J each chain qubit gets;
            without it the check is on the logical biases (conservative for h and J,
            coupling sums unchecked).
        extended_j_range: let chain couplings use ``extended_j_range``'s negative end.
        zero_tol: biases below ``zero_tol x max`` count as zero in the diagnostics.

        return_embedded: also return the scaled problem as embedded on the QPU (needs
            ``embedding``): the range check has embedded it already, so a caller that sends
            it need not embed it again.

    Returns:
        ``(scaled_bqm, report)``: ``scaled_bqm`` is SPIN, with the same ground states;
        pass ``report.chain_strength`` as the chain strength of the embedding composite
        and ``auto_scale=False`` to the QPU.  With ``return_embedded``,
        ``(scaled_bqm, report, embedded_bqm)``.
    """
    spin = bqm.change_vartype(dimod.SPIN, inplace=False)
    h_low, h_high = profile.h_range
    j_low, j_high = profile.j_range
    chain_low = profile.extended_j_range[0] if extended_j_range else j_low
    has_chains = embedding is None or any(len(tuple(c)) > 1 for c in embedding.values())
    strength = _resolve_chain_strength(chain_strength, spin, embedding) if has_chains else None

    bounds = {}
    if embedding is None:
        ldata, (_, _, qdata), _ = spin.to_numpy_vectors()
        bounds["h_range"] = _upper_factor(ldata, h_low, h_high)
        bounds["j_range"] = _upper_factor(qdata, j_low, j_high)
        h_values, j_values = ldata, qdata
    else:
        target, h_values, j_values = _embed(spin, embedding, profile, strength)
        bounds["h_range"] = _upper_factor(h_values, h_low, h_high)
        bounds["j_range"] = _upper_factor(j_values, j_low, j_high)
        bounds.update(_coupling_sum_bounds(profile, target))
    if strength:
        bounds["extended_j_range (chains)" if extended_j_range else "j_range (chains)"] = \
            _upper_factor(np.array([-abs(strength)]), chain_low, j_high)

    limiting, scale = min(bounds.items(), key=lambda kv: kv[1]) if bounds else ("none", 1.0)
    if not math.isfinite(scale):  # an empty or all-zero problem
        limiting, scale = "none", 1.0
    scaled = spin.copy()
    scaled.scale(scale)

    h_scaled = np.abs(h_values) * scale
    j_scaled = np.abs(j_values) * scale
    dr_j = dynamic_range(j_scaled, zero_tol)
    dr_h = dynamic_range(h_scaled, zero_tol)
    min_h = _min_nonzero(h_scaled, zero_tol)
    min_j = _min_nonzero(j_scaled, zero_tol)
    precision_h = float(profile.precision.get("h", 0.0))
    precision_j = float(profile.precision.get("j", 0.0))
    where_j = "per coupler after embedding" if embedding is not None else "logical"
    where_h = "per qubit after embedding" if embedding is not None else "logical"
    warnings = []
    if 0 < min_j < precision_j:
        warnings.append(_precision_warning("J", j_scaled, min_j, precision_j, where_j, profile.name, zero_tol,
                                           f" (dynamic range {dr_j[0]:.3g} = {dr_j[1]:.1f} dB = {dr_j[2]:.1f} bits)"))
    if 0 < min_h < precision_h:
        warnings.append(_precision_warning("h", h_scaled, min_h, precision_h, where_h, profile.name, zero_tol, ""))
    report = ScalingReport(
        scale=float(scale), limiting=limiting,
        chain_strength=None if strength is None else float(strength * scale),
        max_abs_h=float(h_scaled.max()) if h_scaled.size else 0.0,
        max_abs_j=float(j_scaled.max()) if j_scaled.size else 0.0,
        min_abs_h=min_h, min_abs_j=min_j,
        dynamic_range_j=dr_j[0], dynamic_range_j_db=dr_j[1], dynamic_range_j_bits=dr_j[2],
        dynamic_range_h=dr_h[0], precision_h=precision_h, precision_j=precision_j,
        embedded=embedding is not None, warnings=tuple(warnings))
    if return_embedded:
        if embedding is None:
            raise ValueError("return_embedded needs the embedding the problem is sent on")
        target.scale(scale)
        return scaled, report, target
    return scaled, report


def _min_nonzero(values: np.ndarray, zero_tol: float) -> float:
    if values.size == 0 or values.max() == 0:
        return 0.0
    return float(values[values > zero_tol * values.max()].min())


def _embed(spin, embedding, profile, strength):
    """The embedded problem, its qubit biases, and its non-chain coupler biases."""
    from dwave.embedding import embed_bqm

    from .clique import used_adjacency

    target = embed_bqm(spin, embedding, used_adjacency(profile.graph(), embedding), chain_strength=strength or 0.0,
                       smear_vartype=dimod.SPIN)
    chain_of = {q: v for v, chain in embedding.items() for q in chain}
    j_values = [bias for (p, q), bias in target.quadratic.items()
                if chain_of.get(p) != chain_of.get(q)]
    h_values = np.fromiter(target.linear.values(), dtype=float, count=len(target.linear))
    return target, h_values, np.asarray(j_values, dtype=float)


def _coupling_sum_bounds(profile, target) -> dict:
    """Bounds from per-qubit (Pegasus) or per-group (Zephyr) coupling sums."""
    graph = profile.graph()
    bounds = {}
    if profile.per_qubit_coupling_range is not None:
        low, high = profile.per_qubit_coupling_range
        sums = np.array([sum(target.adj[q].values()) for q in target.variables], dtype=float)
        bounds["per_qubit_coupling_range"] = _upper_factor(sums, low, high)
    if profile.per_group_coupling_range is not None:
        from dwave.system.coupling_groups import coupling_groups

        low, high = profile.per_group_coupling_range
        used = graph.subgraph(target.variables)
        quad = target.quadratic
        sums = np.array([sum(quad.get(edge, 0.0) for edge in group)
                         for group in coupling_groups(used) if group], dtype=float)
        bounds["per_group_coupling_range"] = _upper_factor(sums, low, high)
    return bounds


def _precision_warning(kind, scaled, smallest, precision, where, profile_name, zero_tol, extra):
    """The warning text when the smallest nonzero |bias| of ``kind`` falls below the precision."""
    nonzero = scaled[scaled > zero_tol * max(scaled.max(), 1e-300)]
    below = float(np.mean(nonzero < precision))
    what = "couplings" if kind == "J" else "linear biases"
    return (f"smallest nonzero |{kind}| after scaling ({smallest:.3g}, {where}) is below the {profile_name} "
            f"{kind} precision (~{precision:g}); {below:.0%} of the nonzero {what} are below it{extra}")
