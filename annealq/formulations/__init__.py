"""QUBO formulations of neural-network problems, one QUBO per neuron (or class)."""
from annealq.formulations.fixed_point import fixed_point_problem
from annealq.formulations.grids import Grid, check_bits
from annealq.formulations.problem import LayerProblem
from annealq.formulations.rounding import LEVELS, augment, bias_grid, layer_objective, refit_bias, rounding_problem

__all__ = ["Grid", "LayerProblem", "LEVELS", "augment", "bias_grid", "check_bits", "fixed_point_problem", "layer_objective", "refit_bias", "rounding_problem"]
