"""CIFAR-10 from its python-pickle batches (``cifar-10-python.tar.gz``, extracted)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .paths import DataRoot, locate_files

CIFAR10_SOURCE = "https://www.cs.toronto.edu/~kriz/cifar.html"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch"
CIFAR10_IMAGE_SHAPE = (3, 32, 32)
CIFAR10_CLASSES = 10

# The only globals a CIFAR batch pickle needs: numpy arrays and byte strings.
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that refuses anything beyond numpy arrays, so a batch file cannot run code."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR batch")
        return super().find_class(module, name)


def load_cifar10(root: DataRoot) -> Dataset:
    """Load CIFAR-10: 50000 train and 10000 test 32x32 RGB images, 10 classes.

    Images are flattened channels first (3072 features), matching ``(3, 32, 32)``.
    """
    names = (*CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE)
    files = locate_files(
        "cifar10", root, ["cifar-10-batches-py", "", "cifar10"], names, gzip_ok=False, source=CIFAR10_SOURCE
    )
    train = [read_cifar_batch(files[n]) for n in CIFAR10_TRAIN_FILES]
    x_test, y_test = read_cifar_batch(files[CIFAR10_TEST_FILE])
    return Dataset(
        "cifar10",
        np.concatenate([x for x, _ in train]),
        np.concatenate([y for _, y in train]),
        x_test,
        y_test,
        CIFAR10_CLASSES,
        CIFAR10_IMAGE_SHAPE,
    )


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch: ``x`` float32 ``(N, 3072)`` in [0, 1] and ``y`` int64 ``(N,)``."""
    batch = _unpickle(path)
    if not isinstance(batch, dict) or not {b"data", b"labels"} <= batch.keys():
        raise ValueError(f"{path}: not a CIFAR batch, expected a dict with b'data' and b'labels'")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: expected uint8 data of shape (N, 3072), got {data.dtype} {data.shape}")
    if labels.shape != (len(data),) or not np.isin(labels, range(CIFAR10_CLASSES)).all():
        raise ValueError(f"{path}: expected {len(data)} labels in 0..{CIFAR10_CLASSES - 1}")
    return data.astype(np.float32) / np.float32(255), labels


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as f:
        try:
            return _BatchUnpickler(f, encoding="bytes").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as err:
            raise ValueError(f"{path}: cannot read CIFAR batch ({err})") from err
