"""Training quantized networks as constrained binary optimisation (QCBO): FIP intervals, spline
activation and loss, a conditional-gradient loop with a QUBO oracle, progressive hedging.

Example:
    >>> import annealq.qnn as qnn
    >>> result = qnn.train(qnn.toy_dataset(), qnn.QNNConfig(hidden=2, batch=4, iterations=1, inner=1, pool=0,
    ...                                                     route="steepest"))
    >>> result.network.w1.shape, result.history[0]["violations"]
    ((2, 4), 0)
"""
from annealq.lazy import exports

__getattr__, __all__ = exports(__name__, {
    "QNNConfig": "annealq.qnn.config",
    "QuantizedMLP": "annealq.qnn.network",
    "input_levels": "annealq.qnn.network",
    "layer_scales": "annealq.qnn.network",
    "Solution": "annealq.qnn.solvers",
    "conditional_gradient": "annealq.qnn.solvers",
    "penalty_solve": "annealq.qnn.solvers",
    "progressive_hedging": "annealq.qnn.solvers",
    "toy_dataset": "annealq.qnn.toy",
    "QNNResult": "annealq.qnn.training",
    "prepare": "annealq.qnn.training",
    "train": "annealq.qnn.training",
    "train_qnn": "annealq.qnn.training",
})
