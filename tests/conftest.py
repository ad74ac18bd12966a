"""Shared fixtures."""
import json

import pytest

from annealq.profiles import load_profile


def report_rows(folder, workflow=None) -> list[dict]:
    """The rows of every run in ``folder/report.json`` (of one workflow if given), in order."""
    document = json.loads((folder / "report.json").read_text())
    return [row for run in document["runs"] if workflow in (None, run["workflow"]) for row in run["rows"]]


@pytest.fixture(scope="session")
def small_profile(tmp_path_factory):
    """A Pegasus P4 profile with a few missing qubits, as a JSON file (fast to embed on)."""
    data = load_profile("Advantage_system4.1").to_dict()
    data.update(name="Pegasus_P4_test", topology={"type": "pegasus", "shape": [4]}, num_qubits=288,
                yield_model={"inactive_fraction": 0.02, "seed": 1})
    path = tmp_path_factory.mktemp("profiles") / "Pegasus_P4_test.json"
    path.write_text(json.dumps(data))
    return str(path)
