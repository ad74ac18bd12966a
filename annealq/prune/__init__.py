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

from annealq.lazy import exports

__getattr__, __all__ = exports(__name__, {
    "METHODS": "annealq.prune.config", "PruneConfig": "annealq.prune.config",
    "PruneResult": "annealq.prune.pipeline", "prune": "annealq.prune.pipeline", "prune_model": "annealq.prune.pipeline",
})


class _Verb(types.ModuleType):
    """This package, callable: ``annealq.prune(...)`` runs :func:`prune` (module ``__class__`` assignment)."""

    def __call__(self, model, data, config=None, **kwargs):
        from annealq.prune.pipeline import prune

        return prune(model, data, config, **kwargs) if config is not None else prune(model, data, **kwargs)


sys.modules[__name__].__class__ = _Verb
