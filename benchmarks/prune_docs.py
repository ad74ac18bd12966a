"""Write the pruning results of docs/prune.md and the README's summary table from the saved benchmark
JSON (no typed figures).

Reads benchmarks/results/prune_denoise*.json, prune_digits.json and prune_fashion.json (those
present) and replaces the text between the ``prune-results`` markers of docs/prune.md and the
``prune-summary`` markers of README.md.  Run:
    python benchmarks/prune_docs.py
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
NAMES = ("prune_denoise", "prune_denoise_halfunet", "prune_denoise_halfunet_recalibrated", "prune_digits",
         "prune_fashion")
#: the research targets at 36% sparsity without fine-tuning
QUBO_TARGET = {"psnr": 0.26, "accuracy": 0.0}
REFINE_TARGET = 0.12


def section(report: dict) -> str:
    metric = report["rows"][0]["metric"]
    unit = " dB" if metric == "psnr" else ""
    margins = report["margins"]
    lines = [f"### {report['task']} (`benchmarks/results/{report['name']}.{{json,txt}}`, seeds {report['seeds']})", "",
             "```", report["text"], "```", ""]
    target = QUBO_TARGET[metric]
    for label in dict.fromkeys(("fisher-qubo", report["picked"]["0.36"])):
        m = margins[label]["0.36"]
        p = report["paired_margins"][label]["0.36"]
        verdict = "met" if m >= target else f"missed by {target - m:.4f}{unit}"
        lines.append(f"- `{label}` at 36%: {m:+.4f}{unit} against the best mean of {', '.join(report['baselines'])} "
                     f"(target {target:+.2f}{unit}: {verdict}); per seed against that seed's best baseline "
                     f"{p['mean']:+.4f} +- {p['std']:.4f}{unit}, won on {p['wins']} of {p['n']} seeds.")
    wins = [(label, s, m) for label, by in margins.items() for s, m in by.items() if m > 0]
    lines.append("- QUBO rows above the best baseline mean: " + (", ".join(f"`{label}` at {float(s):g} ({m:+.4f}{unit})"
                                                                     for label, s, m in wins) or "none") + ".")
    for r in report["refinement_summary"]:
        verdict = "met" if metric != "psnr" or r["gain"] >= REFINE_TARGET else \
            f"missed by {REFINE_TARGET - r['gain']:.4f} dB"
        if metric == "psnr":
            lines.append(f"- refinement `{r['refine']}` at {r['budget']} evaluations: {r['gain']:+.4f}{unit} on the "
                         f"test split over its start ({r['validation_gain']:+.4f} held-out; target +{REFINE_TARGET} dB: "
                         f"{verdict}).")
    return "\n".join(lines) + "\n"


def summary(reports: list[dict]) -> str:
    """At 36% without fine-tuning, per task: the best baseline, the paper's QUBO and the QUBO the
    held-out split picks, as means over seeds and margins."""
    lines = ["| task (36%, 3 seeds, test mean) | best of the baselines | `fisher-qubo` | held-out pick |",
             "|---|---|---|---|"]
    for r in reports:
        unit = " dB" if r["rows"][0]["metric"] == "psnr" else ""
        mean = {(s["label"], s["sparsity"]): s["mean"] for s in r["summary"]}
        best = max(r["baselines"], key=lambda b: mean[(b, 0.36)])
        pick = r["picked"]["0.36"]
        cell = lambda label: f"{mean[(label, 0.36)]:.4g}{unit} ({r['margins'][label]['0.36']:+.3g})"  # noqa: E731
        lines.append(f"| {r['name'].removeprefix('prune_')} | {mean[(best, 0.36)]:.4g}{unit} ({best}) | {cell('fisher-qubo')} | "
                     f"{cell(pick)} `{pick}` |")
    return "\n".join(lines) + "\n"


def replace_between(path: Path, marker: str, body: str) -> None:
    text = path.read_text()
    path.write_text(re.sub(rf"(<!-- {marker}:begin -->\n).*?(<!-- {marker}:end -->)",
                           lambda m: m.group(1) + body + m.group(2), text, flags=re.S))


def main():
    reports = [json.loads((RESULTS / f"{n}.json").read_text()) for n in NAMES if (RESULTS / f"{n}.json").exists()]
    reports = [r for r in reports if "margins" in r]
    body = "\n".join(section(r) for r in reports)
    replace_between(ROOT / "docs" / "prune.md", "prune-results", body)
    replace_between(ROOT / "README.md", "prune-summary", summary(reports))
    print(body)


if __name__ == "__main__":
    main()
