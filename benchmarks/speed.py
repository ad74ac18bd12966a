"""Layer-solving speed: naive per-neuron SA vs the batched annealer vs parallel SA vs GPTQ.

For a 784-128-10 MLP shape (random weights, 10,000 random calibration inputs in [0, 1])
and the digits MLP, at int4 and int2, every method solves the *same* per-layer problems
(float inputs), and the table reports wall seconds, summed reconstruction error and the
ratios to the naive path: one dimod BQM and one SimulatedAnnealingSampler call per neuron,
10 reads x 1000 sweeps.  Saved to benchmarks/results/speed.json as rows with keys
case, bits, method, seconds, recon_error.

Run: ``python benchmarks/speed.py`` (the naive path dominates: ~10 minutes on 2 cores);
``--quick`` times 16 neurons of the naive path and scales its seconds up.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from dwave.samplers import SimulatedAnnealingSampler

from annealq.compile import neuron_bqm
from annealq.data import load_dataset
from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.methods import gptq
from annealq.nn.models import mlp, pretrained_mlp
from annealq.nn.modules import layer_inputs, linear_layers
from annealq.samplers.layer import ordered_states, solve_layer

OUT = Path(__file__).parent / "results"


def layer_problems(model, x, bits):
    problems = []
    for name, layer in linear_layers(model):
        w = layer.weight.detach().double().numpy()
        b = layer.bias.detach().double().numpy()
        inputs = layer_inputs(model, layer, torch.as_tensor(x, dtype=torch.float32))
        wg, bg = Grid.fit(w, bits), bias_grid(b)
        problems.append((rounding_problem(w, b, inputs, weight_grid=wg, bias_grid=bg), [wg] * w.shape[1] + [bg]))
    return problems


def naive(problem, limit=None):
    sampler, energies = SimulatedAnnealingSampler(), []
    neurons = range(problem.num_neurons if limit is None else min(limit, problem.num_neurons))
    start = time.perf_counter()
    for i in neurons:
        bqm = neuron_bqm(problem, i)
        ss = sampler.sample(bqm, num_reads=10, num_sweeps=1000, seed=i)
        energies.append(float(problem.energies(ordered_states(ss, problem.num_variables)[:1], [i])[0]))
    seconds = (time.perf_counter() - start) * problem.num_neurons / len(neurons)
    return seconds, float(np.sum(energies)) if limit is None else float("nan")


def timed(fn):
    start = time.perf_counter()
    err = fn()
    return time.perf_counter() - start, err


def run_case(case, model, x, bits, quick):
    rows, problems = [], layer_problems(model, x, bits)
    totals = {m: [0.0, 0.0] for m in ("naive", "batched", "parallel", "gptq")}
    for problem, grids in problems:
        rtn = problem.encode(np.hstack([g.quantize(problem.target[:, j:j + 1]) for j, g in enumerate(grids)]))
        results = {
            "naive": naive(problem, 16 if quick else None),
            "batched": timed(lambda: sum(a.energy for a in solve_layer(
                problem, "batched", num_reads=10, seed=0, warm_starts=rtn[:, None]))),
            "parallel": timed(lambda: sum(a.energy for a in solve_layer(
                problem, "sa", num_reads=10, num_sweeps=1000, seed=0, workers=os.cpu_count()))),
            "gptq": timed(lambda: float(problem.errors(gptq(problem.target, problem.gram, grids)).sum())),
        }
        for m, (sec, err) in results.items():
            totals[m][0] += sec
            totals[m][1] += err
    for m, (sec, err) in totals.items():
        rows.append({"case": case, "bits": bits, "method": m, "seconds": sec, "recon_error": err})
    base = totals["naive"]
    for r in rows:
        r["speedup_vs_naive"] = base[0] / r["seconds"]
        r["error_vs_naive"] = r["recon_error"] / base[1] if np.isfinite(base[1]) else float("nan")
        print(f"{case:<14} int{bits} {r['method']:<9} {r['seconds']:9.2f} s  error {r['recon_error']:12.6g}  "
              f"x{r['speedup_vs_naive']:7.1f} faster  error/naive {r['error_vs_naive']:.4f}", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time 16 naive neurons per layer and extrapolate")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    wide = mlp((784, 128, 10))
    with torch.no_grad():
        for _, layer in linear_layers(wide):
            layer.weight.normal_(0, layer.in_features ** -0.5)
    cases = [("784-128-10", wide, rng.uniform(0, 1, size=(10_000, 784)))]
    digits = load_dataset("digits")
    cases.append(("digits", pretrained_mlp(digits), digits.x_train[:256]))
    rows = [r for case, model, x in cases for bits in (4, 2) for r in run_case(case, model, x, bits, args.quick)]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "speed.json").write_text(json.dumps(rows, indent=1))
    print(f"saved {OUT / 'speed.json'}")


if __name__ == "__main__":
    main()
