"""Embedding cost per bit-width: what one neuron's (or class's) QUBO costs on each QPU.

For every hardware profile, on its ideal graph and on its working graph (the modelled
yield), and for every formulation, fan-in ``f`` and bit-width, one row with:

- ``variables`` and ``couplers`` of the logical QUBO (dense: the Gram matrix couples every pair);
- ``fits``: whether it fits the largest clique busclique embeds (``largest_clique``); when
  it does not, ``blocks`` of the largest clique are solved in turn (block decomposition);
- ``qubits``, ``max_chain``, ``mean_chain`` of its clique embedding (of one block when split);
- ``cache_build_s``, the one-off build of the graph's busclique cache, and ``embed_s``, the
  lookup of this size in it;
- ``neurons_per_call`` (disjoint cliques packed in one call, found in ``pack_s``; ``packed``
  says whether packing was searched: only up to ``pack_limit`` variables, because packing a
  size on a damaged Pegasus graph takes ~10-20 s), ``qpu_calls`` and ``qpu_access_s`` for a
  layer of ``neurons`` QUBOs at ``num_reads`` reads (a split neuron takes ``sweeps x blocks``
  calls, one block each);
- for the rounding QUBO, the couplings after scaling into the QPU's ranges, embedded
  (chains and per-qubit / per-group coupling sums included): ``j_dynamic_range_bits``
  (log2 of max|J| / min|J|), ``j_min`` against the profile's ``j_precision``, and
  ``j_hardware_bits`` (log2 of max|J range| / precision).

Formulations (:data:`FORMULATIONS`): ``rounding``, the exact rounding QUBO, ``f + 1``
variables whatever the bits (the bit-width changes its coefficients); ``fixed_point``,
K-bit fixed-point weights, ``(f + 1) K`` variables.  The problems are built by the
formulations themselves on random data, and the figures are those of the layer's first
neuron: :data:`LAYER` neurons, calibration inputs ``relu(N(0, 1))`` (:data:`CALIBRATION`
samples, as a hidden layer sees), weights ``N(0, 1/f)``, biases ``N(0, 0.1)`` (the rounding
QUBO's bias grid is the layer's, as in :func:`~annealq.formulations.rounding_problem`).

Example:
    >>> rows = embedding_cost(profiles=["Advantage2_system1"], fan_ins=[63], bits=[1, 2],
    ...                       formulations=["fixed_point"], yield_models=[False], progress=False)
    >>> [(r["bits"], r["variables"], r["fits"], r["qubits"], r["max_chain"]) for r in rows]
    [(1, 64, True, 384, 6), (2, 128, True, 1280, 10)]
    >>> for line in format_summary(rows).splitlines()[:3]:
    ...     print(line)
    Largest fan-in whose neuron QUBO fits one clique (rounding: any bits; K: fixed point at K bits)
    profile             graph  clique   K1  K2
    Advantage2_system1  ideal     184  183  91
"""
from __future__ import annotations

import math
from pathlib import Path
from time import perf_counter
from typing import Iterable, Mapping, Sequence

import numpy as np
from tqdm import tqdm

from annealq.embedding import clique_embedder, embedding_stats, scale_to_profile
from annealq.embedding.decompose import condition_on
from annealq.formulations import Grid, bias_grid, fixed_point_problem, rounding_problem
from annealq.profiles import HardwareProfile, list_profiles, load_profile
from annealq.report.tables import text_table, write_csv, write_json
from annealq.embedding.calls import batch_calls

FORMULATIONS = ("rounding", "fixed_point")
DEFAULT_BITS = {"rounding": range(1, 9), "fixed_point": range(1, 21)}
DEFAULT_FAN_INS = (8, 16, 32, 64, 128, 256, 784)
DEFAULT_PACK_LIMIT = 40
#: the grid's packer: the fast tiling (each size on each graph packed once; the QPU routes' set
#: packing takes minutes a size, benchmarks/results/packing.txt gives its counts)
PACK_STRATEGY = "tiled"
CALIBRATION = 256
LAYER = 16
GRAPHS = {False: "ideal", True: "yield"}
PRECISION_KEYS = ("j_dynamic_range_bits", "j_min", "j_precision", "j_hardware_bits", "j_below_precision",
                  "scale_limit")
ROW_KEYS = ("profile", "graph", "topology", "formulation", "fan_in", "bits", "neurons", "num_reads", "variables",
            "couplers", "largest_clique", "fits", "blocks", "qubits", "max_chain", "mean_chain", "cache_build_s",
            "embed_s", "pack_limit", "packed", "neurons_per_call", "pack_s", "qpu_calls",
            "qpu_access_s") + PRECISION_KEYS


def embedding_cost(*, profiles: Iterable | None = None, fan_ins: Iterable[int] = DEFAULT_FAN_INS,
                   bits: Iterable[int] | None = None, formulations: Iterable[str] = FORMULATIONS,
                   neurons: int = 128, yield_models: Iterable[bool] = (False, True), num_reads: int = 100,
                   pack_limit: int | None = DEFAULT_PACK_LIMIT, sweeps: int = 2, seed: int = 0,
                   progress: bool = True) -> list[dict]:
    """One row per (profile, graph, formulation, fan-in, bits); keys :data:`ROW_KEYS`.

    Args:
        profiles: profile names, paths or :class:`~annealq.profiles.HardwareProfile`
            objects (default: every file in ``hardware_profiles/``).
        fan_ins: inputs per neuron (a bias is added: ``f + 1`` weights).
        bits: bit-widths for every formulation (default :data:`DEFAULT_BITS`: 1-8 for
            rounding, whose grids stop at int8, 1-20 for fixed point).
        formulations: some of :data:`FORMULATIONS`.
        neurons: neurons (or classes) of the layer whose QPU calls and time are counted.
        yield_models: ``False`` for the ideal graph, ``True`` for the working graph.
        num_reads: reads per QPU call in the time estimate.
        pack_limit: pack QUBOs of up to this many variables onto disjoint cliques, several
            per call (0: no packing; ``None``: every QUBO that fits, slow on damaged Pegasus graphs).
        sweeps: sweeps over the blocks of a neuron that needs decomposition.
        seed: seed of the random layer data.
        progress: show a tqdm bar.
    """
    formulations = list(formulations)
    unknown = set(formulations) - set(FORMULATIONS)
    if unknown or not formulations:
        raise ValueError(f"formulations must be among {FORMULATIONS}, got {formulations}")
    bit_lists = {f: list(DEFAULT_BITS[f] if bits is None else bits) for f in formulations}
    if "rounding" in bit_lists and not set(bit_lists["rounding"]) <= set(DEFAULT_BITS["rounding"]):
        raise ValueError(f"the rounding QUBO's grids take 1 to 8 bits, got {bit_lists['rounding']}")
    fan_ins = [int(f) for f in fan_ins]
    if not fan_ins or min(fan_ins) < 1 or any(not b or min(b) < 1 for b in bit_lists.values()):
        raise ValueError("fan-ins and bits must be non-empty lists of positive integers")
    if neurons < 1 or num_reads < 1 or sweeps < 1:
        raise ValueError(f"neurons, num_reads and sweeps must be >= 1, got {neurons}, {num_reads}, {sweeps}")
    targets = [(p, GRAPHS[bool(y)], _on_graph(p, bool(y))) for p in _profiles(profiles) for y in yield_models]
    if not targets:
        raise ValueError("no profile or graph to study")
    points = [(form, f, b) for form in formulations for f in fan_ins for b in bit_lists[form]]
    pack_seconds: dict = {}
    rows = []
    with tqdm(total=len(points) * len(targets), desc="embedding cost", unit="point", disable=not progress) as bar:
        for form, fan_in, b in points:
            problem = _problem(form, fan_in, b, seed)
            for profile, graph, target in targets:
                bar.set_postfix_str(f"{form} f={fan_in} bits={b} {profile.name} {graph}", refresh=False)
                rows.append(_point(problem, target, profile.name, graph, form, fan_in, b, neurons=neurons,
                                   num_reads=num_reads, pack_limit=pack_limit, sweeps=sweeps,
                                   pack_seconds=pack_seconds))
                bar.update()
    order = {(p.name, g): i for i, (p, g, _) in enumerate(targets)}
    return sorted(rows, key=lambda r: (order[r["profile"], r["graph"]], formulations.index(r["formulation"]),
                                       r["fan_in"], r["bits"]))


def _profiles(profiles) -> list[HardwareProfile]:
    names = list_profiles() if profiles is None else list(profiles)
    return [p if isinstance(p, HardwareProfile) else load_profile(p) for p in names]


def _on_graph(profile: HardwareProfile, with_yield: bool) -> HardwareProfile:
    """The profile itself (its working graph), or a copy whose working graph is the ideal one."""
    if with_yield:
        return profile
    return HardwareProfile.from_dict({**profile.to_dict(), "yield_model": None})


def _problem(formulation: str, fan_in: int, bits: int, seed: int):
    """A layer's problem of ``formulation`` on random data (see module docstring)."""
    rng = np.random.default_rng([seed, fan_in])
    inputs = np.maximum(rng.normal(size=(CALIBRATION, fan_in)), 0.0)
    weight = rng.normal(scale=fan_in**-0.5, size=(LAYER, fan_in))
    bias = rng.normal(scale=0.1, size=LAYER)
    if formulation == "rounding":
        return rounding_problem(weight, bias, inputs, weight_grid=Grid.fit(weight, bits, scale="absmax"),
                                bias_grid=bias_grid(bias))
    features = np.hstack([inputs, np.ones((CALIBRATION, 1))])
    return fixed_point_problem(np.hstack([weight, bias[:, None]]), bits=bits, gram=features.T @ features)


def _point(problem, target, name, graph, formulation, fan_in, bits, *, neurons, num_reads, pack_limit, sweeps,
           pack_seconds) -> dict:
    embedder = clique_embedder(target)
    largest = embedder.largest_clique_size()
    m = problem.num_variables
    fits = m <= largest
    pack = fits and (pack_limit is None or m <= pack_limit)
    start = perf_counter()
    embedding = embedder.embed(min(m, largest))
    embed_s = perf_counter() - start
    stats = embedding_stats(embedding)
    start = perf_counter()
    calls = batch_calls(target, m, neurons, pack=pack, sweeps=sweeps, num_reads=num_reads, strategy=PACK_STRATEGY)
    pack_s = pack_seconds.setdefault((id(target), m), perf_counter() - start) if pack else 0.0
    row = {"profile": name, "graph": graph, "topology": embedder.topology, "formulation": formulation,
           "fan_in": fan_in, "bits": bits, "neurons": neurons, "num_reads": num_reads, "variables": m,
           "couplers": m * (m - 1) // 2, "largest_clique": largest, "fits": fits,
           "blocks": math.ceil(m / largest) if largest else 0, "qubits": stats.num_qubits,
           "max_chain": stats.max_chain_length, "mean_chain": stats.mean_chain_length,
           "cache_build_s": embedder.build_time_, "embed_s": embed_s, "pack_limit": pack_limit, "packed": pack,
           "neurons_per_call": calls["rows_per_call"], "pack_s": pack_s, "qpu_calls": calls["qpu_calls"],
           "qpu_access_s": calls["est_qpu_access_time_us"] / 1e6}
    return {**row, **(_precision(problem, target, embedding) if formulation == "rounding" else
                      dict.fromkeys(PRECISION_KEYS))}


def _precision(problem, target: HardwareProfile, embedding: Mapping) -> dict:
    """Couplings of the neuron (its first block when split, the rest at their base levels)
    after scaling onto ``embedding``, against the profile's J precision."""
    bqm = problem.qubo.bqm(0)
    if len(embedding) < len(bqm):
        bqm = condition_on(bqm, {v: 0 for v in range(len(embedding), len(bqm))})
    _, report = scale_to_profile(bqm, target, embedding=embedding)
    j_max = max(abs(j) for j in target.j_range)
    return {"j_dynamic_range_bits": report.dynamic_range_j_bits, "j_min": report.min_abs_j,
            "j_precision": report.precision_j, "j_hardware_bits": math.log2(j_max / report.precision_j),
            "j_below_precision": 0 < report.min_abs_j < report.precision_j, "scale_limit": report.limiting}


def largest_fan_in(row: Mapping) -> int:
    """The largest fan-in whose QUBO (in ``row``'s formulation and bits) fits ``row``'s graph.

    >>> largest_fan_in({"variables": 66, "fan_in": 32, "largest_clique": 180})  # 2 variables per weight
    89
    """
    per_weight = row["variables"] // (row["fan_in"] + 1)
    return row["largest_clique"] // per_weight - 1


def format_table(rows: Sequence[Mapping]) -> str:
    """Every point, one line each (``split xN``: the neuron needs N blocks of the largest clique)."""
    head = ("profile", "graph", "formulation", "fan-in", "bits", "vars", "fits", "qubits", "max chain",
            "mean chain", "embed ms", "packed", "neurons/call", "QPU calls", "QPU s", "J bits", "J min")
    lines = [[r["profile"], r["graph"], r["formulation"], r["fan_in"], r["bits"], r["variables"],
              "yes" if r["fits"] else f"split x{r['blocks']}", r["qubits"], r["max_chain"], f"{r['mean_chain']:.2f}",
              f"{1e3 * r['embed_s']:.3f}", "yes" if r["packed"] else "no", r["neurons_per_call"], r["qpu_calls"],
              f"{r['qpu_access_s']:.2f}",
              _j_bits(r), "" if r["j_min"] is None else f"{r['j_min']:.3g}{'*' if r['j_below_precision'] else ''}"]
             for r in rows]
    return text_table(head, lines, left=3)


def format_summary(rows: Sequence[Mapping]) -> str:
    """Pivot tables: largest fan-in that fits per bits; qubits per neuron; the rounding
    QUBO's coupling range and layer QPU time per bits."""
    limits: dict = {}  # (profile, graph) -> {column: largest fan-in}; rounding's is the same at every bits
    for r in rows:
        column = "rounding" if r["formulation"] == "rounding" else f"K{r['bits']}"
        limits.setdefault((r["profile"], r["graph"]), {"clique": r["largest_clique"]})[column] = largest_fan_in(r)
    columns = list(dict.fromkeys(c for cells in limits.values() for c in cells))
    parts = ["Largest fan-in whose neuron QUBO fits one clique (rounding: any bits; K: fixed point at K bits)\n"
             + text_table(("profile", "graph") + tuple(columns),
                          [list(key) + [cells.get(c, "") for c in columns] for key, cells in limits.items()], left=2)]
    for form in dict.fromkeys(r["formulation"] for r in rows):
        parts.append(f"Physical qubits per neuron, {form} ('-': needs decomposition)\n" + _pivot(
            [r for r in rows if r["formulation"] == form], lambda r: str(r["qubits"]) if r["fits"] else "-"))
    rounding = [r for r in rows if r["formulation"] == "rounding"]
    if rounding:
        hw = ", ".join(sorted({f"{r['j_hardware_bits']:.1f}" for r in rounding}))
        parts.append(f"Rounding QUBO: coupling dynamic range after scaling, bits (hardware: {hw} bits; "
                     "*: smallest |J| below the J precision)\n" + _pivot(rounding, _j_bits))
        parts.append(f"Rounding QUBO: estimated QPU access seconds for a layer of {rounding[0]['neurons']} neurons, "
                     f"{rounding[0]['num_reads']} reads per call\n"
                     + _pivot(rounding, lambda r: f"{r['qpu_access_s']:.1f}"))
    unpacked = [r for r in rows if r["fits"] and not r["packed"]]
    if unpacked:
        parts.append(f"Packing searched only for QUBOs of up to {unpacked[0]['pack_limit']} variables: larger ones "
                     f"that fit ({len(unpacked)} points) count one neuron per QPU call.")
    return "\n\n".join(parts)


def _pivot(rows, cell) -> str:
    """Lines (profile, graph, fan-in), columns bits."""
    bits = sorted({r["bits"] for r in rows})
    grid: dict = {}
    for r in rows:
        grid.setdefault((r["profile"], r["graph"], r["fan_in"]), {})[r["bits"]] = cell(r)
    return text_table(("profile", "graph", "fan-in") + tuple(f"b{b}" for b in bits),
                      [list(key) + [cells.get(b, "") for b in bits] for key, cells in grid.items()], left=2)


def _j_bits(row) -> str:
    if row["j_dynamic_range_bits"] is None:
        return ""
    return f"{row['j_dynamic_range_bits']:.1f}{'*' if row['j_below_precision'] else ''}"


def save_rows(rows: Sequence[Mapping], folder) -> dict:
    """Write ``embedding_cost.csv`` and ``embedding_cost.json`` into ``folder``; their paths."""
    folder = Path(folder)
    return {"csv": write_csv(folder / "embedding_cost.csv", rows, ROW_KEYS),
            "json": write_json(folder / "embedding_cost.json", list(rows))}
