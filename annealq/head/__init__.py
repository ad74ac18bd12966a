"""Training a classifier head with K-bit fixed-point weights by iterated per-class QUBOs.

Frozen random convolutional features (:mod:`~annealq.head.features`), the softmax surrogate
and its per-class QUBOs (:mod:`~annealq.head.surrogate`), the K-bit grid
(:class:`annealq.formulations.grids.Grid`), the trainer (:class:`QUBOHeadClassifier`), float and rounded
baselines (:mod:`~annealq.head.baselines`) and the precision study with QPU pricing
(:mod:`~annealq.head.study`, ``annealq train-head``).  See docs/head.md.
"""
from annealq.lazy import exports

__getattr__, __all__ = exports(__name__, {
    "HeadConfig": "annealq.head.classifier",
    "QUBOHeadClassifier": "annealq.head.classifier",
    "fit_head": "annealq.head.classifier",
    "RandomConvFeatures": "annealq.head.features",
    "Standardizer": "annealq.head.features",
    "extract_features": "annealq.head.features",
})
