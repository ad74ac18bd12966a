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
from annealq.studies.tables import text_table

ROW_KEYS = ("method", "bits", "accuracy", "recon_error", "layer_errors", "seconds")


def sweep(model, calibration, score: Callable[[object], dict], *, methods: Iterable[str], bits: Iterable[int],
          config: QuantConfig = QuantConfig(), on_result: Callable | None = None,
          on_row: Callable[[dict], None] | None = None, progress=None, journal=None, executor=None) -> list[dict]:
    """Quantize ``model`` with each method and bit-width: a ``float`` row, then one row each.

    ``score(model)`` gives a row's metrics (``accuracy``, ...); ``on_result(method, bits, result)``
    may add fields (files written); ``on_row`` sees each row as it is made.
    """
    rows = [{"method": "float", "bits": 32, **score(model), "recon_error": 0.0, "layer_errors": [], "seconds": 0.0}]
    if on_row:
        on_row(rows[0])
    for b in bits:
        for method in methods:
            cfg = dataclasses.replace(config, bits=b, method=method)
            result = quantize(model, calibration, cfg, progress=progress, journal=journal, executor=executor)
            row = {"method": method, "bits": b, **score(result.model), "recon_error": result.recon_error,
                   "layer_errors": [l.recon_error for l in result.layers], "seconds": result.seconds,
                   **(on_result(method, b, result) if on_result else {}),
                   "layers": [l.to_dict() for l in result.layers]}
            rows.append(row)
            if on_row:
                on_row(row)
    return rows


def ptq_rows(model, data, *, methods: Iterable[str] = ("rtn", "gptq", "qubo"), bits: Iterable[int] = (8, 4, 3, 2, 1),
             config: QuantConfig = QuantConfig(), calibration_size: int = 256, **kwargs) -> list[dict]:
    """:func:`sweep` on a dataset's first ``calibration_size`` training samples, scored by test accuracy;
    keys :data:`ROW_KEYS` (+ ``layers``)."""
    return sweep(model, data.x_train[:calibration_size],
                 lambda m: {"accuracy": accuracy(m, data.x_test, data.y_test)},
                 methods=methods, bits=bits, config=config, **kwargs)


def format_table(rows: list[dict]) -> str:
    """A fixed-width text table of the rows."""
    return text_table(("method", "bits", "accuracy", "recon_error", "seconds"),
                      [[r["method"], r["bits"], f"{100 * r['accuracy']:.2f}%", f"{r['recon_error']:.4g}",
                        f"{r['seconds']:.2f}"] for r in rows])


def settings_key(config: QuantConfig) -> str:
    """A short hash of a config's settings other than bits and method (rows of one run share it)."""
    import hashlib
    import json

    fields = {k: v for k, v in config.to_dict().items() if k not in ("bits", "method", "workers")}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def merge_reports(old: list[dict], new: list[dict], config: QuantConfig) -> list[dict]:
    """``old`` report rows plus ``new`` ones (tagged with ``settings``); a new row replaces only the
    old row of the same method, bits and settings, so runs of other settings in one folder are kept.

    >>> cfg = QuantConfig()
    >>> rows = merge_reports([], [{"method": "rtn", "bits": 4}], cfg)
    >>> len(merge_reports(rows, [{"method": "rtn", "bits": 2}], cfg)), len(merge_reports(rows, rows, cfg))
    (2, 1)
    """
    key = settings_key(config)
    tagged = [{**row, "settings": key} for row in new]
    fresh = {(r["method"], r["bits"], key) for r in tagged}
    return [r for r in old if (r["method"], r["bits"], r.get("settings")) not in fresh] + tagged
