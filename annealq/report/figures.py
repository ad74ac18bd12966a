"""One figure saver for every plot: laid out, written as PNG with an SVG (vector) copy beside it.

Example:
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> _ = fig.subplots().plot([1, 2], [3, 4])
    >>> path = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line.png")
    >>> path.suffix, path.with_suffix(".svg").is_file()
    ('.png', True)
"""
from __future__ import annotations

from pathlib import Path


def save_figure(fig, path, rect=None) -> Path:
    """Lay ``fig`` out (inside ``rect``) and save it as ``path`` (PNG, 120 dpi) and beside it as SVG; the path."""
    fig.tight_layout(rect=rect)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    fig.savefig(path.with_suffix(".svg"))
    return path
