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
from annealq.prune.pipeline import finetuned, prune
from annealq.prune.registry import SELECTOR_ROWS

#: candidate quadratic terms measured against the default (activation redundancy) QUBO
QUBO_VARIANTS = (("fisher-qubo[second-order]", "fisher-qubo", {"quadratic": "second-order"}),
                 ("fisher-qubo[second-order,3 rounds]", "fisher-qubo", {"quadratic": "second-order", "rounds": 3}),
                 ("fisher-qubo[joint]", "fisher-qubo", {"quadratic": "second-order", "scope": "joint"}),
                 ("taylor-qubo[second-order]", "taylor-qubo", {"quadratic": "second-order"}))


def variants(methods=SELECTOR_ROWS, extra=QUBO_VARIANTS) -> list[tuple[str, str, dict]]:
    """``(label, method, overrides)`` for ``methods`` (no overrides) followed by ``extra``."""
    return [(m, m, {}) for m in methods] + list(extra)


#: what :func:`benchmark` runs by default: every variant but ``l1-greedy`` (a unit's L1 score does not change
#: when other units are masked, so it is ``l1-topk`` by construction), the 3-round and the joint QUBO (left
#: out for the CPU budget of the runs with fine-tuned rows; ``variants_=variants()`` runs them)
BENCHMARK_VARIANTS = tuple(v for v in variants() if v[0] not in (
    "l1-greedy", "fisher-qubo[second-order,3 rounds]", "fisher-qubo[joint]"))


def selector_rows(task_for_seed: Callable[[int], object], seeds, sparsities, base: PruneConfig = PruneConfig(), *,
                  variants_=None, finetune_epochs: int = 0, finetune_labels=(),
                  on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """One row per (seed, sparsity, variant): ``task``, ``label``, ``method``, ``seed``, ``sparsity``, ``metric``,
    ``value`` (test), ``validation`` (held-out), ``dense``, ``kept``, ``units``, ``seconds``, ``finetune_epochs``
    (0); and for the labels in ``finetune_labels`` a second row, the same masks fine-tuned for
    ``finetune_epochs`` epochs on the calibration batch (:func:`annealq.prune.pipeline.finetuned`)."""
    rows = []
    for seed in seeds:
        task = task_for_seed(seed)
        dense = task.test(task.model)
        for sparsity in sparsities:
            for label, method, overrides in variants_ or variants():
                config = replace(base, sparsity=sparsity, method=method, seed=seed,
                                 solver=replace(base.solver, seed=seed), **overrides)
                result = prune(task.model, task.calibration, config, evaluate=task.validate)
                models = {0: result.model}
                if finetune_epochs and label in finetune_labels:
                    models[finetune_epochs] = finetuned(result, task.calibration, finetune_epochs)
                for epochs, model in models.items():
                    row = {"task": task.name, "label": label, "method": method, "overrides": overrides, "seed": seed,
                           "sparsity": sparsity, "metric": task.metric, "value": task.test(model),
                           "validation": task.validate(model), "dense": dense, "kept": result.kept,
                           "units": sum(layer["units"] for layer in result.layers.values()),
                           "seconds": result.seconds, "finetune_epochs": epochs}
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


#: the rows fine-tuned by :func:`benchmark`: random, the baselines and the QUBO under both pair terms
FINETUNED = ("random", *BASELINES, "fisher-qubo", "fisher-qubo[second-order]", "taylor-qubo",
             "taylor-qubo[second-order]")


def refined_variant(refine: str, budget: int, start: str = "fisher-qubo") -> tuple[str, str, dict]:
    """The variant ``<start>-refined`` with ``refine`` at ``budget`` evaluations, labelled with both.

    Example:
        >>> refined_variant("swap", 1000)
        ('fisher-qubo-refined[swap,1000]', 'fisher-qubo-refined', {'refine': 'swap', 'refine_budget': 1000})
    """
    return f"{start}-refined[{refine},{budget}]", f"{start}-refined", {"refine": refine, "refine_budget": budget}


def benchmark(name: str, task_for_seed: Callable[[int], object], folder, *, seeds=(0, 1, 2),
              sparsities=(0.2, 0.36, 0.5), base: PruneConfig = PruneConfig(), budgets=(40, 200, 1000),
              budget_sparsity: float = 0.36, variants_=None, finetune_epochs: int = 0, finetune_labels=FINETUNED,
              refined: tuple[str, str, dict] | None = None) -> dict:
    """:func:`selector_rows` and :func:`budget_rows` over ``seeds``, saved as ``<name>.{json,txt,png}``
    in ``folder`` (after the selector rows, then after each seed's budget sweep): the summary table, each
    QUBO's margin over the best of :data:`BASELINES`, the QUBO variant the held-out split picks, and the
    refinement budget sweep; with ``finetune_epochs``, the same for the ``finetune_labels`` rows fine-tuned
    from the same masks.  ``refined`` (a :func:`refined_variant`) is one more row at ``budget_sparsity``,
    fine-tuned too."""
    began = time.time()
    tasks = {}

    def task(seed):
        if seed not in tasks:
            tasks[seed] = task_for_seed(seed)
        return tasks[seed]

    def show(r):
        print(f"seed {r['seed']} s={r['sparsity']:.2f} ft={r['finetune_epochs']} {r['label']:>34} {r['metric']} "
              f"{r['value']:.4f} (held-out {r['validation']:.4f}, {r['seconds']:.1f}s)", flush=True)

    tuned = tuple(finetune_labels) + ((refined[0],) if refined else ())
    rows = []
    for seed in seeds:  # saved after each seed: a cut run keeps what it measured
        rows += selector_rows(task, [seed], sparsities, base, variants_=variants_ or BENCHMARK_VARIANTS,
                              finetune_epochs=finetune_epochs,
                              finetune_labels=tuned, on_row=show)
        if refined:
            rows += selector_rows(task, [seed], [budget_sparsity], base, variants_=[refined],
                                  finetune_epochs=finetune_epochs, finetune_labels=tuned, on_row=show)
        report = _save(name, folder, rows, [], seeds, sparsities, base, budget_sparsity, began)
    refinement = []
    for seed in seeds if budgets else ():
        refinement += budget_rows(task(seed), budget_sparsity, base, budgets, seed=seed)
        report = _save(name, folder, rows, refinement, seeds, sparsities, base, budget_sparsity, began)
    print(report["text"])
    return report


def comparison(rows: list[dict], sparsities, title: str) -> tuple[dict, str]:
    """Of rows with one fine-tuning setting: the summary, each QUBO row's margin over the best of
    :data:`BASELINES` (test and held-out means, and per seed), the QUBO the held-out split picks (refined
    rows excluded: they searched the held-out split), and the text of the tables."""
    from annealq.report.tables import text_table

    summary = summarize(rows)
    qubos = [label for label in dict.fromkeys(r["label"] for r in rows) if "qubo" in label]
    margin = {label: margins(summary, label, BASELINES) for label in qubos}
    held_out = {label: margins(summary, label, BASELINES, value="validation_mean") for label in qubos}
    candidates = [label for label in qubos if "refined" not in label]
    picked = {s: max(candidates, key=lambda label: held_out[label].get(s, -np.inf)) for s in sparsities}
    paired = {label: paired_margins(rows, label, BASELINES) for label in qubos}
    cols = ["qubo"] + [f"s={s:g}" for s in sparsities]
    text = [format_summary(summary, title),
            "", f"QUBO margin over the best of {', '.join(BASELINES)} (test mean; held-out mean in brackets)",
            text_table(cols, [[label] + [f"{margin[label][s]:+.4f} ({held_out[label][s]:+.4f})"
                                         if s in margin[label] else "" for s in sparsities] for label in qubos]),
            "picked on the held-out split: " + ", ".join(f"s={s:g}: {picked[s]} ({margin[picked[s]][s]:+.4f} test)"
                                                          for s in sparsities),
            "", "per seed: QUBO minus that seed's best baseline (mean +- std, seeds won)",
            text_table(cols, [[label] + [(lambda p: f"{p['mean']:+.4f} +-{p['std']:.4f} {p['wins']}/{p['n']}" if p
                                          else "")(paired[label].get(s)) for s in sparsities] for label in qubos])]
    return ({"summary": summary, "margins": margin, "held_out_margins": held_out, "paired_margins": paired,
             "picked": picked}, "\n".join(text))


def _save(name, folder, rows, refinement, seeds, sparsities, base, budget_sparsity, began) -> dict:
    """The report of :func:`benchmark` so far, written as ``<name>.json``, ``<name>.txt`` and ``<name>.png``
    (the test metric's mean against sparsity, one line per row label, dashed with fine-tuning): the rows
    without fine-tuning at the top level, each fine-tuning setting's :func:`comparison` under
    ``finetuned[epochs]``."""
    from pathlib import Path

    from annealq.prune.report import plot_metric
    from annealq.report.tables import text_table, write_json

    title = rows[0]["task"]
    dense = float(np.mean(list({r["seed"]: r["dense"] for r in rows}.values())))
    settings = sorted({r["finetune_epochs"] for r in rows})
    compared = {}
    text = []
    for epochs in settings:
        heading = f"{title} (dense {dense:.4f})" + (f", fine-tuned {epochs} epochs" if epochs else "")
        compared[epochs], block = comparison([r for r in rows if r["finetune_epochs"] == epochs], sparsities,
                                             heading)
        text += [block, ""]
    ref_summary = refinement_summary(refinement)
    if ref_summary:
        text += [f"refinement from fisher-qubo at s={budget_sparsity:g} (test gain over the start, mean +- std, "
                 f"seeds {sorted({r['seed'] for r in refinement})})",
                 text_table(["refine", "budget", "gain", "held-out gain", "evaluations", "sweeps"],
                            [[r["refine"], r["budget"], f"{r['gain']:+.4f} +-{r['gain_std']:.4f}",
                              f"{r['validation_gain']:+.4f}", f"{r['evaluations']:.0f}", f"{r['sweeps']:.1f}"]
                             for r in ref_summary])]
    text = "\n".join(text).rstrip()
    report = {"name": name, "task": title, "dense": dense, "seeds": list(seeds), "sparsities": list(sparsities),
              "config": base.to_dict(), "baselines": list(BASELINES), "rows": rows, **compared[0],
              "finetuned": {epochs: compared[epochs] for epochs in settings if epochs},
              "refinement": refinement, "refinement_summary": ref_summary, "text": text,
              "seconds": time.time() - began}
    folder = Path(folder)
    write_json(folder / f"{name}.json", report)
    (folder / f"{name}.txt").write_text(text + "\n")
    means = [{"method": s["label"], "sparsity": s["sparsity"], "value": s["mean"], "finetune_epochs": epochs,
              "metric": rows[0]["metric"], "task": f"{title}, mean of {len(seeds)} seeds"}
             for epochs in settings for s in compared[epochs]["summary"]]
    plot_metric(means, dense, folder / f"{name}.png")
    return report


def refined_arg(text: str) -> tuple[str, str, dict] | None:
    """``"swap,1000"`` -> :func:`refined_variant` ``("swap", 1000)``; ``""`` -> None (a benchmark's ``--refined``)."""
    if not text.strip():
        return None
    refine_, _, budget = text.partition(",")
    if not budget.strip().isdigit():
        raise ValueError(f"--refined must be refinement,budget such as swap,1000, got {text!r}")
    return refined_variant(refine_.strip(), int(budget))
