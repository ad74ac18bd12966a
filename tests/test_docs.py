"""Every fenced Python block of README.md and docs/*.md runs as written (a file's blocks in order,
sharing one namespace, in a fresh folder)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), re.S | re.M)


def test_the_documents_hold_python_examples():
    assert sum(len(python_blocks(p)) for p in DOCUMENTS) >= 5


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    """One cache of trained reference models for every document (each trains them once)."""
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if python_blocks(p)], ids=lambda p: p.name)
def test_every_python_block_runs_as_written(path, tmp_path, monkeypatch, model_cache):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANNEALQ_CACHE", str(model_cache))
    namespace: dict = {"__name__": "__docs__"}
    for k, block in enumerate(python_blocks(path)):
        try:
            exec(compile(block, f"{path.name}, python block {k + 1}", "exec"), namespace)
        except Exception as err:
            raise AssertionError(f"{path.name}, python block {k + 1} fails: {type(err).__name__}: {err}") from err
