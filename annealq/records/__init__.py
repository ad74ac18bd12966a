"""Records of every answer: the run store (resume, offline comparison)."""
from annealq.records.store import RunStore, config_key, scrub

__all__ = ["RunStore", "config_key", "scrub"]
