"""Formulations of neural-network problems as problem batches: QUBOs sharing one quadratic, or CQMs."""
from annealq.formulations.batch import QUBOBatch
from annealq.formulations.cqm import CQMBatch
from annealq.formulations.fixed_point import fixed_point_problem
from annealq.formulations.grids import Grid, check_bits
from annealq.formulations.problem import LayerProblem
from annealq.formulations.rounding import LEVELS, augment, bias_grid, grams_objective, layer_objective, refit_bias, rounding_problem

__all__ = ["CQMBatch", "QUBOBatch", "Grid", "LayerProblem", "LEVELS", "augment", "bias_grid", "check_bits", "fixed_point_problem", "grams_objective", "layer_objective", "refit_bias", "rounding_problem"]
