"""annealq: neural-network problems as QUBOs and constrained models for quantum annealers.

Example:
    >>> import annealq
    >>> annealq.QuantConfig(bits=4).method
    'qubo'
"""
from annealq.formulations import CQMBatch, QUBOBatch
from annealq.ptq import QuantConfig, QuantizationResult, quantize
from annealq.samplers import Answer, SolverConfig, solve
from annealq.samplers.router import sampler

__version__ = "0.2.0"
__all__ = ["Answer", "CQMBatch", "QUBOBatch", "QuantConfig", "QuantizationResult", "SolverConfig", "quantize",
           "sampler", "solve", "__version__"]
