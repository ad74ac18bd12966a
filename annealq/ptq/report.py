"""PTQ report: methods x bit-widths on one model, as table rows.

Example:
    >>> from annealq.data import load_dataset
    >>> from annealq.nn.models import pretrained_mlp
    >>> data = load_dataset("digits")
    >>> rows = ptq_rows(pretrained_mlp(data, (64, 8, 10), epochs=2), data, methods=["rtn"], bits=[4])
    >>> [row["method"] for row in rows]
    ['float', 'rtn']
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

from annealq.ptq.config import QuantConfig
from annealq.nn.models import accuracy
from annealq.ptq.pipeline import quantize

ROW_KEYS = ("method", "bits", "accuracy", "recon_error", "layer_errors", "seconds")


def ptq_rows(model, data, *, methods: Iterable[str] = ("rtn", "gptq", "qubo"), bits: Iterable[int] = (8, 4, 3, 2, 1),
             config: QuantConfig = QuantConfig(), calibration_size: int = 256,
             on_row: Callable[[dict], None] | None = None, progress=None, journal=None, executor=None) -> list[dict]:
    """One row per (method, bits) plus a ``float`` row; keys :data:`ROW_KEYS` (+ ``layers``)."""
    calibration = data.x_train[:calibration_size]
    rows = [{"method": "float", "bits": 32, "accuracy": accuracy(model, data.x_test, data.y_test),
             "recon_error": 0.0, "layer_errors": [], "seconds": 0.0}]
    if on_row:
        on_row(rows[0])
    for b in bits:
        for method in methods:
            cfg = dataclasses.replace(config, bits=b, method=method)
            result = quantize(model, calibration, cfg, progress=progress, journal=journal, executor=executor)
            row = {"method": method, "bits": b, "accuracy": accuracy(result.model, data.x_test, data.y_test),
                   "recon_error": result.recon_error, "layer_errors": [l.recon_error for l in result.layers],
                   "seconds": result.seconds, "layers": [l.to_dict() for l in result.layers]}
            rows.append(row)
            if on_row:
                on_row(row)
    return rows


def format_table(rows: list[dict]) -> str:
    """A fixed-width text table of the rows."""
    head = f"{'method':<8} {'bits':>4} {'accuracy':>9} {'recon_error':>12} {'seconds':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['method']:<8} {r['bits']:>4} {100 * r['accuracy']:>8.2f}% {r['recon_error']:>12.4g} "
                     f"{r['seconds']:>8.2f}")
    return "\n".join(lines)
