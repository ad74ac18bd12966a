"""Training quantized networks with a QUBO oracle: per-neuron fit QUBOs on layer targets (method
``targets``) and its ablations, or constrained binary optimisation (QCBO: FIP intervals, spline
activation and loss, a conditional-gradient loop with a QUBO oracle, progressive hedging).

Example:
    >>> import annealq.qnn as qnn
    >>> result = qnn.train(qnn.toy_dataset(), qnn.QNNConfig(hidden=2, bits="ternary", batch=8, iterations=1, pool=0,
    ...                                                     route="steepest"))
    >>> result.network.w1.shape, result.check()["off_levels"], result.network.bits_per_weight(scale_bits=0)
    ((2, 4), 0, 2.0)
"""
from annealq.lazy import exports

__getattr__, __all__ = exports(__name__, {
    "QNNConfig": "annealq.qnn.config",
    "QuantizedMLP": "annealq.qnn.network",
    "compare": "annealq.qnn.report",
    "table": "annealq.qnn.report",
    "tuned_ste": "annealq.qnn.baselines",
    "ste_network": "annealq.qnn.baselines",
    "float_network": "annealq.qnn.baselines",
    "ptq_network": "annealq.qnn.baselines",
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
