"""Shared fixtures."""
import json

import pytest

from annealq.profiles import load_profile


@pytest.fixture(scope="session")
def small_profile(tmp_path_factory):
    """A Pegasus P4 profile with a few missing qubits, as a JSON file (fast to embed on)."""
    data = load_profile("Advantage_system4.1").to_dict()
    data.update(name="Pegasus_P4_test", topology={"type": "pegasus", "shape": [4]}, num_qubits=288,
                yield_model={"inactive_fraction": 0.02, "seed": 1})
    path = tmp_path_factory.mktemp("profiles") / "Pegasus_P4_test.json"
    path.write_text(json.dumps(data))
    return str(path)
