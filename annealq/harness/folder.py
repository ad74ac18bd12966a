"""The run folder of a workflow command: its lock and journal, run.json, report.json and figures.

The folder is made only when the run can start (every value checked before), and the journal's
lock is taken before anything is written, so a refused run never touches a busy folder.  A run
of other settings in the same folder keeps the earlier runs' rows (:mod:`annealq.report.document`).

Example:
    >>> import tempfile, pathlib, json
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with RunFolder(out, "demo", {"seed": 0}, ("method",)) as run:
    ...     entry = run.report([{"method": "a", "accuracy": 0.5}])
    >>> json.loads((out / "run.json").read_text())["settings"], len(entry["rows"])
    ({'seed': 0}, 1)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from annealq.report import document
from annealq.report.tables import write_json


class RunFolder:
    """A context manager: opens the journal (lock first), writes run.json; ``report()`` merges rows."""

    def __init__(self, path, workflow: str, settings: dict, row_key, *, keep_problems: bool = True):
        self.path, self.workflow, self.settings, self.row_key = Path(path), workflow, settings, tuple(row_key)
        self.keep_problems = keep_problems
        self.journal = None

    def __enter__(self) -> "RunFolder":
        from annealq.records import Journal

        self.journal = Journal(self.path, keep_problems=self.keep_problems)  # creates the folder, takes the lock
        _remove_stale_temporaries(self.path)
        recorded = len(self.journal.records(unique=True))
        if recorded:
            click.echo(f"resuming {self.path}: {recorded} answers recorded; a problem answered under the same "
                       f"solver settings is reused, not sent again")
        write_json(self.path / "run.json", {"workflow": self.workflow, "settings": self.settings,
                                            "command": " ".join(["annealq", *sys.argv[1:]]),
                                            "annealq": _version(), "started": time.strftime("%Y-%m-%d %H:%M:%S")})
        return self

    def __exit__(self, *exc):
        self.journal.close()

    def report(self, rows: list[dict], **extras) -> dict:
        """Merge ``rows`` (and ``extras``) into report.json under this run's settings; the merged run."""
        return document.update(self.path / "report.json", self.workflow, self.settings, rows, self.row_key,
                               **extras)

    def file(self, name: str) -> Path:
        return self.path / name


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary report files a killed run left (the lock is held: no live writer owns them; the
    journal cleans its own blobs)."""
    for tmp in folder.glob("*.tmp"):
        tmp.unlink(missing_ok=True)


def _version() -> str:
    from annealq import __version__

    return __version__
