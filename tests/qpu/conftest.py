"""Tests on D-Wave Leap: they run only where a Leap token is configured, and skip otherwise."""
import pytest


def leap_token_configured() -> bool:
    """Read offline from the environment and dwave.conf (never printed)."""
    from dwave.cloud.config import load_config

    try:
        return bool(load_config().get("token"))
    except Exception:
        return False


@pytest.fixture(autouse=True)
def _needs_leap_token():
    if not leap_token_configured():
        pytest.skip("no D-Wave Leap token configured: set DWAVE_API_TOKEN or run `dwave setup` to run tests/qpu")
