"""PTQ's QPU time before spending it: per layer, what a QPU route would embed, pack and send.

Nothing is submitted: :func:`annealq.embedding.batch_calls` prices each layer's neuron
QUBOs on the profile with the QPU routes' own embeddings.  Layer shapes are enough: a neuron of a layer with ``f`` inputs has ``(f + 1) * min(log2(levels), bits)``
variables when the layer has a bias (the bias is one more weight), ``f * ...`` without.

Example:
    >>> from annealq.ptq import QuantConfig
    >>> rows = dry_run([(64, 128), (128, 64), (64, 10)], QuantConfig(bits=4), profile="Advantage2_system1")
    >>> [(r["layer"], r["variables"], r["fits"]) for r in rows]  # 129 > the largest clique (106): split
    [('0', 65, True), ('1', 129, False), ('2', 65, True)]
    >>> rows[0]["qpu_calls"], rows[0]["physical_qubits"] == rows[0]["qubits_per_neuron"] * 128
    (128, True)
    >>> print(format_dry_run(rows).splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    layer  neurons  vars/neuron  qubits/neuron  max chain  neurons/call  QPU calls  est. QPU time
"""
from __future__ import annotations

from annealq.embedding import batch_calls, clique_embedder
from annealq.formulations.rounding import variables_per_weight
from annealq.profiles import list_profiles, load_profile
from annealq.ptq.config import QuantConfig
from annealq.samplers.router import parse_route, route_kind
from annealq.report.tables import text_table

DEFAULT_PROFILE = "Advantage_system4.1"


def layer_shapes(model_or_shapes, bias: bool = True) -> list[tuple[str, int, int, bool]]:
    """``(name, in_features, out_features, has_bias)`` of a torch model's ``nn.Linear``
    layers, or of ``(in_features, out_features)`` pairs (named ``'0'``, ``'1'``, ...)."""
    if hasattr(model_or_shapes, "named_modules"):
        from annealq.nn.modules import linear_layers

        return [(name, m.in_features, m.out_features, m.bias is not None)
                for name, m in linear_layers(model_or_shapes)]
    return [(str(i), int(f), int(n), bias) for i, (f, n) in enumerate(model_or_shapes)]


def neuron_variables(in_features: int, has_bias: bool, config: QuantConfig) -> int:
    """Binary variables of one neuron's rounding QUBO (see module docstring)."""
    bias_bits = config.bias_bits if has_bias else None
    return (in_features + has_bias) * variables_per_weight(config.levels, config.bits, bias_bits)


def route_target(route: str) -> tuple[str | None, bool]:
    """``(profile name or None, packed)`` named by a QPU route string."""
    name, arg = parse_route(route)
    named = arg is not None and (arg in list_profiles() or arg.endswith(".json"))
    profile = arg if route_kind(route) == "qpu" and name != "fallback" and named else None
    return profile, name.endswith("-packed")


def dry_run(model_or_shapes, config: QuantConfig = QuantConfig(), *, profile=None, pack: bool | None = None,
            bias: bool = True, sweeps: int = 2) -> list[dict]:
    """Per layer: neurons, variables, embedding size, packing, QPU calls and estimated QPU time.

    Args:
        model_or_shapes: a torch model, or ``(in_features, out_features)`` pairs.
        config: bits, levels, bias bits and ``num_reads`` of the run.
        profile: a profile name, path or :class:`~annealq.profiles.HardwareProfile`
            (default: the one in ``config.route``, else Advantage_system4.1).
        pack: place several neurons per call on disjoint cliques (default: whether the
            route is a ``-packed`` one).
        bias: whether shape pairs have a bias (models say so themselves).
        sweeps: sweeps assumed for a neuron too large for one clique (block decomposition
            needs at least 2: one that improves, one that finds nothing more).

    Returns:
        One dict per layer; times in microseconds (``est_qpu_access_time_us`` for the layer).
    """
    named, packed = route_target(config.route)
    profile = load_profile(profile or named or DEFAULT_PROFILE) if not hasattr(profile, "graph") else profile
    pack = packed if pack is None else pack
    embedder = clique_embedder(profile)
    largest = embedder.largest_clique_size()
    rows = []
    for name, fan_in, neurons, has_bias in layer_shapes(model_or_shapes, bias):
        m = neuron_variables(fan_in, has_bias, config)
        row = {"layer": name, "in_features": fan_in, "neurons": neurons, "variables": m,
               "largest_clique": largest, "fits": m <= largest, "profile": profile.name}
        if config.method != "qubo":
            rows.append({**row, "qubits_per_neuron": 0, "max_chain_length": 0, "neurons_per_call": 0,
                         "qpu_calls": 0, "physical_qubits": 0, "est_qpu_access_time_us": 0.0})
            continue
        calls = batch_calls(profile, m, neurons, pack=pack, sweeps=sweeps, num_reads=config.solver.num_reads or 1)
        rows.append({**row, "qubits_per_neuron": calls.pop("qubits_per_row"),
                     "neurons_per_call": calls.pop("rows_per_call"), **calls})
    return rows


def format_dry_run(rows: list[dict]) -> str:
    """The dry run as a text table with a total line."""
    head = ("layer", "neurons", "vars/neuron", "qubits/neuron", "max chain", "neurons/call", "QPU calls",
            "est. QPU time")
    lines = [[r["layer"], r["neurons"], f"{r['variables']}{'' if r['fits'] else ' (split)'}",
              r["qubits_per_neuron"], r["max_chain_length"], r["neurons_per_call"], r["qpu_calls"],
              _seconds(r["est_qpu_access_time_us"])] for r in rows]
    lines.append(["total", sum(r["neurons"] for r in rows), "", "", "", "", sum(r["qpu_calls"] for r in rows),
                  _seconds(sum(r["est_qpu_access_time_us"] for r in rows))])
    return text_table(head, lines)


def _seconds(microseconds: float) -> str:
    return f"{microseconds / 1e6:.2f} s"
