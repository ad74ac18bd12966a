"""Compile formulations into dimod models (BQM / CQM)."""
from annealq.compile.bqm import neuron_bqm, problem_hash

__all__ = ["neuron_bqm", "problem_hash"]
