"""Write the pruning results section of docs/prune.md from the saved benchmark JSON (no typed figures).

Reads benchmarks/results/prune_denoise*.json, prune_digits.json and prune_fashion.json (those
present) and replaces the text between the ``prune-results`` markers.  Run:
    python benchmarks/prune_docs.py
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
NAMES = ("prune_denoise", "prune_denoise_halfunet", "prune_denoise_halfunet_recalibrated", "prune_digits",
         "prune_fashion")
#: issue 19's targets at 36% sparsity without fine-tuning
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


def main():
    reports = [json.loads((RESULTS / f"{n}.json").read_text()) for n in NAMES if (RESULTS / f"{n}.json").exists()]
    body = "\n".join(section(r) for r in reports if "margins" in r)
    doc = ROOT / "docs" / "prune.md"
    text = doc.read_text()
    new = re.sub(r"(<!-- prune-results:begin -->\n).*?(<!-- prune-results:end -->)",
                 lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
    doc.write_text(new)
    print(body)


if __name__ == "__main__":
    main()
