"""Chain strength for dense neuron QUBOs: a prefactor sweep of uniform torque compensation.

Every neuron QUBO is a clique embedded with chains of 7 (K65) to 13 (K129) qubits.  For the
digits MLP at int4 (256 calibration samples, float inputs), 12 neurons per layer go through
``mock-qpu:Advantage_system4.1`` (the full stack: clique embedding, scaling into the h/J
ranges, simulated annealing on the embedded problem, majority vote) at each prefactor; the
table gives, per layer and prefactor, the mean chain-break fraction and the raw best energy
relative to plain simulated annealing on the logical problem (1.0 = as good as SA).
Saved to benchmarks/results/chain_strength.json.

Run: ``python benchmarks/chain_strength.py`` (a few minutes on 2 cores).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from dwave.samplers import SimulatedAnnealingSampler

from annealq.data import load_dataset
from annealq.embedding import chain_strength_policy
from annealq.formulations import Grid, bias_grid, rounding_problem
from annealq.nn.models import pretrained_mlp
from annealq.nn.modules import layer_inputs, linear_layers
from annealq.samplers.qpu import mock_qpu

OUT = Path(__file__).parent / "results"
PREFACTORS = (1.0, 1.414, 2.0, 2.828, 4.0, 5.657)
NEURONS, READS, SWEEPS = 12, 20, 1000


def main():
    warnings.simplefilter("ignore")
    data = load_dataset("digits")
    model = pretrained_mlp(data)
    x = torch.as_tensor(data.x_train[:256])
    qpu = mock_qpu("Advantage_system4.1")
    rows = []
    print(f"{'layer':<6} {'prefactor':>9} {'chain breaks':>13} {'energy / SA':>12}")
    for name, layer in linear_layers(model):
        inputs = np.asarray(layer_inputs(model, layer, x), dtype=float)
        w, b = layer.weight.detach().double().numpy(), layer.bias.detach().double().numpy()
        problem = rounding_problem(w, b, inputs, weight_grid=Grid.fit(w, 4), bias_grid=bias_grid(b))
        bqms = [problem.qubo.bqm(i) for i in range(min(NEURONS, problem.num_neurons))]
        sa = [SimulatedAnnealingSampler().sample(q, num_reads=READS, num_sweeps=SWEEPS, seed=i).first.energy
              for i, q in enumerate(bqms)]
        for prefactor in PREFACTORS:
            policy = chain_strength_policy("uniform_torque_compensation", prefactor=prefactor)
            answers = [qpu.sample(q, num_reads=READS, num_sweeps=SWEEPS, seed=i, chain_strength=policy)
                       for i, q in enumerate(bqms)]
            row = {"layer": name, "variables": problem.num_variables, "prefactor": prefactor,
                   "chain_break_fraction": float(np.mean([a.info["chain_break_fraction"] for a in answers])),
                   "energy_over_sa": float(np.mean([a.first.energy / s for a, s in zip(answers, sa)]))}
            rows.append(row)
            print(f"{name:<6} {prefactor:>9.3f} {row['chain_break_fraction']:>13.3f} {row['energy_over_sa']:>12.2f}",
                  flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "chain_strength.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
