"""Figures for the studies (matplotlib, written to files, no display needed)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_ptq(rows: list[dict], path: str | Path) -> Path:
    """Accuracy and summed reconstruction error against bits, one line per method."""
    fig, (ax_acc, ax_err) = plt.subplots(1, 2, figsize=(10, 4))
    float_acc = [r["accuracy"] for r in rows if r["method"] == "float"]
    for method in dict.fromkeys(r["method"] for r in rows if r["method"] != "float"):
        pts = sorted((r["bits"], r["accuracy"], r["recon_error"]) for r in rows if r["method"] == method)
        bits, acc, err = zip(*pts)
        ax_acc.plot(bits, [100 * a for a in acc], marker="o", label=method)
        ax_err.plot(bits, err, marker="o", label=method)
    if float_acc:
        ax_acc.axhline(100 * float_acc[0], color="gray", linestyle="--", label="float")
    ax_acc.set(xlabel="weight bits", ylabel="test accuracy (%)", title="Accuracy")
    ax_err.set(xlabel="weight bits", ylabel="summed layer reconstruction error", yscale="log",
               title="Reconstruction error (calibration set)")
    for ax in (ax_acc, ax_err):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_compare(report, path: str | Path) -> Path:
    """A recorded QPU-like route against SA (an ``annealq.studies.compare.Comparison``), per neuron:
    relative energy-gap histogram, best energy of the route against SA at the matched budget,
    and the chance of reaching the best known energy within R of the reads made."""
    import numpy as np
    from matplotlib.ticker import NullFormatter

    from annealq.studies.compare import success_within_reads

    rows, solvers = report.neurons, report.solvers
    fig, (ax_gap, ax_pair, ax_reads) = plt.subplots(1, 3, figsize=(15, 4.2))
    gaps = {s: np.array([100 * r[f"{s}_rel_gap"] for r in rows]) for s in solvers}
    positive = np.concatenate([g[(g > 0) & np.isfinite(g)] for g in gaps.values()])
    if positive.size:
        bins = np.geomspace(positive.min(), positive.max() * 1.0001, 25)
        for s, g in gaps.items():
            ax_gap.hist(g[(g > 0) & np.isfinite(g)], bins=bins, histtype="step", linewidth=1.5,
                        label=f"{s} ({int((g == 0).sum())} of {len(g)} at 0)")
        ax_gap.set(xscale="log")
        ax_gap.xaxis.set_minor_formatter(NullFormatter())
    ax_gap.set(xlabel="energy gap to the best known (%), neurons above 0", ylabel="neurons",
               title="Energy gap per neuron")
    matched = solvers[1]
    groups = dict.fromkeys((r["config"], r["layer"]) for r in rows)
    for config, layer in groups:
        pts = np.array([(r[f"{matched}_energy"], r["qpu_energy"]) for r in rows
                        if (r["config"], r["layer"]) == (config, layer)])
        label = f"layer {layer}" if len({c for c, _ in groups}) == 1 else f"{config} layer {layer}"
        ax_pair.scatter(*pts.T, s=12, alpha=0.7, label=label)
    energies = np.array([(r[f"{matched}_energy"], r["qpu_energy"]) for r in rows]).ravel()
    positive = energies[energies > 0]
    if positive.size:
        lo, hi = positive.min(), positive.max()
        ax_pair.plot([lo, hi], [lo, hi], color="gray", linestyle="--", linewidth=1, label="equal")
        ax_pair.set(xscale="log", yscale="log")
        ax_pair.xaxis.set_minor_formatter(NullFormatter())
        ax_pair.yaxis.set_minor_formatter(NullFormatter())
    ax_pair.set(xlabel=f"{matched} best energy", ylabel="recorded route's best energy",
                title="Best energy per neuron")
    for s in solvers:
        reads = min(r[f"{s}_reads"] for r in rows)
        within = np.mean([success_within_reads(round(r[f"{s}_success"] * r[f"{s}_reads"]), r[f"{s}_reads"])[:reads]
                          for r in rows], axis=0)
        ax_reads.plot(np.arange(1, reads + 1), 100 * within, label=s)
    ax_reads.set(xlabel="reads R (drawn from those made)", ylabel="neurons at the best known within R reads (%)",
                 xscale="log", title="Success probability against reads")
    for ax in (ax_gap, ax_pair, ax_reads):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _graph_styles(rows) -> dict:
    """(profile, graph) -> line style: a colour per profile, solid for the working graph, dashed for the ideal one."""
    keys = list(dict.fromkeys((r["profile"], r["graph"]) for r in rows))
    colours = {p: f"C{i}" for i, p in enumerate(dict.fromkeys(p for p, _ in keys))}
    return {(p, g): {"color": colours[p], "linestyle": "--" if g == "ideal" else "-", "label": f"{p} ({g})"}
            for p, g in keys}


def plot_embedding_cost(rows: list[dict], path: str | Path, fan_in: int) -> Path:
    """Embedding-cost rows (``annealq.studies.embedding_cost``) at one fan-in, one panel row per
    formulation: physical qubits per neuron, longest chain and estimated QPU access time of the
    layer against bits, one line per profile and graph; hollow markers: the neuron needs
    decomposition (qubits and chains of one block, time of every block call)."""
    chosen = [r for r in rows if r["fan_in"] == fan_in]
    if not chosen:
        raise ValueError(f"no rows at fan-in {fan_in}; fan-ins present: {sorted({r['fan_in'] for r in rows})}")
    forms = list(dict.fromkeys(r["formulation"] for r in chosen))
    styles = _graph_styles(chosen)
    fig, axes = plt.subplots(len(forms), 3, figsize=(16, 4.2 * len(forms)), squeeze=False)
    fields = (("qubits", "physical qubits per neuron"), ("max_chain", "longest chain"),
              ("qpu_access_s", "est. QPU access s, layer of {neurons}"))
    for axrow, form in zip(axes, forms):
        for key, style in styles.items():
            pts = sorted((r for r in chosen if r["formulation"] == form and (r["profile"], r["graph"]) == key),
                         key=lambda r: r["bits"])
            for ax, (field, _) in zip(axrow, fields):
                ax.plot([r["bits"] for r in pts], [r[field] for r in pts], marker="o", markersize=4,
                        markevery=[i for i, r in enumerate(pts) if r["fits"]], **style)
                split = [r for r in pts if not r["fits"]]
                ax.plot([r["bits"] for r in split], [r[field] for r in split], linestyle="none", marker="o",
                        markersize=5, markerfacecolor="none", color=style["color"])
        for ax, (field, title) in zip(axrow, fields):
            ax.set(xlabel="bits per weight", title=f"{form}, fan-in {fan_in}: {title.format(**chosen[0])}")
            ax.grid(alpha=0.3)
        axrow[0].set(yscale="log")
        axrow[2].set(yscale="log")
    axes[0][0].legend(fontsize=7, title="hollow: decomposed", title_fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_fan_in_limit(rows: list[dict], path: str | Path, fan_in: int) -> Path:
    """Largest fan-in whose neuron QUBO fits one clique against bits (fixed point: solid
    markers; rounding: flat, ``largest clique - 1`` at any bits), and the rounding QUBO's
    coupling dynamic range after scaling at ``fan_in`` against the hardware's J precision."""
    from annealq.studies.embedding_cost import largest_fan_in

    styles = _graph_styles(rows)
    fig, (ax_fit, ax_j) = plt.subplots(1, 2, figsize=(13, 4.5))
    for key, style in styles.items():
        for form, marker in (("fixed_point", "o"), ("rounding", None)):
            limit = {r["bits"]: largest_fan_in(r) for r in rows
                     if r["formulation"] == form and (r["profile"], r["graph"]) == key}
            if limit:
                bits = sorted(limit)
                ax_fit.plot(bits, [limit[b] for b in bits], marker=marker, markersize=4,
                            **{**style, "label": style["label"] if form == "fixed_point" else None,
                               "alpha": 1.0 if form == "fixed_point" else 0.5})
        rounding = sorted((r for r in rows if r["formulation"] == "rounding" and r["fan_in"] == fan_in
                           and (r["profile"], r["graph"]) == key), key=lambda r: r["bits"])
        if rounding:
            ax_j.plot([r["bits"] for r in rounding], [r["j_dynamic_range_bits"] for r in rounding], marker="o",
                      markersize=4, **style)
    hardware = sorted({r["j_hardware_bits"] for r in rows if r["formulation"] == "rounding"})
    for h in hardware:
        ax_j.axhline(h, color="gray", linestyle=":", label=f"hardware: max|J| / J precision = {2 ** h:.0f} "
                                                           f"({h:.1f} bits)")
    ax_fit.set(xlabel="bits per weight", ylabel="largest fan-in", yscale="log",
               title="Largest fan-in that fits one clique (faint: rounding, any bits)")
    ax_j.set(xlabel="weight bits", ylabel="max|J| / min|J|, bits",
             title=f"Rounding QUBO, fan-in {fan_in}: coupling range after scaling (embedded)")
    for ax in (ax_fit, ax_j):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
