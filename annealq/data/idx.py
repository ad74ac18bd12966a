"""Reader for the IDX file format used by MNIST and its relatives.

An IDX file starts with a 4-byte magic number: two zero bytes, a dtype code
and the number of dimensions; then one big-endian uint32 per dimension; then
the values, big-endian, in C order. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from math import prod
from pathlib import Path

import numpy as np

IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzipped) into a native-endian numpy array.

    Raises ``ValueError`` naming the file if the magic number, dtype code or
    length is wrong.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file, only {len(raw)} bytes (no header)")
    zeros, code, ndim = raw[:2], raw[2], raw[3]
    if zeros != b"\x00\x00" or code not in IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file, bad magic number 0x{raw[:4].hex()}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{path}: truncated IDX header, expected {ndim} dimensions")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = prod(shape) * dtype.itemsize
    actual = len(raw) - header_size
    if actual != expected:
        problem = "truncated IDX data" if actual < expected else "trailing bytes after IDX data"
        raise ValueError(f"{path}: {problem}, shape {shape} needs {expected} bytes, found {actual}")
    values = np.frombuffer(raw, dtype=dtype, offset=header_size)
    return values.astype(dtype.newbyteorder("=")).reshape(shape)


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: corrupt gzip data ({err})") from err
