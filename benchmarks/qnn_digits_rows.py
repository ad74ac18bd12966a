"""Every QNN method as a row of one ``annealq train-qnn`` table on digits (4x4 pooled, 3 input
levels, 16-16-10 binary), where the constrained ``qcgd`` still runs in minutes: the annealer
method and its ablations against ``qcgd`` with its raw oracle feasibility, STE and float.

Same rounds for every fit method and ``qcgd`` (6 rounds of 32 samples, squared loss so ``qcgd``
trains the reported loss), 3 seeds.  Each seed is one CLI run (``--out`` folder, resumable);
the folders' report.json files are merged into benchmarks/results/qnn_digits_rows.{json,txt,png}
(the journals stay in the run folders, outside the repository).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/qnn_digits_rows.py --runs runs/qnn_digits_rows
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from annealq.report.figures import save_figure, series_style
from annealq.report.tables import Column, table

RESULTS = Path(__file__).parent / "results"
METHODS = "targets,random,rounding,greedy,qcgd,ste,float"
ARGS = ["--dataset", "digits", "--pool", "4", "--input-levels", "3", "--hidden", "16", "--bits", "1", "--loss",
        "squared", "--batch", "32", "--scenario", "1", "--inner", "2", "--iterations", "6", "--methods", METHODS,
        "--epochs", "30", "--route", "sa", "--num-reads", "4", "--num-sweeps", "200"]
COLUMNS = (Column("method"), Column("route"), Column("bits_per_weight", "bits/weight", "number"),
           Column("accuracy", "test accuracy (mean)", "percent"), Column("accuracy_spread", "spread (max-min)", "percent"),
           Column("train_loss", "train loss", "fixed"), Column("oracle_calls", "oracle calls"),
           Column("seconds", kind="seconds"), Column("hidden_oracle_share", "hidden changes from oracle", "percent"),
           Column("raw_feasible", "raw feasible", "percent"), Column("raw_residual", "raw residual", "number"))


def collect(runs: Path, seeds) -> dict:
    reports = [json.loads((runs / f"seed-{s}" / "report.json").read_text()) for s in seeds]
    rows = []
    for method in METHODS.split(","):
        got = [r for rep in reports for run in rep["runs"] for r in run["rows"] if r["method"] == method]
        acc = np.array([r["accuracy"] for r in got])
        row = {"method": method, "route": got[0]["route"], "bits_per_weight": got[0]["bits_per_weight"],
               "accuracy": float(acc.mean()), "accuracy_spread": float(acc.max() - acc.min()),
               "accuracies": acc.tolist()}
        for key in ("train_loss", "oracle_calls", "seconds", "hidden_oracle_share", "raw_feasible", "raw_residual"):
            if key in got[0]:
                row[key] = float(np.mean([r[key] for r in got]))
        row["oracle_calls"] = int(row["oracle_calls"])
        rows.append(row)
    curves = [run["curves"] for rep in reports for run in rep["runs"]]
    return {"rows": rows, "curves": curves, "command": "annealq train-qnn " + " ".join(ARGS)}


def plot(out, path) -> Path:
    fig = Figure(figsize=(11, 4))
    ax_acc, ax_raw = fig.subplots(1, 2)
    for k, method in enumerate(m for m in METHODS.split(",") if m in out["curves"][0]):
        acc = np.mean([[p["accuracy"] for p in c[method]] for c in out["curves"]], axis=0)
        ax_acc.plot(range(1, len(acc) + 1), 100 * acc, label=method, **series_style(k))
    raw = np.mean([[p["raw_feasible"] for p in c["qcgd"]] for c in out["curves"]], axis=0)
    ax_raw.plot(range(1, len(raw) + 1), 100 * raw, marker="o", label="qcgd")
    ax_acc.set(xlabel="round", ylabel="test accuracy (%), mean over seeds", title="Accuracy per round")
    ax_raw.set(xlabel="round", ylabel="oracle answers feasible as returned (%)",
               title="qcgd: raw feasibility per round")
    for ax in (ax_acc, ax_raw):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs/qnn_digits_rows", help="folder of the per-seed run folders")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--collect", action="store_true", help="merge existing runs only")
    args = parser.parse_args()
    runs, seeds = Path(args.runs), args.seeds.split(",")
    if not args.collect:
        for s in seeds:
            subprocess.run([sys.executable, "-m", "annealq.cli", "train-qnn", *ARGS, "--seed", s,
                            "--out", str(runs / f"seed-{s}")], check=True)
    out = collect(runs, seeds)
    (RESULTS / "qnn_digits_rows.json").write_text(json.dumps(out, indent=1))
    text = table(out["rows"], COLUMNS)
    (RESULTS / "qnn_digits_rows.txt").write_text(out["command"] + "\n\n" + text + "\n")
    print(text)
    plot(out, RESULTS / "qnn_digits_rows.png")


if __name__ == "__main__":
    main()
