"""QPU against simulated annealing, offline: re-solve a recorded run's neuron problems locally.

A run of any workflow recorded through a QPU-like route (``qpu``, ``qpu-packed``,
``mock-qpu``, ``mock-qpu-packed``, ``hybrid``) keeps, per problem row, the exact problem
(BQM), the route's SampleSet, the QPU timing and the chain figures
(:class:`annealq.records.Journal`).  Rows are grouped by journal step (a PTQ layer, a
training iteration): the tables' ``layer`` is the step, ``neuron`` the row id.
:func:`compare_run` reads only those records: no QPU, no token.  Every recorded problem is
solved again by the ``sa`` route at a matched budget (the recorded reads and sweeps) and at
larger ones (:class:`Budget`), and both sides are scored the same way:

* best energy (raw, before polish), gap to the best energy known for the neuron (the lowest
  of the route's reads, every SA read and the recorded polished answer), absolute and
  relative;
* success probability: the fraction of reads within ``tolerance`` (relative) of the best known;
* time to solution at 99%: ``t_read * ln(0.01) / ln(1 - p)``, ``t_read`` the QPU access
  time (a hybrid solver's run time) of the neuron's share of its calls, or SA's wall time,
  per read; ``inf`` when no read succeeded, ``t_read`` when ``p >= 0.99``;
* chain-break statistics of the route (chain strength, mean and max fraction of broken
  chains, fraction of reads with a broken chain, chain lengths, qubits, calls);
* for workflows that declare a scorer (PTQ), the test accuracy of the model decoded from each
  side (:func:`annealq.ptq.decoded.decoded_accuracy`).

Energies are each neuron's reconstruction error (the QUBO's offset included), so layer and
run figures are sums over neurons; ``tts99`` of a layer is the median over its neurons.

Example:
    >>> import tempfile, warnings, torch, annealq
    >>> from annealq.records import Journal
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> run = tempfile.mkdtemp()
    >>> config = annealq.QuantConfig(bits=2, route="mock-qpu:Advantage_system4.1", num_reads=5, num_sweeps=100)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with Journal(run) as journal:
    ...         _ = annealq.quantize(model, torch.rand(32, 6), config, journal=journal)
    >>> report = compare_run(run)
    >>> report.solvers, len(report.neurons), [row["layer"] for row in report.layers if row["solver"] == "qpu"]
    (['qpu', 'sa', 'sa_x10'], 6, ['0', '2'])
"""
from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from annealq.records import Journal, JournalError
from annealq.samplers.router import route_kind
from annealq.samplers.router import sampler as make_sampler
from annealq.samplers.roles import accepted
from annealq.report.tables import finite, write_csv, write_json

#: Sweeps of a recorded answer whose route was sent none (dwave-samplers' default).
DEFAULT_SWEEPS = 1000
#: Absolute slack on top of the relative tolerance: float round-off of dense neuron energies.
ENERGY_ATOL = 1e-9
#: Recorded D-Wave timings are in microseconds.
MICROSECONDS = 1e-6

Progress = Callable[[str, int, int], None]


class RunRecordsError(ValueError):
    """A run folder holds nothing to compare (no records, only local routes, no problems kept)."""


@dataclass(frozen=True)
class Budget:
    """A simulated-annealing budget as multiples of the recorded reads and sweeps.

    >>> Budget().name, Budget(reads_factor=10).name, Budget(10, 2).apply(20, 1000)
    ('sa', 'sa_x10', (200, 2000))
    """

    reads_factor: float = 1.0
    sweeps_factor: float = 1.0

    def __post_init__(self):
        if not (self.reads_factor > 0 and self.sweeps_factor > 0):
            raise ValueError(f"budget factors must be positive, got reads x{self.reads_factor:g}, "
                             f"sweeps x{self.sweeps_factor:g}")

    @property
    def name(self) -> str:
        """``sa`` for the matched budget, else ``sa_x<reads>`` (``_s<sweeps>`` when sweeps change)."""
        if self.reads_factor == self.sweeps_factor == 1:
            return "sa"
        return f"sa_x{self.reads_factor:g}" + (f"_s{self.sweeps_factor:g}" if self.sweeps_factor != 1 else "")

    def apply(self, num_reads: int, num_sweeps: int) -> tuple[int, int]:
        """Reads and sweeps of this budget given the recorded ones."""
        return max(1, round(num_reads * self.reads_factor)), max(1, round(num_sweeps * self.sweeps_factor))


DEFAULT_BUDGETS = (Budget(), Budget(reads_factor=10))


@dataclass
class Comparison:
    """What :func:`compare_run` found; every list holds plain dicts (table rows).

    Attributes:
        run_dir: the run folder read.
        solvers: ``qpu`` (the recorded route, whatever it was) then one name per SA budget.
        budgets: per SA budget, its name and factors.
        tolerance: relative energy tolerance of a success.
        configs: per recorded config: label, key, route, bits, reads, sweeps, neurons,
            ``float_accuracy`` and ``accuracy_note`` (why accuracy is missing, if it is).
        neurons: per neuron: ``best_known``, ``polished_energy`` and, per solver ``s``,
            ``s_energy``, ``s_gap``, ``s_rel_gap``, ``s_success``, ``s_reads``, ``s_seconds``,
            ``s_tts99``; plus the route's chain figures and ``qpu_estimated_seconds``.
        layers: per config, layer and solver: summed ``energy``, ``best_known`` and ``gap``,
            ``rel_gap`` (summed gap / summed best known), ``solved`` (fraction of neurons that
            reached the best known), ``success`` (mean per-neuron success probability),
            ``tts99`` (median over neurons, seconds), ``seconds`` (total).
        chains: per config and layer: the route's chain-break statistics.
        overall: per config and solver, as ``layers`` over all neurons, with the decoded
            model's ``accuracy`` and summed ``recon_error`` (None when unavailable).
    """

    run_dir: str
    solvers: list[str]
    budgets: list[dict]
    tolerance: float
    configs: list[dict] = field(default_factory=list)
    neurons: list[dict] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)
    chains: list[dict] = field(default_factory=list)
    overall: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: non-finite numbers become None (``tts99`` None: no read succeeded)."""
        return finite(dataclasses.asdict(self))


# -- per-read measures --------------------------------------------------------------------

def success_probability(energies, occurrences, best: float, tolerance: float) -> float:
    """Fraction of reads with energy within ``tolerance`` (relative) of ``best``.

    >>> success_probability([1.0, 1.0, 2.0], [2, 1, 1], best=1.0, tolerance=1e-6)
    0.75
    """
    energies, occurrences = np.asarray(energies, dtype=float), np.asarray(occurrences, dtype=float)
    hit = energies <= best + tolerance * abs(best) + ENERGY_ATOL
    return float(occurrences[hit].sum() / occurrences.sum()) if occurrences.sum() > 0 else 0.0


def tts99(seconds_per_read: float | None, p: float) -> float | None:
    """Time to reach the best known energy with 99% confidence, from independent reads.

    >>> tts99(0.001, 0.5) == 0.001 * math.log(0.01) / math.log(0.5), tts99(0.001, 0.0), tts99(0.001, 1.0)
    (True, inf, 0.001)
    """
    if seconds_per_read is None:
        return None
    if p >= 0.99:
        return seconds_per_read
    if p <= 0:
        return math.inf
    return seconds_per_read * math.log(0.01) / math.log(1 - p)


def success_within_reads(successes: int, reads: int) -> np.ndarray:
    """Chance that ``R`` of the ``reads`` reads, drawn at random, hold at least one of the
    ``successes``, for ``R = 1 .. reads``: measured, not extrapolated from ``p``.

    >>> success_within_reads(1, 4).tolist()
    [0.25, 0.5, 0.75, 1.0]
    """
    j = np.arange(reads)
    return 1 - np.cumprod(np.clip((reads - successes - j) / (reads - j), 0, None))


def route_seconds(record: dict) -> float | None:
    """The recorded solver time of one neuron's answer, in seconds: QPU access time (a hybrid
    solver's ``run_time``) divided among the neurons that shared the call."""
    timing = json.loads(record["timing"] or "{}")
    key = "run_time" if route_kind(record["solved_by"]) == "hybrid" else "qpu_access_time"
    if timing.get(key) is None:
        return None
    return timing[key] * MICROSECONDS / (record["rows_per_call"] or 1)


def qpu_like(route: str | None) -> bool:
    """Whether answers of ``route`` came from a QPU-like solver (what compares)."""
    return route is not None and route_kind(route, strict=False) in ("qpu", "hybrid")


# -- one neuron ---------------------------------------------------------------------------

def _side(name: str, energies, occurrences, seconds: float | None, best: float, tolerance: float) -> dict:
    reads = int(np.sum(occurrences))
    p = success_probability(energies, occurrences, best, tolerance)
    energy = float(np.min(energies))
    gap = energy - best if energy - best > ENERGY_ATOL else 0.0
    rel = gap / abs(best) if best != 0 else (0.0 if gap <= ENERGY_ATOL else math.inf)
    return {f"{name}_energy": energy, f"{name}_gap": gap, f"{name}_rel_gap": rel, f"{name}_success": p,
            f"{name}_reads": reads, f"{name}_seconds": seconds,
            f"{name}_tts99": tts99(None if seconds is None else seconds / reads, p)}


def _chains(record: dict, sampleset) -> dict:
    record_fields = sampleset.record.dtype.names
    broken = None
    if "chain_break_fraction" in record_fields and len(sampleset):
        occ = sampleset.record.num_occurrences
        broken = float(occ[sampleset.record.chain_break_fraction > 0].sum() / occ.sum())
    estimate = sampleset.info.get("estimated_qpu_access_time")
    share = record["rows_per_call"] or 1
    return {"chain_strength": record["chain_strength"], "chain_break_fraction": record["chain_break_fraction"],
            "broken_reads": broken, "max_chain_length": record["max_chain_length"],
            "physical_qubits": record["physical_qubits"], "qpu_calls": record["qpu_calls"],
            "neurons_per_call": record["rows_per_call"],
            "qpu_estimated_seconds": None if estimate is None else estimate * MICROSECONDS / share}


def compare_neuron(journal: Journal, record: dict, budgets=DEFAULT_BUDGETS, tolerance: float = 1e-6) -> dict:
    """One row's comparison: its recorded answer against ``sa`` at each budget (see :class:`Comparison`)."""
    bqm = journal.model(record)
    if bqm is None or record["kind"] != "bqm":
        raise RunRecordsError(f"{journal.run_dir}: the record of step {record['step']!r} row {record['row']} has no "
                              "BQM (stored with Journal(keep_problems=False), or a CQM); compare re-solves the "
                              "recorded BQMs: record the run again with keep_problems=True")
    answer = journal.sampleset(record)
    sides = {"qpu": (bqm.energies((answer.record.sample, answer.variables)), answer.record.num_occurrences,
                     route_seconds(record))}
    params = json.loads(record["parameters"])
    sa = make_sampler("sa")
    for budget in budgets:
        reads, sweeps = budget.apply(*recorded_budget(answer, params))
        start = time.perf_counter()
        result = sa.sample(bqm, **accepted(sa, {"num_reads": reads, "num_sweeps": sweeps, "seed": params.get("seed")}))
        result.resolve()
        seconds = time.perf_counter() - start
        sides[budget.name] = (bqm.energies((result.record.sample, result.variables)), result.record.num_occurrences,
                              seconds)
    best = min([record["energy"]] + [float(np.min(e)) for e, _, _ in sides.values()])
    row = {"workflow": record["workflow"], "layer": record["step"], "neuron": record["row"],
           "num_variables": bqm.num_variables,
           "problem_hash": record["problem_hash"], "best_known": best, "polished_energy": record["energy"]}
    for name, (energies, occurrences, seconds) in sides.items():
        row.update(_side(name, energies, occurrences, seconds, best, tolerance))
    row.update(_chains(record, answer))
    return row


# -- summaries ----------------------------------------------------------------------------

def _total(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.sum(values)) if values else None


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def summarize(rows: list[dict], solver: str) -> dict:
    """Figures of ``solver`` over some neuron rows (a layer, a run): see :class:`Comparison`."""
    energy = _total(r[f"{solver}_energy"] for r in rows)
    best = _total(r["best_known"] for r in rows)
    gap = _total(r[f"{solver}_gap"] for r in rows)
    tts = [r[f"{solver}_tts99"] for r in rows if r[f"{solver}_tts99"] is not None]
    return {"solver": solver, "neurons": len(rows), "energy": energy, "best_known": best, "gap": gap,
            "rel_gap": gap / abs(best) if best else (0.0 if gap <= ENERGY_ATOL else math.inf),
            "solved": float(np.mean([r[f"{solver}_success"] > 0 for r in rows])),
            "success": float(np.mean([r[f"{solver}_success"] for r in rows])),
            "tts99": float(np.median(tts)) if tts else None,
            "seconds": _total(r[f"{solver}_seconds"] for r in rows)}


def chain_summary(rows: list[dict]) -> dict:
    """The route's chain-break statistics over some neuron rows."""
    fractions = [r["chain_break_fraction"] for r in rows if r["chain_break_fraction"] is not None]
    return {"neurons": len(rows), "chain_strength": _mean(r["chain_strength"] for r in rows),
            "chain_break_fraction": _mean(fractions), "chain_break_fraction_max": max(fractions, default=None),
            "broken_reads": _mean(r["broken_reads"] for r in rows),
            "max_chain_length": max((r["max_chain_length"] or 0 for r in rows), default=None) or None,
            "physical_qubits": max((r["physical_qubits"] or 0 for r in rows), default=None) or None,
            "qpu_calls": _total((r["qpu_calls"] or 0) / (r["neurons_per_call"] or 1) for r in rows),
            "qpu_seconds": _total(r["qpu_seconds"] for r in rows),
            "qpu_estimated_seconds": _total(r["qpu_estimated_seconds"] for r in rows)}


# -- the run ------------------------------------------------------------------------------

def recorded_budget(answer, parameters: dict) -> tuple[int, int]:
    """Reads and sweeps of a recorded answer: the reads it holds, the sweeps it was sent (else SA's default)."""
    reads = int(answer.record.num_occurrences.sum()) or 1
    return reads, int(parameters.get("num_sweeps") or DEFAULT_SWEEPS)


def _records(run_dir: Path) -> tuple[Journal, list[dict]]:
    hint = ("record a run through a QPU-like route first, e.g. `annealq quantize --methods qubo "
            "--route mock-qpu:Advantage_system4.1 --out RUN_DIR`")
    try:
        journal = Journal(run_dir, read_only=True)
    except JournalError as err:
        raise RunRecordsError(f"{err}; {hint}") from None
    rows = journal.records(unique=True)  # each answer once, however many runs reused it
    if not rows:
        raise RunRecordsError(f"{run_dir} holds no answers: {hint}")
    qpu_rows = [r for r in rows if qpu_like(r["solved_by"])]
    if not qpu_rows:
        routes = ", ".join(sorted({str(r["solved_by"]) for r in rows}))
        raise RunRecordsError(f"{run_dir} holds only local-route records ({routes}); compare re-solves answers "
                              f"of a QPU-like route (qpu, qpu-packed, mock-qpu, mock-qpu-packed, hybrid): {hint}")
    first = {}
    for r in qpu_rows:  # steps in the order they were solved (forward order)
        key = r["config_key"], r["step"]
        first[key] = min(first.get(key, r["created"]), r["created"])
    qpu_rows.sort(key=lambda r: (first[r["config_key"], r["step"]], r["row"]))
    return journal, qpu_rows


def _label(config) -> str:
    """A run config's label: its kind, its bits where it has them, its route."""
    bits = f" int{config.bits}" if isinstance(getattr(config, "bits", None), int) else ""
    return f"{type(config).__name__}{bits} {getattr(config, 'solver', config).route}"


def _recorded_budgets(journal: Journal, records: list[dict]) -> tuple[int, int]:
    """The largest reads and sweeps the recorded answers were sent (a route's own default included)."""
    budgets = [recorded_budget(journal.sampleset(r), json.loads(r["parameters"])) for r in records]
    return max(b[0] for b in budgets), max(b[1] for b in budgets)


def compare_run(run_dir, *, budgets=DEFAULT_BUDGETS, tolerance: float = 1e-6, accuracy: bool = True,
                model=None, data=None, progress: Progress | None = None) -> Comparison:
    """Compare every QPU-like answer recorded in ``run_dir`` with local SA (module docstring).

    Args:
        run_dir: a run folder (:class:`annealq.records.Journal`); only records are read.
        budgets: SA budgets (:class:`Budget`), the matched one first by default.
        tolerance: relative energy tolerance of a success.
        accuracy: also decode models and measure their test accuracy.
        model, data: the float model and its dataset (:class:`annealq.data.Dataset`); by
            default those named by ``run_dir/run.json``; without either, accuracy is
            reported as unavailable.
        progress: called as ``progress(stage, done, total)``.
    """
    run_dir = Path(run_dir)
    budgets = list(budgets)
    if not budgets:
        raise ValueError("compare needs at least one SA budget, e.g. Budget() (the recorded reads and sweeps)")
    if (model is None) != (data is None):
        raise ValueError("pass both model and data (the float model and its annealq Dataset), or neither")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be a non-negative relative energy, got {tolerance!r}")
    solvers = ["qpu"] + [b.name for b in budgets]
    if len(set(solvers)) != len(solvers):
        raise ValueError(f"SA budgets must differ from each other, got {[b.name for b in budgets]}")
    journal, records = _records(run_dir)
    configs = {key: journal.config(key) for key in dict.fromkeys(r["config_key"] for r in records)}
    report = Comparison(str(run_dir), solvers, [{"name": b.name, **dataclasses.asdict(b)} for b in budgets],
                        tolerance)
    tick = progress or (lambda stage, done, total: None)
    for done, record in enumerate(records, 1):
        row = {"config": _label(configs[record["config_key"]]), "config_key": record["config_key"]}
        row.update(compare_neuron(journal, record, budgets, tolerance))
        report.neurons.append(row)
        tick("re-solve", done, len(records))
    for key, config in configs.items():
        workflow = next(r["workflow"] for r in records if r["config_key"] == key)
        scorer = _scorer(workflow) if accuracy else None
        _summarize_config(report, journal, records, key, config, budgets, scorer, accuracy, tick,
                          dict(run_dir=run_dir, model=model, data=data))
    return report


def _scorer(workflow: str):
    """The workflow's decoded-accuracy scorer (declared with the workflow), or None."""
    from importlib import import_module

    from annealq.workflows import workflows

    declared = workflows().get(workflow)
    if declared is None or declared.scorer is None:
        return None
    module, _, name = declared.scorer.partition(":")
    return getattr(import_module(module), name)


def _summarize_config(report: Comparison, journal: Journal, records: list[dict], key: str, config, budgets,
                      scorer, accuracy: bool, tick, source: dict) -> None:
    rows = [r for r in report.neurons if r["config_key"] == key]
    head = {"config": _label(config), "config_key": key}
    for layer in dict.fromkeys(r["layer"] for r in rows):
        in_layer = [r for r in rows if r["layer"] == layer]
        report.layers.extend({**head, "layer": layer, **summarize(in_layer, s)} for s in report.solvers)
        if any(r["chain_strength"] is not None for r in in_layer):
            report.chains.append({**head, "layer": layer, **chain_summary(in_layer)})
    reads, sweeps = _recorded_budgets(journal, [r for r in records if r["config_key"] == key])
    info = {**head, "route": getattr(config, "solver", config).route, "bits": getattr(config, "bits", None),
            "num_reads": reads, "num_sweeps": sweeps, "neurons": len(rows), "float_accuracy": None,
            "accuracy_note": None}
    scores = {}
    if not accuracy:
        info["accuracy_note"] = "not measured (accuracy=False)"
    elif scorer is None:
        info["accuracy_note"] = "decoded accuracy is measured for PTQ runs; this workflow reports its own"
    else:
        sa_budgets = {b.name: b.apply(reads, sweeps) for b in budgets}
        scores = scorer(journal, config, sa_budgets, progress=lambda done, total: tick(
            f"accuracy {info['config']}", done, total), **source)
        info["float_accuracy"], info["accuracy_note"] = scores["float"], scores["note"]
    report.configs.append(info)
    for s in report.solvers:
        figures = scores.get(s, {"accuracy": None, "recon_error": None})
        report.overall.append({**head, **summarize(rows, s), **figures})


# -- tables and files ---------------------------------------------------------------------

def _number(value, spec: str = ".4g") -> str:
    if value is None:
        return "-"
    return "inf" if value == math.inf else format(value, spec)


def _percent(value) -> str:
    return "-" if value is None else ("inf" if value == math.inf else f"{100 * value:.2f}%")


def _solver_line(r: dict, first: str) -> str:
    return (f"{first:<8} {r['solver']:<10} {r['neurons']:>7} {_number(r['energy']):>11} {_number(r['gap']):>10} "
            f"{_percent(r['rel_gap']):>9} {_percent(r['solved']):>8} {r['success']:>8.3f} "
            f"{_number(r['tts99'], '.3g'):>9} {_number(r['seconds'], '.3g'):>9}")


_SOLVER_HEAD = (f"{'solver':<10} {'neurons':>7} {'energy':>11} {'gap':>10} {'rel_gap':>9} {'solved':>8} "
                f"{'success':>8} {'tts99_s':>9} {'seconds':>9}")


def format_layers(report: Comparison) -> str:
    """Per config, per layer and solver: energies, gaps, success, TTS99 (seconds)."""
    blocks = []
    for config in report.configs:
        rows = [r for r in report.layers if r["config_key"] == config["config_key"]]
        head = f"{'layer':<8} " + _SOLVER_HEAD
        lines = [f"{config['config']} ({config['num_reads']} reads x {config['num_sweeps']} sweeps recorded)",
                 head, "-" * len(head)]
        lines += [_solver_line(r, r["layer"]) for r in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_chains(report: Comparison) -> str:
    """Per config and layer: the route's chain-break statistics."""
    head = (f"{'layer':<8} {'strength':>9} {'broken':>8} {'max':>8} {'reads_br':>9} {'chain':>6} {'qubits':>7} "
            f"{'calls':>6} {'qpu_s':>9} {'est_qpu_s':>10}")
    blocks = []
    for config in report.configs:
        lines = [f"{config['config']}: chain strength, broken chains (mean, max), reads with a broken chain, "
                 "longest chain, qubits, QPU calls, QPU time (recorded, estimated)", head, "-" * len(head)]
        for r in (r for r in report.chains if r["config_key"] == config["config_key"]):
            lines.append(f"{r['layer']:<8} {_number(r['chain_strength'], '.3g'):>9} "
                         f"{_percent(r['chain_break_fraction']):>8} {_percent(r['chain_break_fraction_max']):>8} "
                         f"{_percent(r['broken_reads']):>9} {_number(r['max_chain_length']):>6} "
                         f"{_number(r['physical_qubits']):>7} {_number(r['qpu_calls'], '.0f'):>6} "
                         f"{_number(r['qpu_seconds'], '.3g'):>9} {_number(r['qpu_estimated_seconds'], '.3g'):>10}")
        if len(lines) > 3:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_overall(report: Comparison) -> str:
    """Per config and solver over all neurons, with the decoded models' accuracy."""
    blocks = []
    for config in report.configs:
        rows = [r for r in report.overall if r["config_key"] == config["config_key"]]
        head = f"{'':<8} " + _SOLVER_HEAD + f" {'accuracy':>9} {'recon_error':>12}"
        lines = [f"{config['config']}: float accuracy {_percent(config['float_accuracy'])}", head, "-" * len(head)]
        lines += [_solver_line(r, "all") + f" {_percent(r['accuracy']):>9} {_number(r['recon_error']):>12}"
                  for r in rows]
        if config["accuracy_note"]:
            lines.append(f"accuracy: {config['accuracy_note']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_report(report: Comparison) -> str:
    """All tables: per layer, chain breaks, overall."""
    parts = [format_layers(report)]
    if report.chains:
        parts.append(format_chains(report))
    parts.append(format_overall(report))
    return "\n\n".join(parts)


def save_report(report: Comparison, folder) -> dict[str, Path]:
    """Write ``compare.json`` (everything) and one CSV per table; returns the paths by name."""
    folder = Path(folder)
    paths = {"json": write_json(folder / "compare.json", report.to_dict())}
    for name in ("configs", "neurons", "layers", "chains", "overall"):
        rows = getattr(report, name)
        if rows:
            paths[name] = write_csv(folder / f"{name}.csv", rows)
    return paths
