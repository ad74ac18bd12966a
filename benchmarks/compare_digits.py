"""Record the digits MLP quantized to int4 through the mock QPU, then compare it with SA offline.

1. quantizes the reference MLP (64-128-64-10, 256 calibration samples) at int4 on route
   ``mock-qpu:Advantage_system4.1`` (every neuron, up to 129 variables, fits one clique), into
   a run folder under ``runs/`` with its ``run.json``, as ``annealq quantize`` would;
2. runs ``compare_run`` on it: every recorded problem again with SA at the recorded budget
   and at 10x the reads, and the three decoded models' accuracy;
3. prints the tables and saves them with the plot under ``benchmarks/results/``.

The mock QPU anneals the embedded problem with simulated annealing; its timing numbers
are dwave-system's constants, so its TTS99 says nothing about a real QPU (the profile's
estimate is in the chain table).  Run: ``python benchmarks/compare_digits.py`` (about 5
minutes on 2 cores).
"""
from __future__ import annotations

import json
import shutil
import time
import warnings
from pathlib import Path

from annealq.ptq import QuantConfig
from annealq.data import load_dataset
from annealq.nn.models import pretrained_mlp
from annealq.ptq.pipeline import quantize
from annealq.records import Journal
from annealq.studies.compare import compare_run, format_report, save_report
from annealq.studies.plots import plot_compare

OUT = Path(__file__).parent / "results"
RUN = Path("runs") / "compare_digits"


def main():
    data = load_dataset("digits")
    model = pretrained_mlp(data)
    config = QuantConfig(bits=4, route="mock-qpu:Advantage_system4.1", num_reads=10, num_sweeps=1000)
    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir(parents=True)
    (RUN / "run.json").write_text(json.dumps({
        "dataset": "digits", "data_root": None, "seed": 0, "calibration_size": 256, "model_sizes": [64, 128, 64, 10],
        "bits": [4], "methods": ["qubo"], "config": config.to_dict()}, indent=1))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # precision notes stay in the records
        quantize(model, data.x_train[:256], config, journal=Journal(RUN))
    print(f"recorded {RUN} in {time.perf_counter() - start:.0f} s", flush=True)

    start = time.perf_counter()
    report = compare_run(RUN)
    print(f"compared in {time.perf_counter() - start:.0f} s\n")
    print(format_report(report))
    save_report(report, OUT / "compare_digits")
    plot_compare(report, OUT / "compare_digits.png")
    print(f"\nsaved {OUT / 'compare_digits'} and {OUT / 'compare_digits.png'}")


if __name__ == "__main__":
    main()
