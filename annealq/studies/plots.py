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
