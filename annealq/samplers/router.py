"""Routes: a name picks a dimod sampler.

Local routes: ``sa`` (dwave-samplers simulated annealing, the default), ``tabu``,
``steepest`` (greedy descent), ``exact`` (brute force, small problems only) and
``batched`` (annealq's vectorised layer annealer).  Further routes register themselves
with :func:`register_route`.

Example:
    >>> import dimod
    >>> s = sampler("sa")
    >>> isinstance(s, dimod.Sampler)
    True
"""
from __future__ import annotations

from typing import Callable

import dimod

_ROUTES: dict[str, Callable[[str | None], dimod.Sampler]] = {}


def register_route(name: str, factory: Callable[[str | None], dimod.Sampler]) -> None:
    """Make ``name`` (or ``name:argument``) build a sampler through ``factory(argument)``."""
    _ROUTES[name] = factory


def route_names() -> list[str]:
    return sorted(_ROUTES)


def parse_route(route: str) -> tuple[str, str | None]:
    """``(name, argument)`` of a route string; ``a|b`` is short for ``fallback:a|b``.

    >>> parse_route("mock-qpu:Advantage2_system1"), parse_route("qpu|sa")
    (('mock-qpu', 'Advantage2_system1'), ('fallback', 'qpu|sa'))
    """
    if not isinstance(route, str) or not route:
        raise ValueError(f"route must be a non-empty string such as 'sa', got {route!r}")
    if "|" in route and not route.startswith("fallback:"):
        route = f"fallback:{route}"
    name, _, arg = route.partition(":")
    if name not in _ROUTES:
        raise ValueError(f"unknown route {route!r}: available routes are {', '.join(route_names())}")
    if name == "fallback":
        for part in (arg or "").split("|"):
            if part:
                parse_route(part)
    return name, arg or None


def sampler(route: str = "sa") -> dimod.Sampler:
    """The dimod sampler (or composite) behind ``route``."""
    name, arg = parse_route(route)
    return _ROUTES[name](arg)


def _no_argument(name: str, build: Callable[[], dimod.Sampler]):
    def factory(arg):
        if arg is not None:
            raise ValueError(f"route {name!r} takes no ':{arg}' argument")
        return build()
    return factory


def _register_local_routes():
    from dwave.samplers import SimulatedAnnealingSampler, SteepestDescentSolver, TabuSampler

    from annealq.samplers.batched import BatchedAnnealer
    from annealq.samplers.local import BoundedExactSolver

    register_route("sa", _no_argument("sa", SimulatedAnnealingSampler))
    register_route("tabu", _no_argument("tabu", TabuSampler))
    register_route("steepest", _no_argument("steepest", SteepestDescentSolver))
    register_route("exact", _no_argument("exact", BoundedExactSolver))
    register_route("batched", _no_argument("batched", BatchedAnnealer))


_register_local_routes()


def _lazy(module: str, factory: str, *args):
    """A route factory that imports its module on first use (keeps ``import annealq`` light)."""
    def build(arg):
        from importlib import import_module

        return getattr(import_module(module), factory)(arg, *args)
    return build


def _register_annealer_routes():
    qpu, auto = "annealq.samplers.qpu", "annealq.samplers.auto"
    register_route("qpu", _lazy(qpu, "leap_qpu"))
    register_route("qpu-packed", _lazy(qpu, "leap_qpu", True))
    register_route("mock-qpu", _lazy(qpu, "mock_qpu"))
    register_route("mock-qpu-packed", _lazy(qpu, "mock_qpu", True))
    register_route("hybrid", _lazy("annealq.samplers.hybrid", "HybridSampler"))
    register_route("auto", _lazy(auto, "auto_route"))
    register_route("fallback", _lazy(auto, "fallback_route"))


_register_annealer_routes()
