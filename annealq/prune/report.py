"""Every method at every sparsity on one task: rows, a table and a figure.

A row: ``method``, ``sparsity``, ``task``, ``metric``, ``value`` (the test split), ``kept``
(units kept over the prunable layers), ``seconds`` (choosing the masks), ``units``,
``validation`` (the held-out split), ``finetune_epochs``.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from matplotlib.figure import Figure

from annealq.prune.config import PruneConfig
from annealq.prune.pipeline import prune
from annealq.prune.tasks import Task
from annealq.report.figures import fit_to_competitors, save_figure, series_style
from annealq.report.tables import Column, pivot


def compare(task: Task, sparsities, methods, base: PruneConfig = PruneConfig(), *, finetune_epochs=(0,), journal=None,
            on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """One row per (finetune epochs, sparsity, method), every method under ``base``'s other settings."""
    rows = []
    for epochs in finetune_epochs:
        for sparsity in sparsities:
            for method in methods:
                config = replace(base, sparsity=sparsity, method=method, finetune_epochs=epochs)
                result = prune(task.model, task.calibration, config, evaluate=task.validate, journal=journal)
                row = {"method": method, "sparsity": sparsity, "task": task.name, "metric": task.metric,
                       "value": task.test(result.model), "kept": result.kept, "seconds": result.seconds,
                       "units": sum(layer["units"] for layer in result.layers.values()),
                       "validation": task.validate(result.model), "finetune_epochs": epochs}
                if result.refinement is not None:
                    row["refine_evaluations"] = result.refinement.evaluations
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows


def format_table(rows: list[dict], dense: float | None = None) -> str:
    """Methods down, sparsities across (one block per fine-tuning setting)."""
    out = []
    for epochs in sorted({r["finetune_epochs"] for r in rows}):
        sub = [{**r, "sparsity": f"{100 * r['sparsity']:g}%"} for r in rows if r["finetune_epochs"] == epochs]
        head = f"{sub[0]['task']}  {sub[0]['metric']} (test)  fine-tuning epochs: {epochs}"
        out.append(head + (f"  dense: {dense:.4f}" if dense is not None else ""))
        out.append(pivot(sub, "method", "sparsity", Column("value", kind="fixed")) + "\n")
    return "\n".join(out)


def plot_metric(rows: list[dict], dense: float | None, path, title: str = "") -> Path:
    """Metric against sparsity (%), one line per method (dashed: with fine-tuning); the axis fitted
    to the competing methods, the others named off scale; saved at ``path``."""
    fig = Figure(figsize=(7, 4.4))
    ax = fig.add_subplot()
    methods = list(dict.fromkeys(r["method"] for r in rows))
    metric = rows[0]["metric"] if rows else "metric"
    higher = metric.lower() != "mse"
    off = fit_to_competitors(ax, {m: [r["value"] for r in rows if r["method"] == m] for m in methods}, higher)
    for epochs in sorted({r["finetune_epochs"] for r in rows}):
        for i, m in enumerate(methods):
            pts = sorted((100 * r["sparsity"], r["value"]) for r in rows
                         if r["method"] == m and r["finetune_epochs"] == epochs)
            if pts:
                style = series_style(i)
                if epochs:
                    style["linestyle"] = "--"
                label = (m if not epochs else f"{m} +ft{epochs}") + (" (off scale)" if m in off else "")
                ax.plot(*zip(*pts), label=label, ms=4, **style)
    if dense is not None:
        ax.axhline(dense, color="k", lw=0.8, ls=":", label="dense")
    ax.set_xticks(sorted({100 * r["sparsity"] for r in rows}))
    ax.set_xlabel("sparsity (% of units removed per layer)")
    ax.set_ylabel(f"{metric} (test){' [dB]' if metric.lower() == 'psnr' else ''}")
    ax.set_title(title or (rows[0]["task"] if rows else ""))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return save_figure(fig, path)
