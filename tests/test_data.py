"""Tests for annealq.data: every dataset is built from tiny files written here, no network."""

from __future__ import annotations

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from annealq.data import (
    DATA_ENV_VAR,
    Dataset,
    DatasetNotFoundError,
    available_datasets,
    load_dataset,
    read_idx,
)
from annealq.data.mnist import IDX_FILES

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def write_idx(path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends with .gz."""
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if str(path).endswith(".gz") else raw)


def write_mnist(folder, names=IDX_FILES, suffix="", seed=0, num_classes=10, label_offset=0):
    """Write 5 train and 3 test random 28x28 images with labels; return the arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = [
        rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        rng.integers(0, num_classes, size=5, dtype=np.uint8) + np.uint8(label_offset),
        rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8),
        rng.integers(0, num_classes, size=3, dtype=np.uint8) + np.uint8(label_offset),
    ]
    for name, array in zip(names, arrays):
        write_idx(folder / (name + suffix), array)
    return arrays


def assert_matches_idx(data: Dataset, arrays, label_offset=0) -> None:
    train_images, train_labels, test_images, test_labels = arrays
    assert data.image_shape == (28, 28)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    np.testing.assert_array_equal(data.x_train, train_images.reshape(5, -1) / np.float32(255))
    np.testing.assert_array_equal(data.x_test, test_images.reshape(3, -1) / np.float32(255))
    np.testing.assert_array_equal(data.y_train, train_labels.astype(np.int64) - label_offset)
    np.testing.assert_array_equal(data.y_test, test_labels.astype(np.int64) - label_offset)


def write_cifar_batch(path, data: np.ndarray, labels: list[int], protocol: int) -> None:
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"test", b"data": data, b"labels": labels}, f, protocol=protocol)


# --- digits -----------------------------------------------------------------


def test_digits_shapes_dtypes_and_range():
    data = load_dataset("digits")
    assert data.name == "digits" and data.num_classes == 10 and data.image_shape == (8, 8)
    assert data.x_train.shape == (1347, 64) and data.x_test.shape == (450, 64)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert set(data.y_test) == set(range(10))


def test_digits_split_is_stratified_and_reproducible_by_seed():
    a, b, c = load_dataset("digits", seed=3), load_dataset("digits", seed=3), load_dataset("digits", seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, c.y_train)
    all_labels = np.concatenate([a.y_train, a.y_test])
    expected = np.bincount(all_labels) / len(all_labels)
    np.testing.assert_allclose(np.bincount(a.y_test) / len(a.y_test), expected, atol=0.01)


def test_digits_test_size():
    assert load_dataset("digits", test_size=0.5).x_test.shape == (899, 64)


def test_to_torch_shares_memory():
    data = load_dataset("digits")
    x_train, y_train, x_test, y_test = data.to_torch()
    assert x_train.shape == (1347, 64) and y_test.shape == (450,)
    assert x_train.data_ptr() == data.x_train.ctypes.data


def test_dataset_rejects_inconsistent_arrays():
    x, y = np.zeros((2, 4), np.float32), np.zeros(2, np.int64)
    with pytest.raises(ValueError, match="x_train"):
        Dataset("bad", x, y, x, y, num_classes=2, image_shape=(3, 3))
    with pytest.raises(ValueError, match="y_test"):
        Dataset("bad", x, y, x, y[:1], num_classes=2, image_shape=(2, 2))


# --- IDX --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_round_trips_every_dtype(tmp_path, dtype, suffix):
    array = (np.arange(24) - 5).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, array)
    result = read_idx(path)
    assert result.dtype == dtype and result.dtype.isnative
    np.testing.assert_array_equal(result, array)


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match=r"bad-idx3-ubyte.*bad magic"):
        read_idx(path)


def test_read_idx_unknown_dtype_code(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(path)


@pytest.mark.parametrize(
    "raw, problem",
    [
        (b"\x00\x00", "truncated IDX file"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 5), "truncated IDX header"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 4) + b"\x00\x00", "truncated IDX data"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x00\x00", "trailing bytes"),
    ],
)
def test_read_idx_wrong_length(tmp_path, raw, problem):
    path = tmp_path / "short-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=f"short-idx1-ubyte.*{problem}"):
        read_idx(path)


def test_read_idx_corrupt_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(100))[:20])
    with pytest.raises(ValueError, match="corrupt gzip"):
        read_idx(path)


# --- MNIST family -----------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_mnist_from_root(tmp_path, suffix):
    arrays = write_mnist(tmp_path, suffix=suffix)
    data = load_dataset("mnist", root=tmp_path)
    assert data.name == "mnist" and data.num_classes == 10
    assert_matches_idx(data, arrays)


@pytest.mark.parametrize(
    "name, folder",
    [
        ("mnist", "mnist"),
        ("fashion-mnist", "fashion-mnist"),
        ("kmnist", "kmnist"),
        ("mnist", "MNIST/raw"),
        ("fashion-mnist", "FashionMNIST/raw"),
        ("kmnist", "KMNIST/raw"),
    ],
)
def test_mnist_family_layouts(tmp_path, name, folder):
    arrays = write_mnist(tmp_path / folder, suffix=".gz")
    data = load_dataset(name, root=str(tmp_path))
    assert data.name == name
    assert_matches_idx(data, arrays)


def test_root_from_environment_and_name_alias(tmp_path, monkeypatch):
    arrays = write_mnist(tmp_path / "fashion-mnist")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    assert_matches_idx(load_dataset("Fashion_MNIST"), arrays)


def test_mnist_label_count_mismatch(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.*expected 3 labels"):
        load_dataset("mnist", root=tmp_path)


def test_mnist_bad_magic_raises_value_error(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"GIF89a" + bytes(100))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*bad magic"):
        load_dataset("mnist", root=tmp_path)


# --- EMNIST -----------------------------------------------------------------


def emnist_names(split):
    return [f"emnist-{split}-{part}-{kind}" for part in ("train", "test")
            for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]


def test_emnist_images_are_transposed_back(tmp_path):
    stored = write_mnist(tmp_path / "emnist", emnist_names("balanced"), suffix=".gz", num_classes=47)
    data = load_dataset("emnist", root=tmp_path)
    assert data.name == "emnist-balanced" and data.num_classes == 47
    upright = [stored[0].transpose(0, 2, 1), stored[1], stored[2].transpose(0, 2, 1), stored[3]]
    assert_matches_idx(data, upright)


def test_emnist_letters_split_torchvision_layout(tmp_path):
    stored = write_mnist(tmp_path / "EMNIST" / "raw", emnist_names("letters"), num_classes=26, label_offset=1)
    data = load_dataset("emnist", root=tmp_path, split="letters")
    assert data.num_classes == 26
    np.testing.assert_array_equal(data.y_train, stored[1].astype(np.int64) - 1)
    assert data.y_train.min() >= 0 and data.y_train.max() < 26


def test_emnist_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="balanced"):
        load_dataset("emnist", root=tmp_path, split="nope")


def test_split_rejected_for_other_datasets():
    with pytest.raises(ValueError, match="emnist"):
        load_dataset("mnist", split="balanced")


def test_emnist_missing_names_split_files(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="emnist-letters-train-images-idx3-ubyte"):
        load_dataset("emnist", root=tmp_path, split="letters")


# --- CIFAR-10 ---------------------------------------------------------------


def write_cifar(folder, protocol, per_batch=2):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_batch).tolist()
        write_cifar_batch(folder / name, data, labels, protocol)
        batches[name] = (data, labels)
    return batches


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("folder", ["cifar-10-batches-py", ""])
def test_cifar10(tmp_path, protocol, folder):
    batches = write_cifar(tmp_path / folder, protocol)
    data = load_dataset("cifar10", root=tmp_path)
    assert data.name == "cifar10" and data.num_classes == 10 and data.image_shape == (3, 32, 32)
    assert data.x_train.shape == (10, 3072) and data.x_test.shape == (2, 3072)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(data.x_train, np.concatenate([d for d, _ in train]) / np.float32(255))
    np.testing.assert_array_equal(data.y_train, np.concatenate([labels for _, labels in train]))
    np.testing.assert_array_equal(data.x_test, batches["test_batch"][0] / np.float32(255))
    np.testing.assert_array_equal(data.y_test, batches["test_batch"][1])


def test_cifar10_refuses_pickles_that_run_code(tmp_path):
    write_cifar(tmp_path, protocol=2)
    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump({b"data": os.getcwd}, f)
    with pytest.raises(ValueError, match="test_batch.*not allowed"):
        load_dataset("cifar10", root=tmp_path)


def test_cifar10_wrong_shape(tmp_path):
    write_cifar(tmp_path, protocol=2)
    write_cifar_batch(tmp_path / "test_batch", np.zeros((2, 1024), np.uint8), [0, 1], protocol=2)
    with pytest.raises(ValueError, match=r"test_batch.*\(N, 3072\)"):
        load_dataset("cifar10", root=tmp_path)


# --- names and missing files ------------------------------------------------


def test_available_datasets():
    assert available_datasets() == ("digits", "mnist", "fashion-mnist", "kmnist", "emnist", "cifar10")


def test_unknown_name_lists_available():
    with pytest.raises(ValueError, match="cifar10") as excinfo:
        load_dataset("imagenet")
    assert "imagenet" in str(excinfo.value)


def test_missing_folder_message(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_dataset("kmnist", root=missing)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, FileNotFoundError)
    for expected in [*IDX_FILES, "kmnist", str(missing / "kmnist"), str(missing / "KMNIST" / "raw"),
                     "never downloads", ".gz"]:
        assert expected in message


def test_partial_folder_names_missing_files(tmp_path):
    write_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"mnist  \(missing: t10k-labels-idx1-ubyte\)"):
        load_dataset("mnist", root=tmp_path)


def test_default_root_is_explained(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_dataset("cifar10")
    message = str(excinfo.value)
    assert str(tmp_path / ".annealq" / "data" / "cifar-10-batches-py") in message
    assert DATA_ENV_VAR in message and "default" in message and "data_batch_5" in message


def test_environment_root_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match=r"taken from \$ANNEALQ_DATA"):
        load_dataset("mnist")
