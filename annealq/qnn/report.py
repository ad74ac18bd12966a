"""Every method in one harness (same inputs, architecture, bits and scales): rows, table, plot.

Methods: ``qcgd`` and ``penalty`` (:func:`annealq.qnn.train`), ``ste``, ``ptq`` and ``float``
(:mod:`annealq.qnn.baselines`).  A row holds ``method, bits, bits_per_weight, accuracy,
train_loss, violations, oracle_calls, seconds`` (and ``route`` for the QCBO methods); a curve
holds one point per training round (oracle calls, objective, accuracy).

Example:
    >>> from annealq.qnn.toy import toy_dataset
    >>> from annealq.qnn.config import QNNConfig
    >>> out = compare(toy_dataset(), QNNConfig(hidden=2, batch=4, iterations=1, inner=1, pool=0, route="steepest"),
    ...               methods=("qcgd", "ste", "float"), epochs=20)
    >>> [(r["method"], r["bits"], r["violations"]) for r in out["rows"]]
    [('qcgd', 1, 0), ('ste', 1, 0), ('float', 32, 0)]
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from annealq.formulations.qnn import bits_per_weight
from annealq.qnn.baselines import float_network, ptq_network, ste_network, torch_accuracy, torch_loss
from annealq.qnn.config import QNNConfig
from annealq.qnn.network import layer_scales
from annealq.qnn.training import prepare, train
from annealq.report.figures import save_figure, series_style
from annealq.report.tables import table as format_rows

METHODS = ("qcgd", "penalty", "ste", "ptq", "float")


def qcbo_row(result, x_tr, y_tr) -> dict:
    net, cfg = result.network, result.config
    return {"method": cfg.method, "route": cfg.solver.route, "bits": cfg.bits,
            "bits_per_weight": bits_per_weight(net.num_weights, 2), "accuracy": result.history[-1]["accuracy"],
            "train_loss": net.loss(x_tr, y_tr, cfg.loss),
            "violations": int(sum(r["violations"] for r in result.history)),
            "infeasible_rounds": int(sum(bool(r.get("infeasible")) for r in result.history)),
            "oracle_calls": result.oracle_calls, "seconds": result.history[-1]["seconds"]}


def curve(result) -> list[dict]:
    return [{k: r[k] for k in ("iteration", "oracle_calls", "objective", "train_loss", "accuracy", "variables",
                               "constraints", "largest_problem", "seconds")} for r in result.history]


def compare(data, config: QNNConfig, *, methods=METHODS, sampler=None, journal=None, progress=None,
            epochs: int = 1000) -> dict:
    """``{"rows": [...], "curves": {method: [...]}}`` for ``methods`` (module docstring)."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}: use some of {METHODS}")
    x_tr, y_tr, x_te, y_te = prepare(data, config)
    classes, levels = int(data.num_classes), config.input_levels
    s1, s2 = layer_scales(x_tr, config.hidden, config.activation, levels, config.seed)
    common = dict(classes=classes, hidden=config.hidden, activation=config.activation, loss=config.loss, levels=levels,
                  epochs=epochs, seed=config.seed)
    rows, curves, float_model = [], {}, None
    for method in methods:
        start = time.perf_counter()
        if method in ("qcgd", "penalty"):
            result = train(data, replace(config, method=method), sampler=sampler, journal=journal, progress=progress)
            rows.append(qcbo_row(result, x_tr, y_tr))
            curves[method] = curve(result)
            continue
        if method == "ste":
            if config.init == "float":
                float_model = float_model or float_network(x_tr, y_tr, **common)
            net = ste_network(x_tr, y_tr, s1=s1, s2=s2, start=float_model if config.init == "float" else None,
                              **common)
            acc, loss, bits, bpw = net.accuracy(x_te, y_te), net.loss(x_tr, y_tr, config.loss), 1, \
                bits_per_weight(net.num_weights, 2)
        else:
            float_model = float_model or float_network(x_tr, y_tr, **common)
            model, bits, bpw = float_model, 32, 32.0
            if method == "ptq":
                model, bits = ptq_network(float_model, x_tr, levels, seed=config.seed), 1
                n = sum(m.weight.numel() for m in model if hasattr(m, "weight"))
                bpw = 1.0 + 32.0 * sum(m.weight.shape[0] for m in model if hasattr(m, "weight")) / n
            acc, loss = torch_accuracy(model, x_te, y_te, levels), torch_loss(model, x_tr, y_tr, config.loss, levels)
        rows.append({"method": method, "route": None, "bits": bits, "bits_per_weight": bpw, "accuracy": acc,
                     "train_loss": loss, "violations": 0, "oracle_calls": 0, "seconds": time.perf_counter() - start})
    return {"rows": rows, "curves": curves}


def table(rows: list[dict]) -> str:
    """The rows as the workflow's table (columns declared with the workflow)."""
    from annealq.workflows import workflows

    return format_rows(rows, workflows()["qnn"].columns)


def plot_qnn(rows: list[dict], curves: dict, path, title: str = "") -> Path:
    """Test accuracy against wall seconds (one line per oracle method, so a whole-batch penalty call
    and many per-sample calls compare on one axis; the other methods as horizontal lines), and
    accuracy against stored bits per weight."""
    fig = Figure(figsize=(12, 4.4))
    ax_time, ax_bits = fig.subplots(1, 2)
    for k, (name, points) in enumerate(curves.items()):
        ax_time.plot([p["seconds"] for p in points], [100 * p["accuracy"] for p in points], label=name,
                     **series_style(k))
    for k, r in enumerate(rows, start=len(curves)):
        style = series_style(k)
        if r["method"] not in curves:
            ax_time.axhline(100 * r["accuracy"], linestyle=style["linestyle"], color=style["color"], label=r["method"])
        ax_bits.scatter(r["bits_per_weight"], 100 * r["accuracy"], label=r["method"], color=style["color"],
                        marker=style["marker"])
    ax_time.set(xlabel="wall time (s)", ylabel="test accuracy (%)", title="Accuracy against training time")
    ax_bits.set(xlabel="stored bits per weight (scales counted)", ylabel="test accuracy (%)", xscale="log",
                title="Accuracy against bits")
    for ax in (ax_time, ax_bits):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def summary(rows: list[dict]) -> dict:
    """The research targets: QCBO (qcgd) accuracy against STE and PTQ, and its violations."""
    by = {r["method"]: r for r in rows if r.get("method")}
    out = {}
    if "qcgd" in by:
        q = by["qcgd"]
        out["qcgd_violations"] = q["violations"]
        for base in ("ste", "ptq"):
            if base in by:
                out[f"qcgd_minus_{base}"] = float(np.round(q["accuracy"] - by[base]["accuracy"], 6))
    return out
