"""Training quantized networks as constrained binary optimisation (QCBO): FIP intervals, spline
activation and loss, a conditional-gradient loop with a QUBO oracle, progressive hedging.

Example:
    >>> import annealq.qnn as qnn
    >>> result = qnn.train(qnn.toy_dataset(), qnn.QNNConfig(hidden=2, batch=4, iterations=1, inner=1, pool=0,
    ...                                                     route="steepest"))
    >>> result.network.w1.shape, result.history[0]["violations"]
    ((2, 4), 0)
"""
from annealq.qnn.config import QNNConfig
from annealq.qnn.network import BinaryMLP, input_levels, layer_scales
from annealq.qnn.solvers import Solution, conditional_gradient, penalty_solve, progressive_hedging
from annealq.qnn.toy import toy_dataset
from annealq.qnn.train import QNNResult, train, train_qnn

__all__ = ["BinaryMLP", "QNNConfig", "QNNResult", "Solution", "conditional_gradient", "input_levels", "layer_scales",
           "penalty_solve", "progressive_hedging", "toy_dataset", "train", "train_qnn"]
