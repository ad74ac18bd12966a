"""annealq: neural-network problems as QUBOs for quantum annealers.

Example:
    >>> import annealq
    >>> annealq.QuantConfig(bits=4).method
    'qubo'
"""
from annealq.config import QuantConfig
from annealq.nn.quantize import QuantizationResult, quantize
from annealq.samplers.router import sampler

__version__ = "0.1.0"
__all__ = ["QuantConfig", "QuantizationResult", "quantize", "sampler", "__version__"]
