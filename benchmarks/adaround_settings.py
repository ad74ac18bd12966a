"""AdaRound's regulariser weight and iterations on the digits MLP (256 calibration samples):
summed layer reconstruction error and test accuracy per setting, the QUBO (route batched) and
GPTQ beside them.  Picks ``annealq.ptq.adaround.LAMBDA`` and ``ITERATIONS``.

Saved: benchmarks/results/adaround_settings.{json,txt}.  Run:
    OMP_NUM_THREADS=1 python benchmarks/adaround_settings.py [--bits 4,2,1]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import annealq
from annealq.data import load_dataset
from annealq.nn.models import accuracy, pretrained_mlp
from annealq.ptq import adaround as ada
from annealq.report.tables import text_table, write_json

OUT = Path(__file__).parent / "results"
SETTINGS = [(2000, 0.01), (2000, 0.1), (2000, 1.0), (2000, 3.0), (1000, 1.0), (4000, 1.0)]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", default="4,2,1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("digits")
    model, x = pretrained_mlp(data), torch.as_tensor(data.x_train[:256])
    rows = []
    for bits in map(int, args.bits.split(",")):
        runs = [("gptq", None, None), ("qubo", None, None)] + [("adaround", it, lam) for it, lam in SETTINGS]
        for method, iterations, lam in runs:
            if method == "adaround":
                ada.adaround.__kwdefaults__.update(iterations=iterations, lam=lam)
            start = time.perf_counter()
            result = annealq.quantize(model, x, annealq.QuantConfig(bits=bits, method=method, route="batched", seed=0))
            rows.append({"bits": bits, "method": method, "iterations": iterations, "lambda": lam,
                         "recon_error": result.recon_error, "accuracy": accuracy(result.model, data.x_test, data.y_test),
                         "seconds": time.perf_counter() - start})
            print(rows[-1], flush=True)
    text = text_table(("bits", "method", "iterations", "lambda", "recon_error", "accuracy", "seconds"),
                      [[r["bits"], r["method"], r["iterations"] or "-", r["lambda"] if r["lambda"] is not None else "-",
                        f"{r['recon_error']:.4g}", f"{100 * r['accuracy']:.2f}%", f"{r['seconds']:.1f}"] for r in rows])
    print(text)
    (OUT / "adaround_settings.txt").write_text(
        "AdaRound settings on the digits MLP (256 calibration samples; 1 bit with 2 scale refits for adaround and "
        f"qubo); annealq's defaults: {ada.ITERATIONS} iterations, lambda {ada.LAMBDA}\n" + text + "\n")
    write_json(OUT / "adaround_settings.json", {"rows": rows})
