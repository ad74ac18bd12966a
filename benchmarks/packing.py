"""Neurons per QPU call against the qubit bound: PTQ's dense neuron QUBOs packed on disjoint cliques.

Per profile and fan-in f (a neuron's QUBO has k = f + 1 variables), the qubit bound
(``annealq.embedding.calls.qubit_bound``: working qubits // qubits of the best single clique of
K_k on the working graph) against the cliques each packing strategy places: ``tiled`` (the
earlier default: one tile's clique at every aligned offset, damaged windows re-embedded),
``greedy`` (minorminer's find_multiple_embeddings, the standing alternative) and ``setpack``
(the default: native cliques in every orientation at every offset, a set packing program,
damaged placements repaired by minorminer, greedy fill), with qubits used, longest chain and seconds to pack.  ``setpack`` runs
with several seeds (busclique's and the window order's).  A k past the largest clique is
reported with its block decomposition (blocks of the largest clique, one per call).
Saved to benchmarks/results/packing.{json,txt} (``--ideal``: the full graphs, packing_ideal.*).

Run: ``python benchmarks/packing.py [--profiles P,Q] [--fan-ins 65,129] [--seeds 0,1] [--ideal]``
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

from annealq.embedding import clique_embedder, pack_clique_embeddings
from annealq.embedding.calls import qubit_bound
from annealq.profiles import load_profile
from annealq.report.tables import text_table

OUT = Path(__file__).parent / "results"


def pack(profile, k: int, strategy: str, seed: int, ideal: bool) -> dict:
    start = time.perf_counter()
    embs = pack_clique_embeddings(profile, k, strategy=strategy, seed=seed, ideal=ideal)
    return {"per_call": len(embs), "qubits": sum(len(c) for e in embs for c in e.values()),
            "longest_chain": max(len(c) for e in embs for c in e.values()),
            "seconds": time.perf_counter() - start}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="Advantage_system4.1,Advantage2_system1,Advantage2_Z15")
    parser.add_argument("--fan-ins", default="65,129,197,785")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--ideal", action="store_true", help="the full graphs (no yield model): packing_ideal.*")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    rows, lines = [], []
    for name in args.profiles.split(","):
        profile = load_profile(name)
        graph = profile.graph(ideal=args.ideal)
        largest = clique_embedder(graph).largest_clique_size()
        for fan_in in (int(f) for f in args.fan_ins.split(",")):
            k = fan_in + 1
            row = {"profile": name, "fan_in": fan_in, "variables": k, "largest_clique": largest,
                   "bound": qubit_bound(graph, k)}
            if k > largest:
                blocks = math.ceil(k / largest)
                row["decomposition"] = f"{blocks} blocks of <= {largest} variables, one block per call"
                lines.append([name, fan_in, "split", "-", "-", "-", "-", "-", row["decomposition"]])
            else:
                row["tiled"] = pack(profile, k, "tiled", 0, args.ideal)
                row["greedy"] = pack(profile, k, "greedy", 0, args.ideal)
                row["setpack"] = [pack(profile, k, "setpack", s, args.ideal) for s in seeds]
                after = [r["per_call"] for r in row["setpack"]]
                spread = f"{statistics.mean(after):.1f} ({min(after)}-{max(after)})"
                best = max(row["setpack"], key=lambda r: r["per_call"])
                lines.append([name, fan_in, row["bound"], row["tiled"]["per_call"], row["greedy"]["per_call"], spread,
                              f"{statistics.mean(after) / row['bound']:.0%}",
                              f"{best['qubits']} / {best['longest_chain']}",
                              f"tiled {row['tiled']['seconds']:.0f} s, greedy {row['greedy']['seconds']:.0f} s, "
                              f"setpack {statistics.mean(r['seconds'] for r in row['setpack']):.0f} s"])
            rows.append(row)
            print(text_table(HEAD, lines[-1:]), flush=True)
    stem = "packing_ideal" if args.ideal else "packing"
    text = (f"{'ideal' if args.ideal else 'working'} graphs: neurons per QPU call (seeds {args.seeds} for setpack: "
            f"mean (min-max)); qubits / longest chain of the best setpack packing\n" + text_table(HEAD, lines))
    print("\n" + text)
    (OUT / f"{stem}.json").write_text(json.dumps(rows, indent=1))
    (OUT / f"{stem}.txt").write_text(text + "\n")
    print(f"saved {OUT / stem}.json and .txt")


HEAD = ("profile", "fan-in", "qubit bound", "tiled (before)", "greedy", "setpack (after)", "of bound",
        "qubits / chain", "seconds to pack")

if __name__ == "__main__":
    main()
