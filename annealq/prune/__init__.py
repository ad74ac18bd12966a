"""Structured pruning as a QUBO: gradient-aware importance, activation redundancy, exactly k kept."""
from annealq.prune.config import METHODS, PruneConfig
from annealq.prune.pipeline import PruneResult, prune, prune_model

__all__ = ["METHODS", "PruneConfig", "PruneResult", "prune", "prune_model"]
