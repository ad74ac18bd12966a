"""The one report.json schema of every workflow: runs of settings, each with its rows.

``{"annealq": version, "runs": [{"workflow", "settings", "rows": [...], ...extras}]}``.
``settings`` holds every setting that changes a result (data, seeds, calibration size, solver,
the workflow's own); a run of the same workflow and settings merges its rows into the earlier
ones (a row replaces only the row with the same ``row_key`` fields, duplicates collapse), and
runs of other settings are kept.

Example:
    >>> doc = merge({}, "ptq", {"seed": 0}, [{"method": "rtn", "bits": 4, "accuracy": 0.9}], ("method", "bits"))
    >>> doc = merge(doc, "ptq", {"seed": 0}, [{"method": "rtn", "bits": 2}, {"method": "rtn", "bits": 2}],
    ...             ("method", "bits"))
    >>> doc = merge(doc, "ptq", {"seed": 1}, [{"method": "rtn", "bits": 4}], ("method", "bits"))
    >>> [(r["settings"]["seed"], [x["bits"] for x in r["rows"]]) for r in doc["runs"]]
    [(0, [4, 2]), (1, [4])]
"""
from __future__ import annotations

import json
from pathlib import Path

from annealq.report.tables import finite, write_json

SCHEMA = 1


def merge(document: dict, workflow: str, settings: dict, rows: list[dict], row_key, **extras) -> dict:
    """``document`` with ``rows`` (and ``extras``) merged into the run of ``workflow`` and ``settings``."""
    settings = finite(settings)
    runs = [dict(r) for r in document.get("runs", [])]
    run = next((r for r in runs if r["workflow"] == workflow and r["settings"] == settings), None)
    if run is None:
        run = {"workflow": workflow, "settings": settings, "rows": []}
        runs.append(run)

    def key(row):
        return json.dumps([finite(row.get(k)) for k in row_key])

    merged = {key(r): r for r in run["rows"]}
    for row in rows:
        merged[key(row)] = row  # a newer row of the same key replaces the older, in place
    run.update(extras, rows=list(merged.values()))
    from annealq import __version__

    return {"annealq": __version__, "schema": SCHEMA, "runs": runs}


def read(path) -> dict:
    """The report at ``path`` (``{}`` when there is none); an unreadable one raises a one-line ValueError."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as err:
        raise ValueError(f"{path} is not valid JSON ({err}): move it away and run again") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"{path} is a report of another annealq version: move it away, or choose another --out")
    return document


def update(path, workflow: str, settings: dict, rows: list[dict], row_key, **extras) -> dict:
    """Merge into the report file at ``path`` (written atomically); the run's merged entry."""
    document = merge(read(path), workflow, settings, rows, row_key, **extras)
    write_json(path, document)
    return next(r for r in document["runs"] if r["workflow"] == workflow and r["settings"] == finite(settings))
