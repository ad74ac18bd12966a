"""How the QUBO's defaults were chosen: importance mix x redundancy weight x similarity, on the
held-out splits (``validation``) of both tasks at 36% sparsity; the test value is printed too.

Writes benchmarks/results/prune_selection.json.  Run:
    nice -n 10 python benchmarks/prune_selection.py
"""
import itertools
import json
from pathlib import Path

from annealq.prune import PruneConfig, prune
from annealq.prune.tasks import load_task
from annealq.samplers import SolverConfig

IMPORTANCE = ({"taylor": 1.0}, {"fisher": 1.0}, {"l1": 1.0}, {"fisher": 0.5, "l1": 0.5})
REDUNDANCY = (0.0, 0.1, 0.5)
SIMILARITY = ("cosine", "correlation")

if __name__ == "__main__":
    rows = []
    for name in ("denoise", "digits"):
        task = load_task(name, sigma=25)
        for imp, red, sim in itertools.product(IMPORTANCE, REDUNDANCY, SIMILARITY):
            if red == 0 and sim != "cosine":
                continue
            config = PruneConfig(sparsity=0.36, importance=imp, redundancy=red, similarity=sim,
                                 solver=SolverConfig(num_reads=10))
            result = prune(task.model, task.calibration, config)
            rows.append({"task": task.name, "importance": imp, "redundancy": red, "similarity": sim,
                         "validation": task.validate(result.model), "value": task.test(result.model)})
            print(json.dumps(rows[-1]), flush=True)
    out = Path(__file__).parent / "results" / "prune_selection.json"
    out.write_text(json.dumps(rows, indent=1))
