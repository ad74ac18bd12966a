"""Post-training quantization on Fashion-MNIST: rtn, gptq, adaround and the rounding QUBO at 8, 4, 3, 2, 1 bits.

Models: the reference MLP 784-256-128-10 and the pooled CNN (``annealq.nn.models.reference_model``,
trained once and cached).  Per calibration seed (3 seeds: 256 training images drawn at random), each
method quantizes the model on the default grids; the QUBO goes to the ``batched`` route.  Reported:
test accuracy on the first ``--test`` test images, summed layer reconstruction error, seconds;
mean and spread (standard deviation) over the seeds.

Data: real Fashion-MNIST, installed offline with ``apt-get install dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist``; ``--data-root`` elsewhere).

Saved: benchmarks/results/ptq_fmnist.json (every row and the summary), ptq_fmnist.txt,
ptq_fmnist_mlp.png, ptq_fmnist_cnn.png.  Run:
``python benchmarks/ptq_fmnist.py [--models mlp,cnn] [--methods rtn,gptq,adaround,qubo] [--seeds 0,1,2]``;
the saved rows of other models and methods are kept.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from annealq.data import load_dataset
from annealq.nn.models import accuracy, reference_model
from annealq.ptq import QuantConfig
from annealq.ptq.report import sweep
from annealq.ptq.report import plot_ptq
from annealq.report.tables import text_table, write_json

OUT = Path(__file__).parent / "results"
ORDER = ("float", "rtn", "gptq", "adaround", "qubo")


def summary(rows: list[dict]) -> list[dict]:
    """Mean and standard deviation over seeds per (model, method, bits)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["model"], r["method"], r["bits"]), []).append(r)
    out = []
    for (model, method, bits), rs in groups.items():
        acc, err, sec = (np.array([r[k] for r in rs]) for k in ("accuracy", "recon_error", "seconds"))
        out.append({"model": model, "method": method, "bits": bits, "seeds": len(rs), "accuracy": acc.mean(),
                    "accuracy_std": acc.std(), "recon_error": err.mean(), "recon_error_std": err.std(),
                    "seconds": sec.mean()})
    return sorted(out, key=lambda s: (s["model"], -s["bits"], ORDER.index(s["method"]) if s["method"] in ORDER
                                      else len(ORDER)))


def table(stats: list[dict]) -> str:
    return text_table(("model", "method", "bits", "accuracy", "recon_error", "seconds"),
                      [[s["model"], s["method"], s["bits"],
                        f"{100 * s['accuracy']:.2f} ± {100 * s['accuracy_std']:.2f}%",
                        f"{s['recon_error']:.4g} ± {s['recon_error_std']:.2g}", f"{s['seconds']:.2f}"]
                       for s in stats])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--bits", default="8,4,3,2,1")
    parser.add_argument("--methods", default="rtn,gptq,adaround,qubo")
    parser.add_argument("--route", default="batched")
    parser.add_argument("--calibration", type=int, default=256)
    parser.add_argument("--test", type=int, default=10000, help="test images scored (the first ones)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("fashion-mnist", args.data_root)
    x_test, y_test = data.x_test[:args.test], data.y_test[:args.test]
    saved = OUT / "ptq_fmnist.json"
    models, methods = args.models.split(","), args.methods.split(",")
    rows = [r for r in (json.loads(saved.read_text())["rows"] if saved.exists() else [])
            if r["model"] not in models or r["method"] not in methods + ["float"]]
    for kind in models:
        model = reference_model(data, kind)
        for seed in map(int, args.seeds.split(",")):
            pick = np.random.default_rng(seed).choice(len(data.x_train), args.calibration, replace=False)

            def on_row(r, kind=kind, seed=seed):
                print(f"  {kind} seed {seed} {r['method']} int{r['bits']} {100 * r['accuracy']:.2f}% "
                      f"err {r['recon_error']:.4g} {r['seconds']:.1f}s", flush=True)

            new = sweep(model, data.x_train[pick], lambda m: {"accuracy": accuracy(m, x_test, y_test)},
                        methods=methods, bits=map(int, args.bits.split(",")),
                        config=QuantConfig(route=args.route, seed=seed), on_row=on_row)
            rows += [{"model": kind, "seed": seed, **{k: v for k, v in r.items() if k != "layers"}} for r in new]
            stats = summary(rows)
            write_json(saved, {"settings": {"calibration": args.calibration, "test_images": len(y_test),
                                            "route": args.route}, "summary": stats, "rows": rows})
    text = f"## PTQ on Fashion-MNIST ({args.calibration} calibration images, {len(y_test)} test images, " \
           f"mean ± std over calibration seeds)\n" + table(stats)
    print("\n" + text)
    (OUT / "ptq_fmnist.txt").write_text(text + "\n")
    for kind in dict.fromkeys(s["model"] for s in stats):
        plot_ptq([s for s in stats if s["model"] == kind], OUT / f"ptq_fmnist_{kind}.png",
                 f"reference {kind.upper()} on Fashion-MNIST, route {args.route}, {len(args.seeds.split(','))} seeds")
    print(f"saved {saved}")


if __name__ == "__main__":
    main()
