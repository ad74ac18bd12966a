"""The dry run of any workflow: the same problems, embedded and priced on QPU profiles, nothing sent.

The workflow runs as it would, its annealer replaced by the ``price`` route of each profile: the
QPU stack of the real route (clique embedding, block decomposition, packing when the route packs,
chain strength, range scaling, the profile's timing model) over random reads instead of a QPU,
so every problem the run would send (convolutions, scale refits, iterations, blocks) is built,
embedded and counted.  A loop that stops on a tolerance may take another number of iterations on
a real QPU than on random reads; loops of a fixed length are priced exactly.

Example:
    >>> import torch, annealq
    >>> from annealq.samplers import SolverConfig
    >>> model = torch.nn.Sequential(torch.nn.Linear(6, 3))
    >>> def run(solver, journal):
    ...     config = annealq.QuantConfig(bits=2, **{k: getattr(solver, k) for k in ("route", "num_reads", "seed")})
    ...     annealq.quantize(model, torch.rand(16, 6), config, journal=journal)
    >>> tables = price(run, SolverConfig(route="qpu"), ["Advantage_system4.1"], ("bits",))
    >>> [(r["run"], r["step"], r["problems"], r["variables"]) for r in tables["Advantage_system4.1"]][:1]
    [('bits=2', '0', 3, 7)]
"""
from __future__ import annotations

import dataclasses
import tempfile
import warnings
from typing import Callable

from annealq.report.tables import Column, table

DEFAULT_PROFILE = "Advantage_system4.1"
DEFAULT_READS = 100
COLUMNS = (Column("run"), Column("step"), Column("problems"), Column("variables", "max variables"),
           Column("qubits", "max qubits"), Column("chain", "longest chain"), Column("per_call", "problems/call"),
           Column("bound", "qubit bound"), Column("calls", "QPU calls", "number"),
           Column("seconds", "est. QPU s", "number"))


def profiles_for(route: str, option: str | None) -> list[str]:
    """The profiles a dry run prices on: ``--profile`` (comma-separated), else the route's own, else
    :data:`DEFAULT_PROFILE`."""
    from annealq.profiles import list_profiles, load_profile
    from annealq.samplers.router import route_argument

    if option:
        names = [p.strip() for p in option.split(",") if p.strip()]
    else:
        arg = route_argument(route)
        names = [arg] if arg and (arg in list_profiles() or arg.endswith(".json")) else [DEFAULT_PROFILE]
    for name in names:
        load_profile(name)  # an unknown profile is said now
    return names


def price_route(route: str, profile: str) -> str:
    """The ``price`` route standing in for ``route`` on ``profile`` (packed when ``route`` packs)."""
    from annealq.samplers.router import parse_route

    packed = parse_route(route)[0] in ("qpu-packed", "mock-qpu-packed")
    return f"{'price-packed' if packed else 'price'}:{profile}"


def price(run: Callable, solver, profiles: list[str], row_key=()) -> dict[str, list[dict]]:
    """Run ``run(solver, journal)`` once per profile on its ``price`` route; per profile, one row per
    run config and step: problems, largest problem, qubits, longest chain, problems per call and
    the qubit bound of that size (:func:`~annealq.embedding.calls.qubit_bound`, ``'split'`` past
    the largest clique), calls and QPU time.

    ``solver`` is the run's :class:`~annealq.samplers.SolverConfig`; reads default to
    :data:`DEFAULT_READS` per call where the route would pick its own."""
    from annealq.embedding.calls import qubit_bound
    from annealq.profiles import load_profile
    from annealq.records import Journal

    out = {}
    for profile in profiles:
        priced = dataclasses.replace(solver, route=price_route(solver.route, profile), workers=1,
                                     num_reads=solver.num_reads or DEFAULT_READS)
        with tempfile.TemporaryDirectory() as folder, Journal(folder) as journal, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # precision notes of random reads are no news here
            run(priced, journal)
            out[profile] = _rows(journal, row_key)
        for row in out[profile]:
            row["bound"] = qubit_bound(load_profile(profile), row["variables"]) or "split"
    return out


def _rows(journal, row_key) -> list[dict]:
    groups: dict = {}
    for record in journal.records(unique=True):
        config = journal.config(record["config_key"])
        label = " ".join(f"{k}={getattr(config, k)}" for k in row_key if hasattr(config, k)) or record["workflow"]
        share = 1.0 / (record["rows_per_call"] or 1)
        estimate = journal.sampleset(record).info.get("estimated_qpu_access_time") or 0.0
        g = groups.setdefault((label, record["step"]), {"run": label, "step": record["step"], "problems": 0,
                                                        "variables": 0, "qubits": 0, "chain": 0, "per_call": 0,
                                                        "calls": 0.0, "seconds": 0.0})
        g["problems"] += 1
        g["variables"] = max(g["variables"], record["num_variables"])
        g["qubits"] = max(g["qubits"], record["physical_qubits"] or 0)
        g["chain"] = max(g["chain"], record["max_chain_length"] or 0)
        g["per_call"] = max(g["per_call"], record["rows_per_call"] or 1)
        g["calls"] += (record["qpu_calls"] or 1) * share
        g["seconds"] += estimate * share * 1e-6
    return list(groups.values())


def format_prices(tables: dict[str, list[dict]], reads: int) -> str:
    """One table per profile, with its totals."""
    parts = []
    for profile, rows in tables.items():
        total = {"run": "total", "step": "", "problems": sum(r["problems"] for r in rows),
                 "variables": max((r["variables"] for r in rows), default=0),
                 "qubits": max((r["qubits"] for r in rows), default=0),
                 "chain": max((r["chain"] for r in rows), default=0), "per_call": "", "bound": "",
                 "calls": sum(r["calls"] for r in rows),
                 "seconds": sum(r["seconds"] for r in rows)}
        parts.append(f"{profile} ({reads} reads per call), nothing sent:\n" + table([*rows, total], COLUMNS))
    return "\n\n".join(parts)
