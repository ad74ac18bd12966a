"""Figures for the studies, written to files.

Built on :class:`matplotlib.figure.Figure` directly, not pyplot: no backend is chosen or
changed, so importing this module leaves a notebook's inline display as it was.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from annealq.report.figures import save_figure, series_style


def plot_compare(report, path: str | Path) -> Path:
    """A recorded QPU-like route against SA (an ``annealq.studies.compare.Comparison``), per neuron:
    relative energy-gap histogram, best energy of the route against SA at the matched budget,
    and the chance of reaching the best known energy within R of the reads made."""
    import numpy as np
    from matplotlib.ticker import NullFormatter

    from annealq.studies.compare import success_within_reads

    rows, solvers = report.neurons, report.solvers
    routes = sorted({c["route"] for c in report.configs})
    name = {s: s for s in solvers} | {"qpu": " / ".join(routes) or "recorded route"}  # mock or real, as recorded
    fig = Figure(figsize=(15, 4.2))
    ax_gap, ax_pair, ax_reads = fig.subplots(1, 3)
    gaps = {s: np.array([100 * r[f"{s}_rel_gap"] for r in rows]) for s in solvers}
    positive = np.concatenate([g[(g > 0) & np.isfinite(g)] for g in gaps.values()])
    if positive.size:
        bins = np.geomspace(positive.min(), positive.max() * 1.0001, 25)
        for s, g in gaps.items():
            ax_gap.hist(g[(g > 0) & np.isfinite(g)], bins=bins, histtype="step", linewidth=1.5,
                        label=f"{name[s]} ({int((g == 0).sum())} of {len(g)} at 0)")
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
    ax_pair.set(xlabel=f"{matched} best energy", ylabel=f"{name['qpu']} best energy",
                title="Best energy per neuron")
    for s in solvers:
        reads = min(r[f"{s}_reads"] for r in rows)
        within = np.mean([success_within_reads(round(r[f"{s}_success"] * r[f"{s}_reads"]), r[f"{s}_reads"])[:reads]
                          for r in rows], axis=0)
        ax_reads.plot(np.arange(1, reads + 1), 100 * within, label=name[s])
    ax_reads.set(xlabel="reads R (drawn from those made)", ylabel="neurons at the best known within R reads (%)",
                 xscale="log", title="Success probability against reads")
    for ax in (ax_gap, ax_pair, ax_reads):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def _graph_styles(rows) -> dict:
    """(profile, graph) -> line style: a colour and a marker per profile (a line hidden under another's still
    shows its markers), solid for the working graph, dashed for the ideal one."""
    keys = list(dict.fromkeys((r["profile"], r["graph"]) for r in rows))
    styles = {p: series_style(i) for i, p in enumerate(dict.fromkeys(p for p, _ in keys))}
    return {(p, g): {"color": styles[p]["color"], "marker": styles[p]["marker"],
                     "linestyle": "--" if g == "ideal" else "-", "label": f"{p} ({g})"} for p, g in keys}


def _save_with_legend(fig, axes, path) -> Path:
    """One legend under the panels (the lines of the first), then save."""
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_yscale() == "linear":  # counts (qubits, chain lengths) tick at integers
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    return save_figure(fig, path, rect=(0, 0.08 if len(axes) <= 3 else 0.05, 1, 1))


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
    fig = Figure(figsize=(16, 4.2 * len(forms) + 0.6))
    axes = fig.subplots(len(forms), 3, squeeze=False)
    limit = chosen[0]["pack_limit"]
    packing = "no packing" if limit == 0 else f"packing up to {limit} variables" if limit else "packing"
    titles = {"qubits": "physical qubits per neuron", "max_chain": "longest chain",
              "qpu_access_s": f"est. QPU s, {chosen[0]['neurons']} neurons"}
    for axrow, form in zip(axes, forms):
        for key, style in styles.items():
            pts = sorted((r for r in chosen if r["formulation"] == form and (r["profile"], r["graph"]) == key),
                         key=lambda r: r["bits"])
            for ax, field in zip(axrow, titles):
                ax.plot([r["bits"] for r in pts], [r[field] for r in pts], markersize=4,
                        markevery=[i for i, r in enumerate(pts) if r["fits"]], **style)
                split = [r for r in pts if not r["fits"]]
                ax.plot([r["bits"] for r in split], [r[field] for r in split], linestyle="none",
                        marker=style["marker"], markersize=5, markerfacecolor="none", color=style["color"])
        for ax, title in zip(axrow, titles.values()):
            ax.set(xlabel="bits per weight", title=f"{form}, fan-in {fan_in}: {title}")
        axrow[2].set(yscale="log")
        if any(r["formulation"] == form and r["bits"] > 1 and r["variables"] > r["fan_in"] + 1 for r in chosen):
            axrow[0].set(yscale="log")
    fig.suptitle(f"hollow markers: the neuron needs decomposition (one block per call); {packing}", y=0.995,
                 fontsize=9)
    return _save_with_legend(fig, axes.ravel(), path)


def plot_fan_in_limit(rows: list[dict], path: str | Path, fan_in: int) -> Path:
    """Largest fan-in whose neuron QUBO fits one clique against bits (fixed point, and
    rounding: ``largest clique - 1`` at any bits, faint), and the rounding QUBO's smallest
    coupling after scaling (embedded) at ``fan_in`` against the profile's J precision."""
    from annealq.studies.embedding_cost import largest_fan_in

    styles = _graph_styles(rows)
    fig = Figure(figsize=(13, 5))
    ax_fit, ax_j = fig.subplots(1, 2)
    for key, style in styles.items():
        for form in ("fixed_point", "rounding"):
            limit = {r["bits"]: largest_fan_in(r) for r in rows
                     if r["formulation"] == form and (r["profile"], r["graph"]) == key}
            bits = sorted(limit)
            faint = {} if form == "fixed_point" else {"label": None, "alpha": 0.4, "marker": None}
            ax_fit.plot(bits, [limit[b] for b in bits], **{"markersize": 4, **style, **faint})
        rounding = sorted((r for r in rows if r["formulation"] == "rounding" and r["fan_in"] == fan_in
                           and (r["profile"], r["graph"]) == key), key=lambda r: r["bits"])
        ax_j.plot([r["bits"] for r in rounding], [r["j_min"] for r in rounding], markersize=4, **style)
    for precision in sorted({r["j_precision"] for r in rows if r["formulation"] == "rounding"}):
        ax_j.axhline(precision, color="black", linestyle=":", linewidth=1)
        ax_j.annotate(f"J precision {precision:g}", (1, precision), textcoords="offset points", xytext=(2, 4),
                      fontsize=8)
    ax_fit.set(xlabel="bits per weight", ylabel="largest fan-in", yscale="log",
               title="Largest fan-in that fits one clique (faint: rounding, any bits)")
    ax_j.set(xlabel="weight bits", ylabel="smallest |J| after scaling", yscale="log",
             title=f"Rounding QUBO, fan-in {fan_in}: smallest coupling on the QPU (embedded)")
    return _save_with_legend(fig, [ax_fit, ax_j], path)
