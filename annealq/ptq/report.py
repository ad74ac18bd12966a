"""PTQ report: methods x bit-widths on one model, as table rows, and its figure.

Example:
    >>> from annealq.data import load_dataset
    >>> from annealq.nn.models import pretrained_mlp
    >>> data = load_dataset("digits")
    >>> rows = ptq_rows(pretrained_mlp(data, (64, 8, 10), epochs=2), data, methods=["rtn"], bits=[4])
    >>> [row["method"] for row in rows]
    ['float', 'rtn']
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Iterable

from annealq.ptq.config import QuantConfig
from annealq.nn.models import accuracy
from annealq.ptq.pipeline import quantize
from matplotlib.figure import Figure

from annealq.report.figures import bit_axis, fit_to_competitors, save_figure, series_style
from annealq.report.tables import table

ROW_KEYS = ("method", "bits", "accuracy", "recon_error", "layer_errors", "seconds")


def sweep(model, calibration, score: Callable[[object], dict], *, methods: Iterable[str], bits: Iterable[int],
          config: QuantConfig = QuantConfig(), on_result: Callable | None = None,
          on_row: Callable[[dict], None] | None = None, progress=None, journal=None, executor=None) -> list[dict]:
    """Quantize ``model`` with each method and bit-width: a ``float`` row, then one row each.

    ``score(model)`` gives a row's metrics (``accuracy``, ...); ``on_result(method, bits, result)``
    may add fields (files written); ``on_row`` sees each row as it is made.
    """
    rows = [{"method": "float", "bits": 32, **score(model), "recon_error": 0.0, "layer_errors": [], "seconds": 0.0}]
    if on_row:
        on_row(rows[0])
    for b in bits:
        for method in methods:
            cfg = dataclasses.replace(config, bits=b, method=method)
            result = quantize(model, calibration, cfg, progress=progress, journal=journal, executor=executor)
            row = {"method": method, "bits": b, **score(result.model), "recon_error": result.recon_error,
                   "layer_errors": [l.recon_error for l in result.layers], "seconds": result.seconds,
                   **(on_result(method, b, result) if on_result else {}),
                   "layers": [l.to_dict() for l in result.layers]}
            rows.append(row)
            if on_row:
                on_row(row)
    return rows


def ptq_rows(model, data, *, methods: Iterable[str] = ("rtn", "gptq", "qubo"), bits: Iterable[int] = (8, 4, 3, 2, 1),
             config: QuantConfig = QuantConfig(), calibration_size: int = 256, **kwargs) -> list[dict]:
    """:func:`sweep` on a dataset's first ``calibration_size`` training samples, scored by test accuracy;
    keys :data:`ROW_KEYS` (+ ``layers``)."""
    return sweep(model, data.x_train[:calibration_size],
                 lambda m: {"accuracy": accuracy(m, data.x_test, data.y_test)},
                 methods=methods, bits=bits, config=config, **kwargs)


def format_table(rows: list[dict]) -> str:
    """The rows as the workflow's table (columns declared with the workflow)."""
    from annealq.workflows import workflows

    return table(rows, workflows()["ptq"].columns)


def plot_ptq(rows: list[dict], path: str | Path, title: str = "") -> Path:
    """Accuracy and summed reconstruction error against bits, one line per method (integer bit ticks;
    the accuracy axis fitted to the methods that compete, the others named off scale)."""
    fig = Figure(figsize=(11, 4.2))
    ax_acc, ax_err = fig.subplots(1, 2)
    quantized = [r for r in rows if r["method"] != "float"]
    methods = list(dict.fromkeys(r["method"] for r in quantized))
    off = fit_to_competitors(ax_acc, {m: [100 * r["accuracy"] for r in quantized if r["method"] == m]
                                      for m in methods})
    for k, method in enumerate(methods):
        pts = sorted((r["bits"], r["accuracy"], r["recon_error"]) for r in quantized if r["method"] == method)
        b, acc, err = zip(*pts)
        label = method + (" (off scale)" if method in off else "")
        ax_acc.plot(b, [100 * a for a in acc], label=label, **series_style(k))
        ax_err.plot(b, err, label=method, **series_style(k))
    for r in rows:
        if r["method"] == "float" and r.get("accuracy") is not None:
            ax_acc.axhline(100 * r["accuracy"], color="gray", linestyle=":", label="float")
    ax_acc.set(ylabel="test accuracy (%)", title="Accuracy")
    ax_err.set(ylabel="summed layer reconstruction error", yscale="log", title="Reconstruction error (calibration set)")
    for ax in (ax_acc, ax_err):
        bit_axis(ax, [r["bits"] for r in quantized], "weight bits")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)
