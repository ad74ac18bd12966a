"""Checks of data at the boundary: numpy arrays or torch tensors, one ``ValueError`` line naming ``what`` and the fix.

Every workflow calls these on the data it is given before any work starts: inputs must be a
non-empty numeric array of finite values (of a given number of dimensions or per-sample
shape), labels one per sample and, where they index classes, integers in ``[0, classes)``.

Example:
    >>> import numpy as np
    >>> check_inputs(np.ones((3, 2)), "X", ndim=2).shape
    (3, 2)
    >>> check_inputs(np.array([[1.0, np.nan]]), "X")
    Traceback (most recent call last):
    ValueError: X: NaN or inf values (first in sample 0); clean or impute them first
    >>> check_labels([0, 2, 1], "y", samples=3, classes=3).tolist()
    [0, 2, 1]
    >>> check_labels([0, 3], "y", samples=2, classes=3)
    Traceback (most recent call last):
    ValueError: y: label 3 is outside the class indices 0..2; give labels as integers 0 .. 2, one per sample
"""
from __future__ import annotations

import sys

import numpy as np


def _torch_tensor(value) -> bool:
    torch = sys.modules.get("torch")  # no tensor exists unless torch is imported
    return torch is not None and isinstance(value, torch.Tensor)


def _numeric_kind(value) -> str | None:
    """``"f"`` (floating), ``"i"`` (integer), ``"b"`` (bool) or None (not numbers) of an array or tensor."""
    if _torch_tensor(value):
        if value.is_complex():
            return None
        return "f" if value.is_floating_point() else "b" if value.dtype == sys.modules["torch"].bool else "i"
    kind = value.dtype.kind
    return {"f": "f", "i": "i", "u": "i", "b": "b"}.get(kind)


def _array(value, what: str):
    """``value`` as an array (tensors stay tensors), or the error saying it is not numbers."""
    if _torch_tensor(value):
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise ValueError(f"{what}: not a numeric array ({str(err).splitlines()[0]}); give a (samples, ...) "
                         f"array of numbers") from None
    return array


def _first_bad(mask) -> int:
    """The sample index of the first True in ``mask`` (samples first)."""
    flat = mask.reshape(mask.shape[0], -1).any(1) if mask.ndim > 1 else mask
    return int(np.flatnonzero(np.asarray(flat))[0]) if not _torch_tensor(flat) else int(flat.nonzero()[0, 0])


def check_inputs(x, what: str, *, ndim: int | None = None, sample_shape: tuple | None = None):
    """``x`` checked: numbers (not strings, objects or complex), at least one sample, finite values, and
    ``ndim`` dimensions or ``sample_shape`` per sample when given.  Returns ``x`` as an array (a tensor stays one)."""
    x = _array(x, what)
    if _numeric_kind(x) is None:
        raise ValueError(f"{what}: not a numeric array (dtype {x.dtype}); give a (samples, ...) array of numbers")
    if x.ndim == 0 or x.shape[0] == 0 or 0 in tuple(x.shape):
        raise ValueError(f"{what} is empty (shape {tuple(x.shape)}): give a non-empty array, at least one sample")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{what}: shape {tuple(x.shape)} is {x.ndim}-D; give a {ndim}-D (samples, features) array")
    if sample_shape is not None and tuple(x.shape[1:]) != tuple(sample_shape):
        raise ValueError(f"{what}: samples of shape {tuple(x.shape[1:])}, the model takes "
                         f"{tuple(sample_shape)}; give (samples, {', '.join(map(str, sample_shape))}) inputs")
    if _numeric_kind(x) == "f":
        bad = ~(x.isfinite() if _torch_tensor(x) else np.isfinite(x))
        if bad.any():
            raise ValueError(f"{what}: NaN or inf values (first in sample {_first_bad(bad)}); clean or "
                             f"impute them first")
    return x


def check_labels(y, what: str, *, samples: int | None = None, classes: int | None = None,
                 indices: bool = True):
    """Labels checked: one dimension, ``samples`` of them, no NaN; with ``indices`` (class indices) integers
    in ``[0, classes)`` (``classes`` None: any non-negative integer).  Returns int64 labels as an array (a tensor
    stays one); without ``indices``, ``y`` as given (any label values, as scikit-learn takes them)."""
    y = _array(y, what)
    shape = tuple(y.shape)
    if len(shape) != 1 and not (len(shape) == 2 and shape[1] == 1 and indices):
        raise ValueError(f"{what}: shape {shape}; give one label per sample, a vector of {samples or 'N'}")
    y = y.reshape(-1)
    if samples is not None and y.shape[0] != samples:
        raise ValueError(f"{what}: {y.shape[0]} labels for {samples} inputs; give one label per sample")
    kind = _numeric_kind(y) if _torch_tensor(y) or y.dtype.kind in "fiub" else None
    if kind == "f":
        bad = ~(y.isfinite() if _torch_tensor(y) else np.isfinite(y))
        if bad.any():
            raise ValueError(f"{what}: NaN or inf labels (first in sample {_first_bad(bad)}); drop those samples "
                             f"or give them their class")
    if not indices:
        return y
    top = "the number of classes - 1" if classes is None else str(classes - 1)
    fix = f"give labels as integers 0 .. {top}, one per sample"
    if kind is None or (kind == "f" and bool((y != y.round()).any())):
        raise ValueError(f"{what}: not class indices (dtype {y.dtype}); {fix}")
    as_int = y.long() if _torch_tensor(y) else y.astype(np.int64)
    outside = (as_int < 0) | (as_int >= classes) if classes is not None else as_int < 0
    if outside.any():
        value = int(as_int[_first_bad(outside)])
        span = f"0..{classes - 1}" if classes is not None else "0 and up"
        raise ValueError(f"{what}: label {value} is outside the class indices {span}; {fix}")
    return as_int
