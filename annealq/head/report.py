"""Tables and the plot of the head precision study (:mod:`annealq.head.study`).

Example:
    >>> rows = [{"method": "lbfgs", "bits": None, "accuracy": 0.96}, {"method": "qubo", "bits": 4, "accuracy": 0.95}]
    >>> print(format_accuracy(rows))
    bits    lbfgs    qubo
    float  96.00%       -
    4           -  95.00%
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from annealq.head.study import METHODS
from annealq.report.figures import bit_axis, fit_to_competitors, save_figure, series_style
from annealq.report.tables import Column, pivot, text_table


def _methods(rows) -> list[str]:
    present = set(r["method"] for r in rows)
    return [m for m in METHODS if m in present] + sorted(present - set(METHODS))


def format_accuracy(rows: list[dict], field: str = "accuracy") -> str:
    """Test accuracy (%) per bit-width (rows) and method (columns); float heads on the first line."""
    order = {m: i for i, m in enumerate(_methods(rows))}
    ordered = sorted(rows, key=lambda r: (r["bits"] is not None, r["bits"] or 0, order[r["method"]]))
    return pivot([{**r, "bits": "float" if r["bits"] is None else r["bits"]} for r in ordered], "bits", "method",
                 Column(field, kind="percent"))


def format_pricing(rows: list[dict]) -> str:
    """One iteration's QPU price per profile and bit-width (:func:`annealq.head.study.price_iteration`)."""
    head = ["profile", "bits", "vars/class", "couplers/class", "fits", "qubits/class", "max chain", "QPU calls",
            "physical qubits", "est. QPU s/iter"]
    lines = [[r["profile"], r["bits"], r["variables_per_class"], r["couplers_per_class"],
              "yes" if r["fits"] else f"no ({r['blocks']} blocks)", r["qubits_per_class"], r["max_chain_length"],
              r["qpu_calls"], r["physical_qubits"], f"{r['est_qpu_access_time_s']:.2f}"] for r in rows]
    return text_table(head, lines)


def plot_accuracy(rows: list[dict], path, title: str = "") -> Path:
    """Test accuracy against K, one line per method; float heads as horizontal lines; the axis
    fitted to the methods that compete, the others named off scale.  Rows with a ``history``
    (the iterated heads) add a panel of their training loss per iteration, one colour per K."""
    curves = [r for r in rows if r.get("history") and r["bits"] is not None]
    fig = Figure(figsize=(13 if curves else 8, 4.6))
    ax, *loss_ax = fig.subplots(1, 2 if curves else 1, squeeze=False)[0]
    quantized = [r for r in rows if r["bits"] is not None]
    methods = _methods(rows)
    off = fit_to_competitors(ax, {m: [100 * r["accuracy"] for r in quantized if r["method"] == m]
                                  for m in methods if any(r["method"] == m for r in quantized)})
    for i, method in enumerate(methods):
        pts = sorted((r["bits"], r["accuracy"]) for r in quantized if r["method"] == method)
        style = series_style(i)
        if pts:
            ax.plot(*zip(*[(k, 100 * a) for k, a in pts]), label=method + (" (off scale)" if method in off else ""),
                    **style)
        for r in rows:
            if r["method"] == method and r["bits"] is None:
                ax.axhline(100 * r["accuracy"], linestyle=":", color=style["color"], label=f"{method} (float)")
    bit_axis(ax, [r["bits"] for r in quantized], "bits per weight (K)")
    ax.set(ylabel="test accuracy (%)", title=title or "Head accuracy against K")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left" if curves else "center left",
              bbox_to_anchor=None if curves else (1.01, 0.5))
    if curves:
        _plot_losses(loss_ax[0], curves)
    return save_figure(fig, path)


def _plot_losses(ax, rows: list[dict]) -> None:
    """Training loss per iteration: colour per K, line style per method."""
    bits = sorted({r["bits"] for r in rows})
    methods = _methods(rows)
    for r in sorted(rows, key=lambda r: (r["bits"], methods.index(r["method"]))):
        colour = series_style(bits.index(r["bits"]))["color"]
        dash = series_style(methods.index(r["method"]))["linestyle"]
        losses = [h["loss"] for h in r["history"]]
        ax.plot(range(1, len(losses) + 1), losses, color=colour, linestyle=dash, marker=".",
                label=f"K={r['bits']} {r['method']}")
    ax.set(xlabel="iteration", ylabel="training loss (log scale)", yscale="log", title="training loss per iteration")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
