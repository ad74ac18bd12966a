"""Structured pruning as a QUBO: gradient-aware importance, activation redundancy, exactly k kept.

The package is also the verb: ``annealq.prune(model, data, config)`` is
:func:`annealq.prune.pipeline.prune` (the workflow that handles ``config``'s type).

Example:
    >>> import annealq
    >>> annealq.prune.PruneConfig().sparsity > 0, callable(annealq.prune)
    (True, True)
"""
import sys
import types

from annealq.prune.config import METHODS, PruneConfig
from annealq.prune.pipeline import PruneResult, prune, prune_model

__all__ = ["METHODS", "PruneConfig", "PruneResult", "prune", "prune_model"]


class _Verb(types.ModuleType):
    """This package, callable: ``annealq.prune(...)`` runs :func:`prune` (module ``__class__`` assignment)."""

    def __call__(self, model, data, config=PruneConfig(), **kwargs):
        return prune(model, data, config, **kwargs)


sys.modules[__name__].__class__ = _Verb
