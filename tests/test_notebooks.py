"""The notebooks: stored without outputs, and each runs top to bottom in a fresh kernel.

Each notebook runs in a ``python3`` kernel whose working directory is a temporary folder
(what a notebook writes under ``runs/`` lands there, never in the repository), headless
(``MPLBACKEND=Agg``; the notebooks switch to the inline backend themselves) and offline with
no Leap token, even on a machine that has one: the QPU cells must take the mock-QPU branch.
busclique's on-disk embedding caches go to the test's own folder (``XDG_DATA_HOME``), so
processes that build the same caches at the same time cannot race with the notebook; the
float models come from the user's model cache (``ANNEALQ_CACHE``), as the doctests' do
(they train in seconds when missing).
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ("01_quickstart.ipynb", "02_submit_a_layer_to_leap.ipynb", "03_qpu_vs_sa_offline.ipynb",
            "04_embedding_cost.ipynb", "05_head_training.ipynb", "06_pruning.ipynb", "07_qnn_training.ipynb")
#: Seconds one cell may take (each notebook takes well under a minute on 2 cores).
CELL_TIMEOUT = 300


def _ids(path: Path) -> str:
    return path.stem


def test_the_notebooks_are_there_and_listed():
    assert tuple(p.name for p in NOTEBOOKS) == EXPECTED
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert name in readme, f"notebooks/README.md does not list {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} keeps outputs: strip them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} keeps an execution count"
        assert "execution" not in cell.metadata, f"{path.name} cell {i} keeps execution timing metadata"


def _run(path: Path, cwd: Path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT, startup_timeout=120,
                                     resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def _outputs(nb) -> tuple[str, list[str]]:
    """All text a run printed, and the MIME types of its displayed data."""
    text, kinds = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text.append(out.text)
            elif out.output_type in ("display_data", "execute_result"):
                kinds += list(out.data)
                text.append(out.data.get("text/plain", ""))
    return "\n".join(text), kinds


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs(path, tmp_path, monkeypatch):
    config = tmp_path / "dwave.conf"
    config.write_text("")  # no Leap token anywhere: the kernel inherits this environment
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.delenv("DWAVE_PROFILE", raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p.name for p in FOLDER.iterdir())

    nb, seconds = _run(path, work)

    text, kinds = _outputs(nb)
    print(f"{path.name}: {seconds:.1f} s")
    assert "image/png" in kinds, f"{path.name} displayed no figure"
    assert "Traceback" not in text
    assert sorted(p.name for p in FOLDER.iterdir()) == before, "the notebook wrote into notebooks/"
    assert (work / "runs").is_dir(), "the notebook's files belong under runs/ of its working directory"
    if path.name.startswith("02_"):
        assert "no Leap token configured: offline on route mock-qpu-packed:" in text
        assert "resumed 10 of 10 neurons" in text
    if path.name.startswith("03_"):
        assert "solvers: ['qpu', 'sa', 'sa_x10']" in text
