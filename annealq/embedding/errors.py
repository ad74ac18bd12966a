"""The one error type of :mod:`annealq.embedding`."""

from __future__ import annotations

from typing import Optional

__all__ = ["EmbeddingError"]


class EmbeddingError(ValueError):
    """A problem does not fit, or no embedding was found, on a target graph.

    Carries what a caller needs to react (decompose, pick a bigger QPU) as attributes:
    ``requested`` (variables asked for), ``largest`` (the largest that fits, when
    known) and ``topology`` (e.g. ``'zephyr [12, 4]'``).

    >>> err = EmbeddingError("K300 does not fit", requested=300, largest=184)
    >>> isinstance(err, ValueError), err.largest
    (True, 184)
    """

    def __init__(self, message: str, *, requested: Optional[int] = None,
                 largest: Optional[int] = None, topology: Optional[str] = None):
        super().__init__(message)
        self.requested = requested
        self.largest = largest
        self.topology = topology
