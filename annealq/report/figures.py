"""One figure style and one figure saver for every plot: distinct colours, markers and dashes per
series (they survive greyscale), integer ticks for bits, the value axis fitted to the methods
that compete (the others named off scale), a title naming model, data and route, and the figure
written as PNG with an SVG (vector) copy beside it.

Example:
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.plot([1, 2], [3, 4], **series_style(0))
    >>> bit_axis(ax, [2, 1])
    >>> [int(t) for t in ax.get_xticks()]
    [1, 2]
    >>> path = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line.png")
    >>> path.suffix, path.with_suffix(".svg").is_file()
    ('.png', True)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

MARKERS = "osD^v<>pPX*h"
DASHES = ("-", "--", "-.", ":")


def series_style(k: int) -> dict:
    """The ``k``-th series' colour, marker and line style (all three differ between neighbours)."""
    return {"color": f"C{k % 10}", "marker": MARKERS[k % len(MARKERS)], "linestyle": DASHES[k % len(DASHES)]}


def bit_axis(ax, bits, label: str | None = None) -> None:
    """Integer ticks at ``bits`` (one value: a range of one either side, so it is not a lone dot
    on fractional ticks)."""
    values = sorted({int(b) for b in bits})
    ax.set_xticks(values)
    if len(values) == 1:
        ax.set_xlim(values[0] - 1, values[0] + 1)
    if label:
        ax.set_xlabel(label)


def fit_to_competitors(ax, series: dict, higher_is_better: bool = True, keep: float = 0.5) -> list[str]:
    """Fit the value axis to the series whose median lies in the better ``keep`` share of the span
    of medians; the names of the series left (partly) off scale are returned for the legend.

    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> fit_to_competitors(ax, {"qubo": [0.95, 0.94], "greedy": [0.96, 0.93], "random": [0.2, 0.1]})
    ['random']
    """
    medians = {name: float(np.median(v)) for name, v in series.items() if len(v)}
    if len(medians) < 3:
        return []
    best, worst = (max(medians.values()), min(medians.values())) if higher_is_better else \
        (min(medians.values()), max(medians.values()))
    cut = best + keep * (worst - best)
    kept = [n for n, m in medians.items() if (m >= cut if higher_is_better else m <= cut)]
    values = np.concatenate([np.asarray(series[n], dtype=float) for n in kept])
    lo, hi = float(values.min()), float(values.max())
    pad = 0.08 * (hi - lo or abs(hi) or 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    return sorted(n for n in series if n not in kept)


def save_figure(fig, path, rect=None) -> Path:
    """Lay ``fig`` out (inside ``rect``) and save it as ``path`` (PNG, 120 dpi) and beside it as SVG; the path."""
    fig.tight_layout(rect=rect)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")  # legends placed beside the axes stay in
    fig.savefig(path.with_suffix(".svg"), bbox_inches="tight")
    return path
