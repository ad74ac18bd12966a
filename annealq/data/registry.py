"""``load_dataset``: one entry point for every dataset annealq knows."""

from __future__ import annotations

import os

from .cifar import load_cifar10
from .dataset import Dataset
from .digits import load_digits
from .mnist import MNIST_FAMILY, load_emnist, load_mnist_family
from .paths import resolve_root

DATASETS = ("digits", *MNIST_FAMILY, "emnist", "cifar10")


def available_datasets() -> tuple[str, ...]:
    """Names accepted by :func:`load_dataset`."""
    return DATASETS


def load_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    test_size: float = 0.25,
    seed: int = 0,
    split: str | None = None,
) -> Dataset:
    """Load a dataset by name as a :class:`Dataset` of flattened images in [0, 1].

    ``"digits"`` ships with scikit-learn; it is split stratified into train and
    test by ``test_size`` and ``seed``, and ``root`` is ignored. The other
    datasets come with a fixed official split and are read from files under
    ``root`` (default ``$ANNEALQ_DATA``, else ``~/.annealq/data``); annealq
    never downloads them, and a :class:`DatasetNotFoundError` says which
    files to put where. ``split`` picks the EMNIST split (default
    ``"balanced"``) and is only accepted for ``"emnist"``.

    >>> data = load_dataset("digits", seed=0)
    >>> data.x_train.shape, data.x_test.shape, data.image_shape
    ((1347, 64), (450, 64), (8, 8))
    >>> float(data.x_train.min()), float(data.x_train.max())
    (0.0, 1.0)
    """
    key = name.lower().replace("_", "-")
    if key not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; available: {', '.join(DATASETS)}")
    if split is not None and key != "emnist":
        raise ValueError(f"split= applies only to 'emnist', not {name!r}")
    if key == "digits":
        return load_digits(test_size=test_size, seed=seed)
    data_root = resolve_root(root)
    if key == "emnist":
        return load_emnist(data_root, split or "balanced")
    if key == "cifar10":
        return load_cifar10(data_root)
    return load_mnist_family(key, data_root)
