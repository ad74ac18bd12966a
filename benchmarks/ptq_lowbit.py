"""What makes the QUBO's network most accurate at low bits: candidates measured on digits (MLP and CNN).

For each model and bit-width, the rounding QUBO (route ``batched``) with one change at a time
against the default: a weight-space prior ``lam ||w_q - w||^2`` (``prior``, a fraction of the
Gram's mean diagonal), alternating closed-form per-channel scale refit and QUBO
(``scale_refits``), the ``mse`` scale rule, 1024 calibration samples instead of 256; and RTN,
GPTQ with the same changes where they apply (scale refit and scale rule).  A first round
(before the refit became the QUBO's default at 1-2 bits, refits seeded from the QUBO's answer
only) is kept in ptq_lowbit_round1.json / .txt.

Saved to benchmarks/results/ptq_lowbit.json; prints one line per run.
Run: ``python benchmarks/ptq_lowbit.py [--bits 4,2,1] [--models mlp,cnn]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from annealq.data import load_dataset
from annealq.nn.models import accuracy, pretrained_cnn, pretrained_mlp
from annealq.ptq import QuantConfig, quantize

OUT = Path(__file__).parent / "results"
VARIANTS = {
    "default": {},  # the QUBO refits its scales twice at 1-2 bits (QuantConfig.scale_refits=None)
    "refit0": {"scale_refits": 0},
    "refit1": {"scale_refits": 1},
    "refit2": {"scale_refits": 2},
    "refit3": {"scale_refits": 3},
    "prior0.01": {"prior": 0.01},
    "prior0.1": {"prior": 0.1},
    "mse": {"scale": "mse"},
    "cal1024": {},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", default="4,2,1")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--variants", default="default,refit0,refit2,prior0.01")
    parser.add_argument("--out", default="ptq_lowbit.json")
    parser.add_argument("--methods", default="qubo,gptq,rtn")
    args = parser.parse_args()
    data = load_dataset("digits")
    models = {"mlp": pretrained_mlp, "cnn": pretrained_cnn}
    rows = []
    out = OUT / args.out
    for name in args.models.split(","):
        model = models[name](data)
        print(f"{name} float {100 * accuracy(model, data.x_test, data.y_test):.2f}%", flush=True)
        for bits in map(int, args.bits.split(",")):
            for variant in args.variants.split(","):
                for method in args.methods.split(","):
                    if method != "qubo" and (variant.startswith("prior") or variant == "refit0"):
                        continue  # the prior changes the QUBO's objective only; refit0 is RTN's and GPTQ's default
                    size = 1024 if variant == "cal1024" else 256
                    cfg = dataclasses.replace(QuantConfig(bits=bits, method=method, route="batched"),
                                              **VARIANTS[variant])
                    start = time.perf_counter()
                    r = quantize(model, data.x_train[:size], cfg)
                    row = {"model": name, "bits": bits, "variant": variant, "method": method,
                           "accuracy": accuracy(r.model, data.x_test, data.y_test), "recon_error": r.recon_error,
                           "seconds": time.perf_counter() - start}
                    rows.append(row)
                    print(f"{name} int{bits} {variant:<10} {method:<5} acc {100 * row['accuracy']:6.2f}%  "
                          f"err {row['recon_error']:10.4g}  {row['seconds']:6.1f} s", flush=True)
                    OUT.mkdir(parents=True, exist_ok=True)
                    out.write_text(json.dumps(rows, indent=1))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
