"""Routes: dimod samplers and composites behind route names (``annealq.sampler(route)``).

Local: ``sa`` ``tabu`` ``steepest`` ``exact``.  Annealer: ``qpu[:<solver>]``,
``qpu-packed[:<solver>]``, ``mock-qpu:<profile>``, ``mock-qpu-packed:<profile>``,
``hybrid[:<solver>]``, ``auto[:<solver>]``, ``fallback:<route>|<route>...``; for dry runs,
``price:<profile>`` and ``price-packed:<profile>`` (the QPU stack over random reads: embeds and
prices every problem, sends nothing).
The annealer modules load on first use, so ``import annealq`` stays light.

Example:
    >>> from annealq.samplers import route_names, TokenMissingError
    >>> "mock-qpu" in route_names() and issubclass(TokenMissingError, RouteError)
    True
"""
from importlib import import_module

from annealq.samplers.errors import (PrecisionWarning, RouteError, RouteFallbackWarning,
                                     RouteUnavailableError, ServiceUnreachableError, SolverUnavailableError,
                                     TokenMissingError)
from annealq.samplers.config import SolverConfig
from annealq.samplers.router import (parse_route, register_route, route_kind, route_names, sampler,
                                     unregister_route)
from annealq.samplers.roles import BatchSampler
from annealq.samplers.solve import Answer, solve

_LAZY = {
    "QPUComposite": "qpu", "PackedQPUComposite": "qpu", "mock_qpu": "qpu", "leap_qpu": "qpu",
    "simulated_qpu": "qpu", "solver_profile": "qpu", "leap_token_configured": "leap",
    "HybridSampler": "hybrid", "HybridCQMSampler": "hybrid", "AutoSampler": "auto", "FallbackSampler": "auto",
}

__all__ = ["Answer", "BatchSampler", "SolverConfig", "solve", "PrecisionWarning", "RouteError", "RouteFallbackWarning",
           "RouteUnavailableError", "ServiceUnreachableError", "SolverUnavailableError", "TokenMissingError",
           "parse_route", "register_route", "route_kind", "route_names", "sampler", "unregister_route", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f"annealq.samplers.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'annealq.samplers' has no attribute {name!r}")
