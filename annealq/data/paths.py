"""Where dataset files live, and the error raised when they are not there.

annealq never downloads data: the files must already be on disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DATA_ENV_VAR = "ANNEALQ_DATA"
DEFAULT_DATA_ROOT = "~/.annealq/data"


class DatasetNotFoundError(FileNotFoundError):
    """The files of a dataset are not in any of the folders searched."""


@dataclass(frozen=True)
class DataRoot:
    """The data folder together with how it was chosen (for error messages)."""

    path: Path
    origin: str


def resolve_root(root: str | os.PathLike | None) -> DataRoot:
    """Use ``root`` if given, else ``$ANNEALQ_DATA``, else ``~/.annealq/data``."""
    if root is not None:
        return DataRoot(Path(root).expanduser(), "taken from root=")
    if os.environ.get(DATA_ENV_VAR):
        return DataRoot(Path(os.environ[DATA_ENV_VAR]).expanduser(), f"taken from ${DATA_ENV_VAR}")
    return DataRoot(
        Path(DEFAULT_DATA_ROOT).expanduser(),
        f"the default, since root=None and ${DATA_ENV_VAR} is not set",
    )


def locate_files(
    dataset: str,
    root: DataRoot,
    subfolders: Sequence[str],
    names: Sequence[str],
    *,
    gzip_ok: bool,
    source: str,
) -> dict[str, Path]:
    """Find all ``names`` in one folder ``root/<subfolder>`` (``""`` is root itself).

    Folders are searched in the order given; the first is suggested in the
    error. With ``gzip_ok`` each file may also be present as ``<name>.gz``.
    Returns a map from each name to the path found; raises
    :class:`DatasetNotFoundError` when no folder has them all.
    """
    suffixes = ("", ".gz") if gzip_ok else ("",)
    folders = [root.path / sub for sub in subfolders]
    for folder in folders:
        found = _find_in(folder, names, suffixes)
        if len(found) == len(names):
            return found
    raise DatasetNotFoundError(_not_found_message(dataset, root, folders, names, suffixes, source))


def _find_in(folder: Path, names: Sequence[str], suffixes: Sequence[str]) -> dict[str, Path]:
    found = {}
    for name in names:
        for suffix in suffixes:
            path = folder / (name + suffix)
            if path.is_file():
                found[name] = path
                break
    return found


def _not_found_message(
    dataset: str,
    root: DataRoot,
    folders: Sequence[Path],
    names: Sequence[str],
    suffixes: Sequence[str],
    source: str,
) -> str:
    gz_note = " (each may also be gzipped, with a .gz suffix)" if ".gz" in suffixes else ""
    lines = [
        f"Dataset {dataset!r} not found. annealq never downloads data; "
        "put the files on disk yourself.",
        f"Expected files{gz_note}:",
        *(f"  {name}" for name in names),
        "Looked in:",
        *(f"  {folder}  ({_folder_status(folder, names, suffixes)})" for folder in folders),
        f"Put all of them in one of these folders, e.g. {folders[0]}.",
        f"Data root {root.path} is {root.origin}; use another with --data-root DIR on the command line, "
        f"root= in Python, or ${DATA_ENV_VAR}.",
        f"The files are published at {source}",
    ]
    return "\n".join(lines)


def _folder_status(folder: Path, names: Sequence[str], suffixes: Sequence[str]) -> str:
    if not folder.is_dir():
        return "does not exist"
    found = _find_in(folder, names, suffixes)
    if not found:
        return "none of the files"
    return "missing: " + ", ".join(name for name in names if name not in found)
