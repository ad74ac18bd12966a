"""MNIST, Fashion-MNIST, KMNIST and EMNIST from their IDX files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .idx import read_idx
from .paths import DataRoot, locate_files

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# dataset name -> (torchvision folder name, where the files are published)
MNIST_FAMILY = {
    "mnist": ("MNIST", "https://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("FashionMNIST", "https://github.com/zalandoresearch/fashion-mnist"),
    "kmnist": ("KMNIST", "https://github.com/rois-codh/kmnist"),
}

EMNIST_SOURCE = "https://www.nist.gov/itl/products-and-services/emnist-dataset"
EMNIST_CLASSES = {"balanced": 47, "byclass": 62, "bymerge": 47, "digits": 10, "letters": 26, "mnist": 10}


def load_mnist_family(name: str, root: DataRoot) -> Dataset:
    """Load ``"mnist"``, ``"fashion-mnist"`` or ``"kmnist"`` (10 classes, 28x28)."""
    torchvision_folder, source = MNIST_FAMILY[name]
    files = locate_files(
        name, root, [name, "", f"{torchvision_folder}/raw"], IDX_FILES, gzip_ok=True, source=source
    )
    return _idx_dataset(name, [files[n] for n in IDX_FILES], num_classes=10)


def load_emnist(root: DataRoot, split: str = "balanced") -> Dataset:
    """Load one EMNIST split, e.g. ``"balanced"`` (47 classes) or ``"letters"``.

    EMNIST stores images transposed; they are transposed back here. The
    ``letters`` labels 1..26 are shifted to 0..25.
    """
    if split not in EMNIST_CLASSES:
        raise ValueError(f"Unknown EMNIST split {split!r}; available: {', '.join(EMNIST_CLASSES)}")
    names = [
        f"emnist-{split}-{part}-{kind}"
        for part in ("train", "test")
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
    ]
    files = locate_files(
        f"emnist ({split})",
        root,
        ["emnist", "emnist/gzip", "", "EMNIST/raw"],
        names,
        gzip_ok=True,
        source=EMNIST_SOURCE,
    )
    first_label = 1 if split == "letters" else 0
    return _idx_dataset(
        f"emnist-{split}",
        [files[n] for n in names],
        num_classes=EMNIST_CLASSES[split],
        transposed=True,
        first_label=first_label,
    )


def _idx_dataset(
    name: str,
    paths: Sequence[Path],
    *,
    num_classes: int,
    transposed: bool = False,
    first_label: int = 0,
) -> Dataset:
    train_images, train_labels, test_images, test_labels = paths
    x_train = _read_images(train_images, transposed)
    x_test = _read_images(test_images, transposed)
    y_train = _read_labels(train_labels, len(x_train), num_classes, first_label)
    y_test = _read_labels(test_labels, len(x_test), num_classes, first_label)
    image_shape = tuple(x_train.shape[1:])
    return Dataset(
        name,
        x_train.reshape(len(x_train), -1),
        y_train,
        x_test.reshape(len(x_test), -1),
        y_test,
        num_classes,
        image_shape,
    )


def _read_images(path: Path, transposed: bool) -> np.ndarray:
    images = read_idx(path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"{path}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    if transposed:
        images = images.transpose(0, 2, 1)
    return images.astype(np.float32) / np.float32(255)


def _read_labels(path: Path, count: int, num_classes: int, first_label: int) -> np.ndarray:
    labels = read_idx(path)
    if labels.shape != (count,):
        raise ValueError(f"{path}: expected {count} labels, got shape {labels.shape}")
    labels = labels.astype(np.int64) - first_label
    if count and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{path}: labels must lie in {first_label}..{first_label + num_classes - 1}")
    return labels
