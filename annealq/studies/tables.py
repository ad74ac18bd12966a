"""Text tables and result files shared by every workflow's report and every study.

Example:
    >>> print(text_table(("method", "bits", "accuracy"), [["qubo", 4, "98.00%"], ["rtn", 4, "97.33%"]]))
    method  bits  accuracy
    qubo       4    98.00%
    rtn        4    97.33%
"""
from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np


def text_table(head: Sequence[str], lines: Iterable[Sequence], left: int = 1) -> str:
    """Columns aligned to their widest cell: the first ``left`` to the left, the rest to the right."""
    cells = [list(head)] + [[str(c) for c in line] for line in lines]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in cells)


def finite(value):
    """``value`` made JSON-ready: numpy scalars and arrays as Python values, non-finite floats as None.

    >>> finite({"a": np.float32(0.5), "b": [float("nan"), np.arange(2)]})
    {'a': 0.5, 'b': [None, [0, 1]]}
    """
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return finite(value.tolist())
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        return finite(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path, data) -> Path:
    """Write ``data`` as JSON through a unique temporary file, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(finite(data), f, indent=1)
    os.replace(tmp, path)
    return path


def write_csv(path, rows: Sequence[Mapping], fields: Sequence[str] | None = None) -> Path:
    """Write ``rows`` (dicts) as CSV, columns ``fields`` (default: the first row's keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields or rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
