"""QPU cost before spending it: the dry run of two MLP shapes on every hardware profile.

For the digits MLP (64-128-64-10) and a 784-128-10 MLP, at int4 (2 levels: f + 1 variables
per neuron) and 100 reads per call, prints and saves per profile and layer the QPU calls,
physical qubits, longest chain and estimated QPU access time, with one neuron per call and
with packing (several neurons on disjoint cliques per call).  Nothing is submitted: the
embeddings are the ones the QPU routes would use, the times come from each profile's
timing model.  Saved to benchmarks/results/dry_run.json (rows) and dry_run.txt (tables).

Run: ``python benchmarks/dry_run.py`` (about a minute on 2 cores).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from annealq.ptq import QuantConfig
from annealq.profiles import list_profiles
from annealq.ptq.dryrun import dry_run, format_dry_run

OUT = Path(__file__).parent / "results"
SHAPES = {"digits 64-128-64-10": [(64, 128), (128, 64), (64, 10)], "784-128-10": [(784, 128), (128, 10)]}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    config = QuantConfig(bits=4, num_reads=100)
    rows, text = [], []
    for profile in list_profiles():
        for case, shapes in SHAPES.items():
            for pack in (False, True):
                start = time.perf_counter()
                layers = dry_run(shapes, config, profile=profile, pack=pack)
                title = (f"{case} on {profile}, {'packed' if pack else 'one neuron per call'}, "
                         f"{config.num_reads} reads ({time.perf_counter() - start:.1f} s to plan)")
                text += [title, format_dry_run(layers), ""]
                print(text[-3], text[-2], "", sep="\n", flush=True)
                rows += [{"case": case, "packed": pack, **layer} for layer in layers]
    (OUT / "dry_run.json").write_text(json.dumps(rows, indent=1))
    (OUT / "dry_run.txt").write_text("\n".join(text))
    print(f"saved {OUT / 'dry_run.json'} and {OUT / 'dry_run.txt'}")


if __name__ == "__main__":
    main()
