"""Leap access: whether a token is configured (never its value), client defaults, cloud errors.

API tokens are read by the Ocean client only: annealq never prints, logs or stores them.

Example:
    >>> leap_config("Advantage_system4.1")["defaults"]
    {'http_retry_total': 1}
"""
from __future__ import annotations

import contextlib

from annealq.samplers.errors import (RouteError, ServiceUnreachableError, SolverUnavailableError,
                                     TokenMissingError)

#: Client settings under the user's own (file, environment): an unreachable service fails in seconds.
CLIENT_DEFAULTS = {"http_retry_total": 1}


def leap_token_configured() -> bool:
    """Whether a Leap API token is configured (environment or ``dwave.conf``); offline, never shown."""
    from dwave.cloud.config import load_config

    try:
        return bool(load_config().get("token"))
    except Exception:  # an unreadable config file holds no usable token
        return False


def require_token(route: str) -> None:
    """Raise :class:`TokenMissingError` at once when no token is configured."""
    if not leap_token_configured():
        raise TokenMissingError(route)


def leap_config(solver: str | None = None, **config) -> dict:
    """Keyword arguments for an Ocean cloud sampler: ``solver`` by name, quick-failure defaults."""
    if solver:
        config["solver"] = solver
    config["defaults"] = {**CLIENT_DEFAULTS, **config.get("defaults", {})}
    return config


@contextlib.contextmanager
def cloud_errors(route: str, solver: str | None = None):
    """Turn Ocean cloud failures into annealq errors that name the problem and the fix."""
    from dwave.cloud import exceptions as cloud

    try:
        yield
    except ValueError as err:
        if "token" in str(err).lower():
            raise TokenMissingError(route) from err
        raise
    except cloud.SolverAuthenticationError as err:
        raise SolverUnavailableError(
            f"route {route!r}: Leap refused the configured API token ({type(err).__name__}); check it with "
            "`dwave ping` and update DWAVE_API_TOKEN or `dwave setup`") from err
    except cloud.SolverNotFoundError as err:
        raise SolverUnavailableError(
            f"route {route!r}: no solver{f' named {solver!r}' if solver else ''} is available to this "
            "token; list the available ones with `dwave solvers`") from err
    except (cloud.SolverOfflineError, cloud.SolverFailureError, cloud.ProblemError) as err:
        raise SolverUnavailableError(f"route {route!r}: the solver failed: {type(err).__name__}: {err}") from err
    except OSError as err:  # requests/urllib3 connection errors and RequestTimeout
        raise ServiceUnreachableError(
            f"route {route!r}: could not reach D-Wave Leap ({type(err).__name__}); check the network, "
            "proxy and endpoint settings with `dwave ping`, or route offline with 'mock-qpu:<profile>'") from err
    except cloud.SAPIError as err:
        raise RouteError(f"route {route!r}: Leap answered with an error: {type(err).__name__}: {err}") from err
