"""Typed errors of the annealer routes: each names the problem and the fix.

Example:
    >>> err = TokenMissingError("qpu")
    >>> isinstance(err, RouteUnavailableError) and "DWAVE_API_TOKEN" in str(err)
    True
"""
from __future__ import annotations


class RouteError(RuntimeError):
    """A route could not solve a problem."""


class RouteUnavailableError(RouteError):
    """The route's service cannot be used now (no token, no network, no solver); a fallback may help."""


class TokenMissingError(RouteUnavailableError):
    """No D-Wave Leap API token is configured."""

    def __init__(self, route: str):
        super().__init__(
            f"route {route!r} needs a D-Wave Leap API token and none is configured: set the "
            "DWAVE_API_TOKEN environment variable or run `dwave setup`; offline, use route "
            "'mock-qpu:<profile>' or 'sa' instead")


class ServiceUnreachableError(RouteUnavailableError):
    """The Leap service could not be reached (network, endpoint, proxy)."""


class SolverUnavailableError(RouteUnavailableError):
    """The requested solver does not exist, is offline, or refused the token."""


class RouteFallbackWarning(UserWarning):
    """A route failed and the user-requested fallback route took over."""


class PrecisionWarning(UserWarning):
    """Scaling a problem into the QPU's h/J range loses significant precision."""
