"""Layer-solving speed: naive per-neuron SA vs the batched annealer vs parallel SA vs GPTQ.

For a 784-128-10 MLP shape (random weights, 10,000 random calibration inputs in [0, 1])
and the digits MLP (256 calibration samples), at int4 and int2, every method solves the
*same* per-layer problems (float inputs, the default ``absmax`` grids, floor/ceil levels)
and the table reports wall seconds, summed reconstruction error over the layers and the
ratios to the naive path:

- ``naive``: one dimod BQM and one ``SimulatedAnnealingSampler`` call per neuron, 10 reads
  x 1000 sweeps, its default schedule; the best read of each neuron, nothing else;
- ``batched``: ``annealq.solve(problem, config=SolverConfig(route="batched"))``, the whole
  layer at once, warm-started from round-to-nearest, the route's own budget (``NUM_SWEEPS``
  sweeps and ``default_reads`` reads, then its tabu search and a descent; timed from the
  float weights, round-to-nearest included);
- ``parallel``: ``annealq.solve`` on route ``sa`` with ``workers=os.cpu_count()``, the naive path's
  sampler and budget per neuron over worker processes, then the usual polish;
- ``gptq``: GPTQ on the same grids and Gram matrix.

Saved to benchmarks/results/speed.json as rows with keys case, bits, method, seconds,
recon_error (and speedup_vs_naive, error_vs_naive, vs_gptq_seconds; cpu_seconds and vs_gptq_cpu:
process CPU time, which other processes on a shared machine disturb less than wall time).

Run: ``python benchmarks/speed.py`` (the naive and parallel paths dominate: 18 minutes on
2 cores); ``--quick`` times 16 neurons of the naive path per layer and scales
its seconds up (no naive error then); ``--methods batched,gptq`` runs only those.
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

from annealq.data import load_dataset
from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.nn.models import mlp, pretrained_mlp
from annealq.nn.modules import layer_inputs, linear_layers
from annealq.ptq.gptq import gptq
from annealq.samplers import SolverConfig, solve

OUT = Path(__file__).parent / "results"
METHODS = ("naive", "batched", "parallel", "gptq")
READS, SWEEPS = 10, 1000


def layer_problems(model, x, bits):
    """``(name, problem, grids)`` per linear layer, on the float network's inputs."""
    problems = []
    for name, layer in linear_layers(model):
        w = layer.weight.detach().double().numpy()
        b = layer.bias.detach().double().numpy()
        inputs = layer_inputs(model, layer, torch.as_tensor(x, dtype=torch.float32))
        wg, bg = Grid.fit(w, bits, "absmax"), bias_grid(b)
        problems.append((name, rounding_problem(w, b, inputs, weight_grid=wg, bias_grid=bg),
                         [wg] * w.shape[1] + [bg]))
    return problems


def naive(problem, limit=None):
    """Seconds and summed error of one BQM + one SA call per neuron (``limit``: time that many, scale up)."""
    sampler, energies = SimulatedAnnealingSampler(), []
    neurons = range(problem.num_neurons if limit is None else min(limit, problem.num_neurons))
    start = time.perf_counter()
    for i in neurons:
        bqm = problem.qubo.bqm(i)
        ss = sampler.sample(bqm, num_reads=READS, num_sweeps=SWEEPS, seed=i)
        energies.append(float(ss.first.energy))
    seconds = (time.perf_counter() - start) * problem.num_neurons / len(neurons)
    if limit is not None and limit < problem.num_neurons:
        return seconds, float("nan")
    return seconds, float(np.sum(energies))


def batched(problem, grids):
    rtn = problem.encode(np.hstack([g.nearest(problem.target[:, j:j + 1]) for j, g in enumerate(grids)]))
    answers = solve(problem, config=SolverConfig(route="batched", seed=0), warm_starts=rtn[:, None])
    return sum(a.energy for a in answers)


def parallel(problem):
    answers = solve(problem, config=SolverConfig(route="sa", num_reads=READS, num_sweeps=SWEEPS, seed=0,
                                                 workers=os.cpu_count()))
    return sum(a.energy for a in answers)


def timed(fn):
    """Wall seconds and error of ``fn()``; its process CPU seconds go to ``CPU`` (robust to other load)."""
    start, cpu = time.perf_counter(), time.process_time()
    err = fn()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start, float(err)


CPU: list[float] = []


def run_case(case, model, x, bits, quick, methods=METHODS):
    totals = {m: [0.0, 0.0] for m in methods}
    cpu_totals = dict.fromkeys(methods, 0.0)
    for name, problem, grids in layer_problems(model, x, bits):
        runs = {
            "naive": lambda: naive(problem, 16 if quick else None),
            "batched": lambda: timed(lambda: batched(problem, grids)),
            "parallel": lambda: timed(lambda: parallel(problem)),
            "gptq": lambda: timed(lambda: problem.errors(gptq(problem.target, problem.gram, grids)).sum()),
        }
        results, cpu = {}, {}
        for m in methods:
            results[m] = runs[m]()
            cpu[m] = CPU[-1] if m != "naive" else float("nan")
        print(f"  {case} int{bits} layer {name} ({problem.num_neurons} x {problem.num_variables}): "
              + ", ".join(f"{m} {s:.1f} s / {e:.6g}" for m, (s, e) in results.items()), flush=True)
        for m, (sec, err) in results.items():
            cpu_totals[m] += cpu[m]
            totals[m][0] += sec
            totals[m][1] += err
    base_sec, base_err = totals.get("naive", (float("nan"), float("nan")))
    rows = []
    for m, (sec, err) in totals.items():
        rows.append({"case": case, "bits": bits, "method": m, "seconds": sec, "recon_error": err,
                     "speedup_vs_naive": base_sec / sec,
                     "error_vs_naive": err / base_err if np.isfinite(base_err) else float("nan")})
    for r in rows:
        r["vs_gptq_seconds"] = r["seconds"] / totals["gptq"][0] if "gptq" in totals else float("nan")
        r["cpu_seconds"] = cpu_totals[r["method"]]
        r["vs_gptq_cpu"] = r["cpu_seconds"] / cpu_totals["gptq"] if "gptq" in totals else float("nan")
        print(format_row(r), flush=True)
    return rows


def format_row(r):
    return (f"{r['case']:<11} int{r['bits']}  {r['method']:<9} {r['seconds']:9.2f} {r['recon_error']:12.6g} "
            f"{r['speedup_vs_naive']:9.1f}x {r['error_vs_naive']:12.4f} {r['vs_gptq_seconds']:9.1f}x "
            f"{r['cpu_seconds']:8.2f} {r['vs_gptq_cpu']:9.1f}x")


HEADER = f"{'case':<11} bits  {'method':<9} {'seconds':>9} {'recon_error':>12} {'speedup':>10} {'err/naive':>12} {'x gptq':>10} {'cpu s':>8} {'cpu x gptq':>10}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time 16 naive neurons per layer and extrapolate")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ",".join(METHODS))
    parser.add_argument("--cases", default="784-128-10,digits")
    parser.add_argument("--out", default="speed.json", help="file name under benchmarks/results")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    wide = mlp((784, 128, 10))
    with torch.no_grad():
        for _, layer in linear_layers(wide):
            layer.weight.normal_(0, layer.in_features ** -0.5)
    cases = [("784-128-10", wide, rng.uniform(0, 1, size=(10_000, 784)))]
    digits = load_dataset("digits")
    cases.append(("digits", pretrained_mlp(digits), digits.x_train[:256]))
    cases = [c for c in cases if c[0] in args.cases.split(",")]
    start = time.perf_counter()
    rows = [r for case, model, x in cases for bits in (4, 2) for r in run_case(case, model, x, bits, args.quick, methods)]
    load = os.getloadavg()[0]
    print(f"\n## Layer solving speed ({os.cpu_count()} CPUs, load {load:.1f}, {time.perf_counter() - start:.0f} s "
          f"in all)\n")
    print(HEADER + "\n" + "-" * len(HEADER) + "\n" + "\n".join(format_row(r) for r in rows))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / args.out).write_text(json.dumps(rows, indent=1))
    print(f"saved {OUT / args.out}")


if __name__ == "__main__":
    main()
