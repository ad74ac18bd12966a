"""Tests on D-Wave Leap: they run only where a Leap token is configured, and skip otherwise."""
import pytest

from annealq.samplers.leap import leap_token_configured


@pytest.fixture(autouse=True)
def _needs_leap_token():
    if not leap_token_configured():
        pytest.skip("no D-Wave Leap token configured: set DWAVE_API_TOKEN or run `dwave setup` to run tests/qpu")
