"""Embedding cost per bit-width: the default study on every shipped hardware profile.

Prints the summary tables and the run time, and saves benchmarks/results/embedding_cost.csv,
.json, embedding_cost.png (fan-in 32) and embedding_fan_in.png; the same as
``annealq study embedding --out benchmarks/results``.

Run: ``python benchmarks/embedding_cost.py`` (a few minutes on 2 cores).
"""
from __future__ import annotations

from pathlib import Path
from time import perf_counter

from annealq.studies.embedding_cost import embedding_cost, format_summary, save_rows
from annealq.studies.plots import plot_embedding_cost, plot_fan_in_limit

OUT = Path(__file__).parent / "results"
PLOT_FAN_IN = 32


def main():
    start = perf_counter()
    rows = embedding_cost()
    seconds = perf_counter() - start
    print(format_summary(rows))
    builds = {(r["profile"], r["graph"]): r["cache_build_s"] for r in rows}
    print("\nbusclique cache build, s: " + ", ".join(f"{p} {g} {s:.2f}" for (p, g), s in builds.items()))
    packing = {(r["profile"], r["graph"], r["variables"]): r["pack_s"] for r in rows if r["packed"]}
    print(f"clique lookup per size: median {1e3 * sorted(r['embed_s'] for r in rows)[len(rows) // 2]:.3f} ms; "
          f"packing: {len(packing)} sizes in {sum(packing.values()):.0f} s")
    print(f"{len(rows)} points in {seconds:.0f} s")
    paths = save_rows(rows, OUT)
    plot_embedding_cost(rows, OUT / "embedding_cost.png", PLOT_FAN_IN)
    plot_fan_in_limit(rows, OUT / "embedding_fan_in.png", PLOT_FAN_IN)
    print(f"saved {paths['csv']}, {paths['json']} and the figures in {OUT}")


if __name__ == "__main__":
    main()
