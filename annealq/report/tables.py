"""Text tables and result files shared by every workflow's report and every study.

Example:
    >>> print(text_table(("method", "bits", "accuracy"), [["qubo", 4, "98.00%"], ["rtn", 4, "97.33%"]]))
    method  bits  accuracy
    qubo       4    98.00%
    rtn        4    97.33%
    >>> rows = [{"method": "qubo", "bits": 4, "accuracy": 0.98}, {"method": "rtn", "bits": 4, "accuracy": 0.9733}]
    >>> print(table(rows, [Column("method"), Column("bits"), Column("accuracy", kind="percent")]))
    method  bits  accuracy
    qubo       4    98.00%
    rtn        4    97.33%
    >>> print(pivot(rows, "bits", "method", Column("accuracy", kind="percent")))
    bits    qubo     rtn
    4     98.00%  97.33%
"""
from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np


def text_table(head: Sequence[str], lines: Iterable[Sequence], left: int = 1) -> str:
    """Columns aligned to their widest cell: the first ``left`` to the left, the rest to the right."""
    cells = [list(head)] + [[str(c) for c in line] for line in lines]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in cells)


@dataclass(frozen=True)
class Column:
    """A table column: a row field, its heading and its kind (how its values print).

    Kinds: ``text``, ``percent`` (a fraction printed as %), ``number`` (4 significant digits),
    ``fixed`` (4 decimals), ``seconds``, ``db``.

    >>> Column("accuracy", kind="percent").format(0.98), Column("psnr", "PSNR", "db").format(26.71)
    ('98.00%', '26.71 dB')
    """

    field: str
    heading: str | None = None
    kind: str = "text"

    def format(self, value) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "-"
        spec = {"percent": lambda v: f"{100 * v:.2f}%", "number": lambda v: f"{v:.4g}",
                "fixed": lambda v: f"{v:.4f}", "seconds": lambda v: f"{v:.2f}", "db": lambda v: f"{v:.2f} dB"}
        return spec[self.kind](value) if self.kind in spec else str(value)

    @property
    def title(self) -> str:
        return self.heading or self.field


def table(rows: Sequence[Mapping], columns: Sequence[Column]) -> str:
    """Rows as a text table of ``columns`` (a missing field prints as ``-``)."""
    return text_table([c.title for c in columns], [[c.format(r.get(c.field)) for c in columns] for r in rows])


def pivot(rows: Sequence[Mapping], index: str, across: str, value: Column) -> str:
    """``value`` of the rows with ``index`` down and ``across`` across (in order of first appearance)."""
    downs = list(dict.fromkeys(r.get(index) for r in rows))
    acrosses = list(dict.fromkeys(r.get(across) for r in rows))
    cells = {(r.get(index), r.get(across)): r.get(value.field) for r in rows}
    return text_table([index, *map(str, acrosses)],
                      [[d, *(value.format(cells.get((d, a))) for a in acrosses)] for d in downs])


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
    os.chmod(tmp, _file_mode())  # a temporary file is private; the result gets a new file's usual mode
    os.replace(tmp, path)
    return path


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_csv(path, rows: Sequence[Mapping], fields: Sequence[str] | None = None) -> Path:
    """Write ``rows`` (dicts) as CSV, columns ``fields`` (default: the first row's keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields or rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
