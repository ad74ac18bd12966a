"""Reproduce the post-training quantization table on the digits MLP, and the choices behind it.

Prints and saves (benchmarks/results/ptq_digits.json and .png):
1. the main table: rtn, gptq, qubo at bits 8, 4, 3, 2, 1 (256 calibration samples, defaults);
2. the default scale: qubo and gptq with ``mse`` and ``absmax`` scales at bits 4..1;
3. solver gap: per layer, the default ``sa`` route's summed energy against a long multi-start
   tabu run on the same problems (float inputs, so both solve identical QUBOs);
4. calibration size: qubo at 64, 256 and 1024 samples.

Run: ``python benchmarks/ptq_digits.py`` (about 10 minutes on 2 cores).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from annealq.ptq import QuantConfig
from annealq.data import load_dataset
from annealq.nn.models import accuracy, pretrained_mlp
from annealq.ptq.pipeline import quantize
from annealq.studies.plots import plot_ptq
from annealq.ptq.report import format_table, ptq_rows

OUT = Path(__file__).parent / "results"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    data = load_dataset("digits")
    model = pretrained_mlp(data)
    cal = data.x_train[:256]
    results = {}

    rows = ptq_rows(model, data, on_row=lambda r: print(f"  {r['method']} int{r['bits']} done", flush=True))
    print("\n## PTQ on digits (MLP 64-128-64-10, 256 calibration samples)\n" + format_table(rows))
    results["table"] = rows
    plot_ptq(rows, OUT / "ptq_digits.png")

    scale_rows = []
    for bits in (4, 3, 2, 1):
        for scale in ("mse", "absmax"):
            for method in ("gptq", "qubo"):
                r = quantize(model, cal, QuantConfig(bits=bits, method=method, scale=scale))
                scale_rows.append({"bits": bits, "scale": scale, "method": method, "recon_error": r.recon_error,
                                   "accuracy": accuracy(r.model, data.x_test, data.y_test)})
    print("\n## Scale choice\n" + "\n".join(f"int{r['bits']} {r['scale']:<6} {r['method']:<4} "
                                           f"err {r['recon_error']:10.4g} acc {100 * r['accuracy']:.2f}%"
                                           for r in scale_rows))
    results["scale"] = scale_rows

    gap_rows = []
    for bits in (4, 2, 1):
        base = QuantConfig(bits=bits, inputs="float")
        default = quantize(model, cal, base)
        long = quantize(model, cal, dataclasses.replace(base, route="tabu", num_reads=16))
        for d, ref in zip(default.layers, long.layers):
            best = min(d.recon_error, ref.recon_error)
            gap_rows.append({"bits": bits, "layer": d.name, "sa": d.recon_error, "reference": ref.recon_error,
                             "gap": (d.recon_error - best) / best if best > 0 else 0.0,
                             "sa_raw_route_energy": d.quantization.info["route_best_energy"],
                             "kept_from_warm_start": d.quantization.info["neurons_kept_from_warm_start"]})
    print("\n## Gap of the default route to a long multi-start run (tabu, 16 restarts)\n" + "\n".join(
        f"int{r['bits']} layer {r['layer']}: sa {r['sa']:.5g} reference {r['reference']:.5g} "
        f"gap {100 * r['gap']:.3f}%  (raw sa before polish {r['sa_raw_route_energy']:.5g})" for r in gap_rows))
    results["gap"] = gap_rows

    cal_rows = []
    for size in (64, 256, 1024):
        for bits in (4, 2, 1):
            r = quantize(model, data.x_train[:size], QuantConfig(bits=bits))
            cal_rows.append({"calibration_size": size, "bits": bits, "recon_error": r.recon_error,
                             "accuracy": accuracy(r.model, data.x_test, data.y_test)})
    print("\n## Calibration size (qubo)\n" + "\n".join(
        f"N={r['calibration_size']:<5} int{r['bits']} acc {100 * r['accuracy']:.2f}%" for r in cal_rows))
    results["calibration"] = cal_rows

    (OUT / "ptq_digits.json").write_text(json.dumps(results, indent=1, default=float))
    print(f"\nsaved {OUT / 'ptq_digits.json'} and {OUT / 'ptq_digits.png'}")


if __name__ == "__main__":
    main()
