"""annealq: neural-network problems as QUBOs and constrained models for quantum annealers.

Example:
    >>> import annealq
    >>> annealq.QuantConfig(bits=4).method
    'qubo'
"""
from annealq import prune
from annealq.formulations import CQMBatch, QUBOBatch
from annealq.prune import PruneConfig
from annealq.ptq import QuantConfig, QuantizationResult, quantize
from annealq.samplers import Answer, SolverConfig, solve
from annealq.samplers.router import sampler

__version__ = "0.2.0"
__all__ = ["Answer", "CQMBatch", "PruneConfig", "QUBOBatch", "QuantConfig", "QuantizationResult", "SolverConfig",
           "prune", "quantize", "sampler", "solve", "__version__"]
