"""Write the pruning results of docs/prune.md and the README's summary from the saved benchmark JSON
(no typed figures): the 36% table with and without fine-tuning, the per-seed margins of the QUBO rows at
every sparsity, and the tally of the two pair terms that decides the default.

Reads benchmarks/results/prune_denoise*.json, prune_digits.json and prune_fashion.json (those
present) and replaces the text between the ``prune-results`` markers of docs/prune.md and the
``prune-summary`` markers of README.md and docs/prune.md.  Run:
    python benchmarks/prune_docs.py
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
NAMES = ("prune_denoise", "prune_denoise_halfunet", "prune_digits", "prune_fashion",
         "prune_denoise_halfunet_recalibrated")
#: the research targets at 36% sparsity without fine-tuning
QUBO_TARGET = {"psnr": 0.26, "accuracy": 0.0}
REFINE_TARGET = 0.12
#: the QUBO rows of the per-seed table, and the pairs (redundancy, second-order) of the pair-term tally
QUBOS = ("fisher-qubo", "fisher-qubo[second-order]")
PAIRS = {"fisher": ("fisher-qubo", "fisher-qubo[second-order]"), "taylor": ("taylor-qubo", "taylor-qubo[second-order]")}


def unit(report: dict) -> str:
    return " dB" if report["rows"][0]["metric"] == "psnr" else ""


def number(report: dict, value: float, sign: bool = True) -> str:
    """PSNR to 0.01 dB, accuracy to 0.0001."""
    digits = 2 if report["rows"][0]["metric"] == "psnr" else 4
    return f"{value:{'+' if sign else ''}.{digits}f}"


def settings(report: dict) -> list[tuple[int, dict]]:
    """``[(fine-tuning epochs, comparison)]``: no fine-tuning first (the top level of the report)."""
    return [(0, report)] + sorted((int(e), c) for e, c in report.get("finetuned", {}).items())


def setting_name(epochs: int) -> str:
    return f"fine-tuned {epochs} epochs" if epochs else "no fine-tuning"


def means(comparison: dict) -> dict:
    return {(s["label"], s["sparsity"]): s for s in comparison["summary"]}


def refined_label(comparison: dict) -> str | None:
    return next((s["label"] for s in comparison["summary"] if "-refined" in s["label"]), None)


def section(report: dict) -> str:
    u = unit(report)
    metric = report["rows"][0]["metric"]
    lines = [f"### {report['task']} (`benchmarks/results/{report['name']}.{{json,txt}}`, seeds {report['seeds']})", "",
             "```", report["text"], "```", ""]
    for epochs, c in settings(report):
        target = QUBO_TARGET[metric] if not epochs else None
        for label in dict.fromkeys(("fisher-qubo", "fisher-qubo[second-order]", c["picked"]["0.36"])):
            if "0.36" not in c["margins"].get(label, {}):
                continue
            m, p = c["margins"][label]["0.36"], c["paired_margins"][label]["0.36"]
            verdict = "" if target is None else \
                f" (target {target:+.2f}{u}: {'met' if m >= target else f'missed by {target - m:.4f}{u}'})"
            lines.append(f"- {setting_name(epochs)}, `{label}` at 36%: {m:+.4f}{u} against the best mean of "
                         f"{', '.join(report['baselines'])}{verdict}; per seed against that seed's best baseline "
                         f"{p['mean']:+.4f} +- {p['std']:.4f}{u}, won on {p['wins']} of {p['n']} seeds.")
        wins = [(label, s, m) for label, by in c["margins"].items() for s, m in by.items() if m > 0]
        lines.append(f"- {setting_name(epochs)}, QUBO rows above the best baseline mean: "
                     + (", ".join(f"`{label}` at {float(s):g} ({m:+.4f}{u})" for label, s, m in wins) or "none") + ".")
    for r in report["refinement_summary"] if metric == "psnr" else ():
        verdict = "met" if r["gain"] >= REFINE_TARGET else f"missed by {REFINE_TARGET - r['gain']:.4f} dB"
        lines.append(f"- refinement `{r['refine']}` at {r['budget']} evaluations: {r['gain']:+.4f}{u} on the test "
                     f"split over its start ({r['validation_gain']:+.4f} held-out; target +{REFINE_TARGET} dB: "
                     f"{verdict}).")
    return "\n".join(lines) + "\n"


def summary(reports: list[dict]) -> str:
    """At 36%, per task and fine-tuning setting: the best baseline, the two Fisher QUBOs, the refined row and
    the QUBO the held-out split picks, as test means over seeds and margins over the best baseline mean."""
    lines = ["| task (36%, test mean over seeds) | fine-tuning | best of the baselines | `fisher-qubo` (redundancy) | "
             "`fisher-qubo[second-order]` | refined | held-out pick |", "|---|---|---|---|---|---|---|"]
    for r in reports:
        u = unit(r)
        for epochs, c in settings(r):
            mean = means(c)
            best = max(r["baselines"], key=lambda b: mean[(b, 0.36)]["mean"])
            pick, refined = c["picked"]["0.36"], refined_label(c)

            def spread(label):
                s = mean[(label, 0.36)]
                return f"{number(r, s['mean'], False)}{u} +- {number(r, s['std'], False)}"

            def cell(label):
                if label is None or (label, 0.36) not in mean:
                    return ""
                return f"{spread(label)} ({number(r, c['margins'][label]['0.36'])})"

            lines.append(f"| {r['name'].removeprefix('prune_')} | {epochs or 'none'} | "
                         f"{spread(best)} ({best}) | "
                         f"{cell('fisher-qubo')} | {cell('fisher-qubo[second-order]')} | "
                         f"{cell(refined)}{f' `{refined}`' if refined else ''} | {cell(pick)} `{pick}` |")
    return "\n".join(lines) + "\n"


def regimes(reports: list[dict]) -> str:
    """Per task, fine-tuning setting and Fisher QUBO: the QUBO minus that seed's best baseline at each sparsity
    (mean +- std over seeds, seeds won): where the QUBO wins and where it does not."""
    sparsities = sorted({float(s) for r in reports for s in r["sparsities"]})
    lines = ["| task | fine-tuning | QUBO | " + " | ".join(f"{100 * s:g}%" for s in sparsities) + " |",
             "|---|---|---|" + "---|" * len(sparsities)]
    for r in reports:
        u = unit(r)
        for epochs, c in settings(r):
            for label in QUBOS:
                by = c["paired_margins"].get(label, {})
                cells = [(lambda p: f"{number(r, p['mean'])}{u} +- {number(r, p['std'], False)}, {p['wins']}/{p['n']}"
                          if p else "")(by.get(f"{s:g}")) for s in sparsities]
                lines.append(f"| {r['name'].removeprefix('prune_')} | {epochs or 'none'} | `{label}` | "
                             + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def tally(reports: list[dict]) -> str:
    """For each criterion and fine-tuning (none / some): in how many (task, sparsity) cells the second-order
    QUBO's test mean is above the redundancy QUBO's, and the mean difference per metric."""
    lines = []
    for criterion, (redundancy, second) in PAIRS.items():
        for tuned in (False, True):
            cells = {}
            for r in reports:
                for epochs, c in settings(r):
                    if bool(epochs) != tuned:
                        continue
                    mean = means(c)
                    for s in r["sparsities"]:
                        if (redundancy, s) in mean and (second, s) in mean:
                            cells.setdefault(r["rows"][0]["metric"], []).append(
                                mean[(second, s)]["mean"] - mean[(redundancy, s)]["mean"])
            if cells:
                above = sum(d > 0 for ds in cells.values() for d in ds)
                total = sum(len(ds) for ds in cells.values())
                diffs = ", ".join(f"{metric} {sum(ds) / len(ds):+.4f}{' dB' if metric == 'psnr' else ''} "
                                  f"(min {min(ds):+.4f}, max {max(ds):+.4f})" for metric, ds in cells.items())
                lines.append(f"- {criterion}, {'fine-tuned' if tuned else 'no fine-tuning'}: `{second}` above "
                             f"`{redundancy}` in {above} of {total} (task, sparsity) cells; mean difference {diffs}.")
    return "\n".join(lines) + "\n"


def replace_between(path: Path, marker: str, body: str) -> None:
    text = path.read_text()
    if f"<!-- {marker}:begin -->" not in text:
        raise ValueError(f"{path} has no <!-- {marker}:begin --> ... <!-- {marker}:end --> block to fill")
    path.write_text(re.sub(rf"(<!-- {marker}:begin -->\n).*?(<!-- {marker}:end -->)",
                           lambda m: m.group(1) + body + m.group(2), text, flags=re.S))


def main():
    reports = [json.loads((RESULTS / f"{n}.json").read_text()) for n in NAMES if (RESULTS / f"{n}.json").exists()]
    reports = [r for r in reports if "margins" in r]
    measured = [r for r in reports if r.get("finetuned")]  # the four tasks with fine-tuned rows
    head = (summary(measured) + "\nThe Fisher QUBOs minus that seed's best baseline, per sparsity (mean +- std "
            "over seeds, seeds won):\n\n" + regimes(measured) + "\nThe pair terms against each other (the default "
            "rule, `PruneConfig.quadratic`):\n\n" + tally(measured))
    body = "\n".join(section(r) for r in reports)
    replace_between(ROOT / "docs" / "prune.md", "prune-results", body)
    replace_between(ROOT / "docs" / "prune.md", "prune-summary", head)
    replace_between(ROOT / "README.md", "prune-summary", head)
    print(head)


if __name__ == "__main__":
    main()
