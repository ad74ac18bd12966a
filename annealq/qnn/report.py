"""Every method in one harness (same inputs, architecture, levels and scales): rows, table, plot.

Methods: ``targets``, its ablations ``random``, ``rounding``, ``greedy``, and ``qcgd``,
``penalty`` (:func:`annealq.qnn.train`); ``ste`` (tuned), ``ptq`` and ``float``
(:mod:`annealq.qnn.baselines`).  A row holds ``method, route, bits, bits_per_weight, accuracy,
train_loss`` (the config's loss on the whole training set, whatever a method trained on),
``oracle_calls, seconds``, ``hidden_oracle_share`` (accepted hidden-layer weight changes that
came from the oracle's answer), ``accepted`` (weight changes kept), and for ``qcgd``/``penalty``
``raw_feasible`` (share of oracle answers feasible as returned) and ``raw_residual`` (mean
``|A x - b|`` of the answers as returned); a curve holds one point per training round.

Example:
    >>> from annealq.qnn.toy import toy_dataset
    >>> from annealq.qnn.config import QNNConfig
    >>> out = compare(toy_dataset(), QNNConfig(hidden=2, batch=8, iterations=1, pool=0, route="exact"),
    ...               methods=("targets", "random", "float"), epochs=2)
    >>> [(r["method"], r["bits"], r["violations"]) for r in out["rows"]]
    [('targets', 1, 0), ('random', 1, 0), ('float', 32, 0)]
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from annealq.formulations.splines import LOSSES
from annealq.qnn.baselines import float_network, ptq_network, torch_accuracy, torch_loss, tuned_ste
from annealq.qnn.config import FIT_METHODS, QCBO_METHODS, QNNConfig
from annealq.qnn.network import layer_scales
from annealq.qnn.training import prepare, train
from annealq.report.figures import save_figure, series_style
from annealq.report.tables import table as format_rows

METHODS = FIT_METHODS + QCBO_METHODS + ("ste", "ptq", "float")
#: calibration samples of the PTQ baseline
PTQ_SAMPLES = 2048


def trained_row(result, x_tr, y_tr, loss: str) -> dict:
    """The row of a :func:`annealq.qnn.train` result (module docstring)."""
    net, cfg, hist = result.network, result.config, result.history
    row = {"method": cfg.method, "route": "steepest" if cfg.method == "greedy" else
           (None if cfg.method in ("random", "rounding") else cfg.solver.route),
           "bits": cfg.bits, "bits_per_weight": net.bits_per_weight(), "accuracy": hist[-1]["accuracy"],
           "train_loss": net.loss(x_tr, y_tr, loss), "oracle_calls": result.oracle_calls,
           "seconds": hist[-1]["seconds"], "violations": int(sum(r["violations"] for r in hist))}
    if cfg.method in FIT_METHODS:
        hidden = sum(r["hidden_changes"] for r in hist)
        row.update({"accepted": int(hidden + sum(r["output_changes"] for r in hist)), "hidden_changes": int(hidden),
                    "hidden_oracle_share": sum(r["hidden_changes_oracle"] for r in hist) / hidden if hidden else 0.0})
    else:
        check = result.check()
        row.update({"raw_feasible": 1 - check["raw_infeasible"] / max(check["oracle_answers"], 1),
                    "raw_residual": float(np.mean([a["residual"] for r in hist for a in r["raw_answers"]
                                                   if a["residual"] is not None] or [0.0])),
                    "infeasible_rounds": int(sum(bool(r.get("infeasible")) for r in hist)),
                    "trained_loss": cfg.loss, "accepted": int(sum(r["flips"] for r in hist))})
    return row


def curve(result) -> list[dict]:
    keys = ("iteration", "oracle_calls", "objective", "train_loss", "accuracy", "seconds", "hidden_changes",
            "output_changes", "variables", "constraints", "largest_problem")
    points = [{k: r[k] for k in keys if k in r} for r in result.history]
    for p, r in zip(points, result.history):
        if "raw_answers" in r:
            p["raw_feasible"] = float(np.mean([a["feasible"] for a in r["raw_answers"]] or [0.0]))
    return points


def compare(data, config: QNNConfig, *, methods=METHODS, sampler=None, journal=None, progress=None,
            epochs: int = 30) -> dict:
    """``{"rows": [...], "curves": {method: [...]}}`` for ``methods`` (module docstring).

    ``qcgd``/``penalty`` train on ``squared`` when ``config.loss`` has no spline (their rows
    say so in ``trained_loss``); ``epochs``: the STE grid's and the float network's epochs."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}: use some of {METHODS}")
    x_tr, y_tr, x_te, y_te = prepare(data, config)
    classes, levels, names = int(data.num_classes), config.input_levels, config.weight_levels
    scales = layer_scales(x_tr, config.hidden, config.activation, levels, config.seed, names)
    common = dict(classes=classes, hidden=config.hidden, activation=config.activation, loss=config.loss, levels=levels,
                  epochs=epochs, seed=config.seed)
    rows, curves, float_model, float_seconds = [], {}, None, 0.0
    for method in methods:
        start = time.perf_counter()
        if method in FIT_METHODS + QCBO_METHODS:
            changes = {"method": method}
            if method in QCBO_METHODS:
                changes.update(loss=config.loss if config.loss in LOSSES else "squared")
            result = train(data, replace(config, **changes), sampler=sampler, journal=journal, progress=progress)
            rows.append(trained_row(result, x_tr, y_tr, config.loss))
            curves[method] = curve(result)
            continue
        row = {"method": method, "route": None, "violations": 0, "oracle_calls": 0}
        if method == "ste":
            net, tuning = tuned_ste(x_tr, y_tr, scales=scales, weight_levels=names, **common)
            row.update(bits=config.bits, bits_per_weight=net.bits_per_weight(), accuracy=net.accuracy(x_te, y_te),
                       train_loss=net.loss(x_tr, y_tr, config.loss), ste_lr=tuning["lr"], ste_epochs=tuning["epochs"])
        else:
            if float_model is None:
                float_model = float_network(x_tr, y_tr, **common)
                float_seconds = time.perf_counter() - start  # the float row's time, also when PTQ trained it
                start = time.perf_counter()
            model, bits, bpw = float_model, 32, 32.0
            if method == "ptq":
                bits = 1 if names == ("binary", "binary") else 2  # annealq.quantize's grids: 1 or 2 bits
                model = ptq_network(float_model, x_tr[:PTQ_SAMPLES], levels, bits=bits, seed=config.seed)
                n = sum(m.weight.numel() for m in model if hasattr(m, "weight"))
                bpw = bits + 32.0 * sum(m.weight.shape[0] for m in model if hasattr(m, "weight")) / n
            row.update(bits=bits, bits_per_weight=bpw, accuracy=torch_accuracy(model, x_te, y_te, levels),
                       train_loss=torch_loss(model, x_tr, y_tr, config.loss, levels))
        row["seconds"] = time.perf_counter() - start + (float_seconds if method == "float" else 0.0)
        rows.append(row)
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
    """The research targets: the annealer method (``targets``) against STE, PTQ and its ablations,
    and the share of its accepted hidden-layer changes that came from the oracle."""
    by = {r["method"]: r for r in rows if r.get("method")}
    out = {}
    if "targets" in by:
        q = by["targets"]
        out["targets_hidden_oracle_share"] = q["hidden_oracle_share"]
        for base in ("ste", "ptq", "random", "rounding", "greedy", "qcgd"):
            if base in by:
                out[f"targets_minus_{base}"] = float(np.round(q["accuracy"] - by[base]["accuracy"], 6))
    return out
