"""Training a classifier head with K-bit fixed-point weights by iterated per-class QUBOs.

Frozen random convolutional features (:mod:`~annealq.head.features`), the softmax surrogate
and its per-class QUBOs (:mod:`~annealq.head.surrogate`), the K-bit grid
(:mod:`~annealq.head.grid`), the trainer (:class:`QUBOHeadClassifier`), float and rounded
baselines (:mod:`~annealq.head.baselines`) and the precision study with QPU pricing
(:mod:`~annealq.head.study`, ``annealq train-head``).  See docs/head.md.
"""
from annealq.head.classifier import HeadConfig, QUBOHeadClassifier
from annealq.head.features import RandomConvFeatures, Standardizer, extract_features
from annealq.head.grid import FixedPointGrid

__all__ = ["FixedPointGrid", "HeadConfig", "QUBOHeadClassifier", "RandomConvFeatures", "Standardizer",
           "extract_features"]
