"""QPU cost before spending it: the dry run of two MLP shapes on every hardware profile.

For the digits MLP (64-128-64-10, the trained reference model) and a 784-128-10 MLP (random
weights, uniform inputs), at int4 (2 levels: f + 1 variables per neuron) and 100 reads per
call, the harness's dry run (``annealq.harness.dryrun.price``: the quantization itself on the
``price`` route, the QPU stack over random reads) prints and saves per profile and layer the
problems, largest problem, qubits, longest chain, problems per call next to the qubit bound,
QPU calls and estimated QPU access time, with one neuron per call (route ``qpu``) and packed
(``qpu-packed``).  Nothing is submitted.
Saved to benchmarks/results/dry_run.json (rows) and dry_run.txt (tables).

Run: ``python benchmarks/dry_run.py [--cases digits] [--profiles P,Q]`` (the 784-input layer is
split into blocks on every profile: its dry run takes more than 45 minutes).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

import annealq
from annealq.data import load_dataset
from annealq.harness.dryrun import format_prices, price
from annealq.nn.models import pretrained_mlp
from annealq.profiles import list_profiles

OUT = Path(__file__).parent / "results"
READS = 100


def cases() -> dict:
    data = load_dataset("digits")
    torch.manual_seed(0)
    wide = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    return {"digits 64-128-64-10": (pretrained_mlp(data), torch.as_tensor(data.x_train[:256])),
            "784-128-10": (wide, torch.rand(256, 784, generator=torch.Generator().manual_seed(0)))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="digits,784", help="digits and/or 784")
    parser.add_argument("--profiles", default=",".join(list_profiles()), help="comma-separated profile names")
    args = parser.parse_args()
    wanted, profiles = args.cases.split(","), args.profiles.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    config = annealq.QuantConfig(bits=4, num_reads=READS)
    rows, text = [], []
    for case, (model, calibration) in cases().items():
        if not any(case.startswith(w) for w in wanted):
            continue
        for route in ("qpu", "qpu-packed"):
            def run(solver, journal):
                annealq.quantize(model, calibration, dataclasses.replace(config, route=solver.route,
                                                                          num_reads=solver.num_reads), journal=journal)

            start = time.perf_counter()
            tables = price(run, dataclasses.replace(config.solver, route=route), profiles)
            title = f"{case}, route {route} ({time.perf_counter() - start:.0f} s to price on every profile)"
            text += [title, format_prices(tables, READS), ""]
            print(text[-3], text[-2], "", sep="\n", flush=True)
            rows += [{"case": case, "route": route, "profile": p, **r} for p, table in tables.items() for r in table]
    (OUT / "dry_run.json").write_text(json.dumps(rows, indent=1))
    (OUT / "dry_run.txt").write_text("\n".join(text))
    print(f"saved {OUT / 'dry_run.json'} and {OUT / 'dry_run.txt'}")


if __name__ == "__main__":
    main()
