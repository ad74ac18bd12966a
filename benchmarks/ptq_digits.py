"""Reproduce the post-training quantization tables on digits (MLP and CNN), and the choices behind them.

Prints and saves (benchmarks/results/ptq_digits.json, ptq_digits.png, ptq_digits_cnn.png):
1. the main tables: rtn, gptq, adaround, qubo at bits 8, 4, 3, 2, 1 (256 calibration samples, defaults),
   on the MLP and on the reference CNN (``annealq.nn.models.pretrained_cnn``);
2. (``--extras``) the default scale: qubo and gptq with ``mse`` and ``absmax`` scales at bits 4..1;
3. (``--extras``) solver gap: per layer, the default ``sa`` route's summed energy against a long multi-start
   tabu run on the same problems (float inputs, so both solve identical QUBOs);
4. (``--extras``) calibration size: qubo at 64, 256 and 1024 samples.

Run: ``python benchmarks/ptq_digits.py [--extras]``; sections not run keep their saved results.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from annealq.data import load_dataset
from annealq.nn.models import accuracy, pretrained_cnn, pretrained_mlp
from annealq.ptq import QuantConfig, quantize
from annealq.ptq.report import format_table, ptq_rows
from annealq.ptq.report import plot_ptq

OUT = Path(__file__).parent / "results"
ORDER = ("float", "rtn", "gptq", "adaround", "qubo")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", action="store_true", help="also the scale, solver-gap and calibration studies")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--bits", default="8,4,3,2,1", help="bit-widths; rows of a partial run replace the saved ones")
    parser.add_argument("--methods", default="rtn,gptq,adaround,qubo")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    data = load_dataset("digits")
    model = pretrained_mlp(data)
    cal = data.x_train[:256]
    saved = OUT / "ptq_digits.json"
    results = json.loads(saved.read_text()) if saved.exists() else {}

    for name, build, key, plot in (("mlp", pretrained_mlp, "table", "ptq_digits.png"),
                                   ("cnn", pretrained_cnn, "cnn_table", "ptq_digits_cnn.png")):
        if name not in args.models.split(","):
            continue
        rows = ptq_rows(build(data), data, methods=args.methods.split(","), bits=map(int, args.bits.split(",")),
                        on_row=lambda r: print(f"  {name} {r['method']} int{r['bits']} {100 * r['accuracy']:.2f}%",
                                               flush=True))
        latest = json.loads(saved.read_text()) if saved.exists() else {}  # another run may have saved a table
        new = {(r["method"], r["bits"]): r for r in rows}
        rows = [new.pop((r["method"], r["bits"]), r) for r in latest.get(key, [])] + list(new.values())
        rows.sort(key=lambda r: (-r["bits"], ORDER.index(r["method"]) if r["method"] in ORDER else len(ORDER)))
        print(f"\n## PTQ on digits ({name}, 256 calibration samples)\n" + format_table(rows))
        results[key] = rows
        plot_ptq(rows, OUT / plot, f"reference {name.upper()} on digits, route sa")
        saved.write_text(json.dumps({**latest, key: rows}, indent=1, default=float))
    if not args.extras:
        print(f"\nsaved {saved}")
        return

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
        base = QuantConfig(bits=bits, inputs="float", scale_refits=0)
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

    saved.write_text(json.dumps(results, indent=1, default=float))
    print(f"\nsaved {saved}")


if __name__ == "__main__":
    main()
