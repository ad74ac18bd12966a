"""annealq: neural-network problems as QUBOs and constrained models for quantum annealers.

Names load on first use, so ``import annealq`` (and ``annealq --help``) stays light.

Example:
    >>> import annealq
    >>> annealq.QuantConfig(bits=4).method
    'qubo'
"""
from importlib import import_module

__version__ = "0.3.0"

_LAZY = {
    "Answer": "annealq.samplers.solve", "solve": "annealq.samplers.solve", "SolverConfig": "annealq.samplers.config",
    "CQMBatch": "annealq.formulations.cqm", "QUBOBatch": "annealq.formulations.batch",
    "PruneConfig": "annealq.prune.config", "QuantConfig": "annealq.ptq.config",
    "QuantizationResult": "annealq.ptq.pipeline", "quantize": "annealq.ptq.pipeline",
    "sampler": "annealq.samplers.router",
}
__all__ = sorted([*_LAZY, "prune", "__version__"])


def __getattr__(name):
    if name == "prune":
        return import_module("annealq.prune")
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'annealq' has no attribute {name!r}")
