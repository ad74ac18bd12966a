"""Datasets for annealq experiments, loaded from local files only (never downloaded).

>>> from annealq.data import load_dataset
>>> load_dataset("digits").num_classes
10
"""

from .checks import check_inputs, check_labels
from .cifar import read_cifar_batch
from .dataset import Dataset
from .idx import read_idx
from .paths import DATA_ENV_VAR, DatasetNotFoundError
from .registry import available_datasets, load_dataset

__all__ = [
    "DATA_ENV_VAR",
    "Dataset",
    "DatasetNotFoundError",
    "available_datasets",
    "check_inputs",
    "check_labels",
    "load_dataset",
    "read_cifar_batch",
    "read_idx",
]
