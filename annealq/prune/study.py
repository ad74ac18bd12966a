"""Selector studies over seeds: every criterion under every selector (plus QUBO variants), mean and spread.

What the benchmarks (``benchmarks/prune_*.py``) run; each function returns plain row dicts.

- :func:`selector_rows`: one row per (seed, sparsity, variant); a variant is a labelled method
  with config overrides, e.g. ``("fisher-qubo[second-order]", "fisher-qubo", {"quadratic": "second-order"})``.
- :func:`summarize`: mean, sample standard deviation and count per (task, label, sparsity), on the
  test and the held-out split.
- :func:`budget_rows`: the refinement (``swap``, ``tt``) at several evaluation budgets from one
  start, scored on the held-out split while searching and reported on the test split.
- :func:`margins`: a label's mean minus the best mean of the baselines, per sparsity.

Example:
    >>> rows = [{"task": "t", "label": "a", "sparsity": 0.5, "value": v, "validation": v} for v in (1.0, 3.0)]
    >>> s = summarize(rows)[0]
    >>> s["mean"], round(s["std"], 4), s["n"]
    (2.0, 1.4142, 2)
    >>> margins(summarize(rows + [{**r, "label": "b", "value": 1.5} for r in rows]), "b", ["a"])
    {0.5: -0.5}
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

import numpy as np

from annealq.prune.config import PruneConfig
from annealq.prune.pipeline import prune
from annealq.prune.registry import SELECTOR_ROWS

#: candidate quadratic terms measured against the default (activation redundancy) QUBO
QUBO_VARIANTS = (("fisher-qubo[second-order]", "fisher-qubo", {"quadratic": "second-order"}),
                 ("fisher-qubo[second-order,3 rounds]", "fisher-qubo", {"quadratic": "second-order", "rounds": 3}),
                 ("fisher-qubo[joint]", "fisher-qubo", {"quadratic": "second-order", "scope": "joint"}),
                 ("taylor-qubo[second-order]", "taylor-qubo", {"quadratic": "second-order"}))


def variants(methods=SELECTOR_ROWS, extra=QUBO_VARIANTS) -> list[tuple[str, str, dict]]:
    """``(label, method, overrides)`` for ``methods`` (no overrides) followed by ``extra``."""
    return [(m, m, {}) for m in methods] + list(extra)


def selector_rows(task_for_seed: Callable[[int], object], seeds, sparsities, base: PruneConfig = PruneConfig(), *,
                  variants_=None, on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """One row per (seed, sparsity, variant): ``task``, ``label``, ``method``, ``seed``, ``sparsity``, ``metric``,
    ``value`` (test), ``validation`` (held-out), ``dense``, ``kept``, ``units``, ``seconds``."""
    rows = []
    for seed in seeds:
        task = task_for_seed(seed)
        dense = task.test(task.model)
        for sparsity in sparsities:
            for label, method, overrides in variants_ or variants():
                config = replace(base, sparsity=sparsity, method=method, seed=seed,
                                 solver=replace(base.solver, seed=seed), **overrides)
                result = prune(task.model, task.calibration, config, evaluate=task.validate)
                row = {"task": task.name, "label": label, "method": method, "overrides": overrides, "seed": seed,
                       "sparsity": sparsity, "metric": task.metric, "value": task.test(result.model),
                       "validation": task.validate(result.model), "dense": dense, "kept": result.kept,
                       "units": sum(layer["units"] for layer in result.layers.values()), "seconds": result.seconds}
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows


def summarize(rows: list[dict], keys=("task", "label", "sparsity")) -> list[dict]:
    """Mean, sample std (0 for one seed) and count of ``value`` and ``validation`` per ``keys``."""
    groups: dict = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, members in groups.items():
        v = np.array([m["value"] for m in members], dtype=float)
        h = np.array([m["validation"] for m in members], dtype=float)
        out.append({**dict(zip(keys, key)), "mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                    "n": int(v.size), "validation_mean": float(h.mean())})
    return out


def margins(summary: list[dict], label: str, baselines, value: str = "mean") -> dict:
    """``{sparsity: label's mean - best baseline mean}`` (positive: ``label`` wins)."""
    by = {(s["label"], s["sparsity"]): s[value] for s in summary}
    out = {}
    for (name, sparsity), v in by.items():
        if name == label:
            rivals = [by[(b, sparsity)] for b in baselines if (b, sparsity) in by]
            if rivals:
                out[sparsity] = float(v - max(rivals))
    return out


def paired_margins(rows: list[dict], label: str, baselines) -> dict:
    """``{sparsity: {"mean", "std", "wins", "n"}}`` of ``label``'s value minus the best baseline value of the
    same seed (a stricter comparison than the difference of means: the best baseline may change by seed)."""
    by = {(r["label"], r["sparsity"], r["seed"]): r["value"] for r in rows}
    out = {}
    for sparsity in dict.fromkeys(r["sparsity"] for r in rows):
        diffs = [by[(label, sparsity, seed)] - max(by[(b, sparsity, seed)] for b in baselines)
                 for seed in dict.fromkeys(r["seed"] for r in rows)
                 if (label, sparsity, seed) in by and all((b, sparsity, seed) in by for b in baselines)]
        if diffs:
            d = np.array(diffs)
            out[sparsity] = {"mean": float(d.mean()), "std": float(d.std(ddof=1)) if d.size > 1 else 0.0,
                             "wins": int((d > 0).sum()), "n": int(d.size)}
    return out


def format_summary(summary: list[dict], title: str = "") -> str:
    """Labels down, sparsities across: ``mean +- std`` of the test metric (n seeds)."""
    sparsities = sorted({s["sparsity"] for s in summary})
    labels = list(dict.fromkeys(s["label"] for s in summary))
    by = {(s["label"], s["sparsity"]): s for s in summary}
    n = max(s["n"] for s in summary)
    width = max(len(label) for label in labels) + 2
    lines = [f"{title}  test metric, mean +- std over {n} seeds".strip(),
             f"{'method':<{width}}" + "".join(f"{f's={s:g}':>17}" for s in sparsities)]
    for label in labels:
        cells = [by.get((label, s)) for s in sparsities]
        lines.append(f"{label:<{width}}" + "".join(f"{c['mean']:>9.4f} +-{c['std']:<6.4f}" if c else f"{'':>17}"
                                              for c in cells))
    return "\n".join(lines)


def budget_rows(task, sparsity: float, base: PruneConfig, budgets=(40, 200, 1000), refinements=("swap", "tt"), *,
                start: str = "fisher-qubo", seed: int = 0) -> list[dict]:
    """``<start>-refined`` with each refinement at each budget: test and held-out values of the start and
    of the result, evaluations spent, sweeps, seconds."""
    rows = []
    first = replace(base, sparsity=sparsity, method=start, seed=seed, solver=replace(base.solver, seed=seed))
    start_value = task.test(prune(task.model, task.calibration, first).model)
    for refinement in refinements:
        for budget in budgets:
            config = replace(first, method=f"{start}-refined", refine=refinement, refine_budget=budget)
            began = time.perf_counter()
            result = prune(task.model, task.calibration, config, evaluate=task.validate)
            ref = result.refinement
            rows.append({"task": task.name, "refine": refinement, "budget": budget, "sparsity": sparsity,
                         "seed": seed, "start": start, "start_value": start_value,
                         "value": task.test(result.model), "validation_start": ref.start_value,
                         "validation": ref.value, "evaluations": ref.evaluations, "sweeps": ref.sweeps,
                         "seconds": time.perf_counter() - began})
    return rows


#: the strongest classical selectors the QUBO is measured against (the research targets)
BASELINES = ("fisher-topk", "fisher-greedy", "taylor-greedy")


def refinement_summary(rows: list[dict]) -> list[dict]:
    """Per (task, refine, budget): mean and std over seeds of the test gain over the start, and of the
    held-out gain, the evaluations spent and the sweeps."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["task"], r["refine"], r["budget"]), []).append(r)
    out = []
    for (task, refinement, budget), members in groups.items():
        gain = np.array([m["value"] - m["start_value"] for m in members])
        held = np.array([m["validation"] - m["validation_start"] for m in members])
        out.append({"task": task, "refine": refinement, "budget": budget, "gain": float(gain.mean()),
                    "gain_std": float(gain.std(ddof=1)) if gain.size > 1 else 0.0,
                    "validation_gain": float(held.mean()),
                    "evaluations": float(np.mean([m["evaluations"] for m in members])),
                    "sweeps": float(np.mean([m["sweeps"] for m in members])), "n": len(members)})
    return out


def benchmark(name: str, task_for_seed: Callable[[int], object], folder, *, seeds=(0, 1, 2),
              sparsities=(0.2, 0.36, 0.5), base: PruneConfig = PruneConfig(), budgets=(40, 200, 1000),
              budget_sparsity: float = 0.36, variants_=None) -> dict:
    """:func:`selector_rows` and :func:`budget_rows` over ``seeds``, saved as ``<name>.{json,txt,png}``
    in ``folder`` (after the selector rows, then after each seed's budget sweep): the summary table, each
    QUBO's margin over the best of :data:`BASELINES`, the QUBO variant the held-out split picks, and the
    refinement budget sweep."""
    began = time.time()
    tasks = {}

    def task(seed):
        if seed not in tasks:
            tasks[seed] = task_for_seed(seed)
        return tasks[seed]

    rows = []
    for seed in seeds:  # saved after each seed: a cut run keeps what it measured
        rows += selector_rows(task, [seed], sparsities, base, variants_=variants_, on_row=lambda r: print(
            f"seed {r['seed']} s={r['sparsity']:.2f} {r['label']:>34} {r['metric']} {r['value']:.4f} "
            f"(held-out {r['validation']:.4f}, {r['seconds']:.1f}s)", flush=True))
        report = _save(name, folder, rows, [], seeds, sparsities, base, budget_sparsity, began)
    refinement = []
    for seed in seeds if budgets else ():
        refinement += budget_rows(task(seed), budget_sparsity, base, budgets, seed=seed)
        report = _save(name, folder, rows, refinement, seeds, sparsities, base, budget_sparsity, began)
    print(report["text"])
    return report


def _save(name, folder, rows, refinement, seeds, sparsities, base, budget_sparsity, began) -> dict:
    """The report of :func:`benchmark` so far, written as ``<name>.json``, ``<name>.txt`` and ``<name>.png``
    (the test metric's mean against sparsity, one line per row label)."""
    from pathlib import Path

    from annealq.prune.report import plot_metric
    from annealq.report.tables import text_table, write_json

    summary = summarize(rows)
    qubos = [label for label in dict.fromkeys(r["label"] for r in rows) if "qubo" in label]
    margin = {label: margins(summary, label, BASELINES) for label in qubos}
    held_out = {label: margins(summary, label, BASELINES, value="validation_mean") for label in qubos}
    picked = {s: max(qubos, key=lambda label: held_out[label].get(s, -np.inf)) for s in sparsities}
    paired = {label: paired_margins(rows, label, BASELINES) for label in qubos}
    ref_summary = refinement_summary(refinement)
    title = rows[0]["task"]
    dense = float(np.mean(list({r["seed"]: r["dense"] for r in rows}.values())))
    text = [format_summary(summary, f"{title} (dense {dense:.4f})"),
            "", f"QUBO margin over the best of {', '.join(BASELINES)} (test mean; held-out mean in brackets)",
            text_table(["qubo"] + [f"s={s:g}" for s in sparsities],
                       [[label] + [f"{margin[label].get(s, float('nan')):+.4f} "
                                   f"({held_out[label].get(s, float('nan')):+.4f})" for s in sparsities]
                        for label in qubos]),
            "picked on the held-out split: " + ", ".join(f"s={s:g}: {picked[s]} ({margin[picked[s]][s]:+.4f} test)"
                                                          for s in sparsities),
            "", "per seed: QUBO minus that seed's best baseline (mean +- std, seeds won)",
            text_table(["qubo"] + [f"s={s:g}" for s in sparsities],
                       [[label] + [(lambda p: f"{p['mean']:+.4f} +-{p['std']:.4f} {p['wins']}/{p['n']}" if p else "")(
                           paired[label].get(s)) for s in sparsities] for label in qubos])]
    if ref_summary:
        text += ["", f"refinement from fisher-qubo at s={budget_sparsity:g} (test gain over the start, mean +- std, "
                     f"seeds {sorted({r['seed'] for r in refinement})})",
                 text_table(["refine", "budget", "gain", "held-out gain", "evaluations", "sweeps"],
                            [[r["refine"], r["budget"], f"{r['gain']:+.4f} +-{r['gain_std']:.4f}",
                              f"{r['validation_gain']:+.4f}", f"{r['evaluations']:.0f}", f"{r['sweeps']:.1f}"]
                             for r in ref_summary])]
    text = "\n".join(text)
    report = {"name": name, "task": title, "dense": dense, "seeds": list(seeds), "sparsities": list(sparsities),
              "config": base.to_dict(), "baselines": list(BASELINES), "rows": rows, "summary": summary,
              "margins": margin, "held_out_margins": held_out, "paired_margins": paired, "picked": picked,
              "refinement": refinement,
              "refinement_summary": ref_summary, "text": text, "seconds": time.time() - began}
    folder = Path(folder)
    write_json(folder / f"{name}.json", report)
    (folder / f"{name}.txt").write_text(text + "\n")
    means = [{"method": s["label"], "sparsity": s["sparsity"], "value": s["mean"], "finetune_epochs": 0,
              "metric": rows[0]["metric"], "task": f"{title}, mean of {len(seeds)} seeds"} for s in summary]
    plot_metric(means, dense, folder / f"{name}.png")
    return report
