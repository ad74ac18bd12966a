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

from annealq.head.study import METHODS
from annealq.report.figures import save_figure
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
    """Test accuracy against K, one line per method; float heads as horizontal lines."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for i, method in enumerate(_methods(rows)):
        pts = sorted((r["bits"], r["accuracy"]) for r in rows if r["method"] == method and r["bits"] is not None)
        flat = [r["accuracy"] for r in rows if r["method"] == method and r["bits"] is None]
        if pts:
            ax.plot(*zip(*[(k, 100 * a) for k, a in pts]), marker="o", label=method, color=f"C{i}")
        for a in flat:
            ax.axhline(100 * a, linestyle="--", color=f"C{i}", label=f"{method} (float)")
    ax.set_xticks(sorted({r["bits"] for r in rows if r["bits"] is not None}))
    ax.set(xlabel="bits per weight (K)", ylabel="test accuracy (%)", title=title or "Head accuracy against K")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
