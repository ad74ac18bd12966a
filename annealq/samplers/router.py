"""Routes: a name picks a dimod sampler.

Local routes: ``sa`` (dwave-samplers simulated annealing, the default), ``tabu``,
``steepest`` (greedy descent), ``exact`` and ``exact-cqm`` (brute force, small problems
only) and ``batched`` (annealq's vectorised batch annealer).  Further routes register
themselves with :func:`register_route`, which also declares what each spends (its kind).

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
_KINDS: dict[str, str] = {}
#: What a route spends: ``local`` (this machine), ``qpu`` (QPU time, real or modelled), ``hybrid``
#: (Leap hybrid solver time), ``any`` (a route that picks one of those per problem).
ROUTE_KINDS = ("local", "qpu", "hybrid", "any")


def register_route(name: str, factory: Callable[[str | None], dimod.Sampler], kind: str = "local") -> None:
    """Make ``name`` (or ``name:argument``) build a sampler through ``factory(argument)``.

    ``kind`` (:data:`ROUTE_KINDS`) says what the route spends: dry runs, the QPU-time
    estimate before a run and the offline comparison read it from here.
    """
    if kind not in ROUTE_KINDS:
        raise ValueError(f"route kind {kind!r} is unknown: use one of {ROUTE_KINDS}")
    _ROUTES[name] = factory
    _KINDS[name] = kind


def unregister_route(name: str) -> None:
    """Remove a route registered with :func:`register_route`."""
    _ROUTES.pop(name, None)
    _KINDS.pop(name, None)


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


def route_kind(route: str, strict: bool = True) -> str | None:
    """What ``route`` spends (:data:`ROUTE_KINDS`); a fallback chain is the most costly of its parts.

    >>> route_kind("sa"), route_kind("mock-qpu-packed:Advantage_system4.1"), route_kind("qpu|sa")
    ('local', 'qpu', 'qpu')
    """
    try:
        name, arg = parse_route(route)
    except ValueError:
        if strict:
            raise
        return None
    if name == "fallback":
        kinds = {route_kind(part) for part in arg.split("|") if part}
        return next(k for k in ("any", "qpu", "hybrid", "local") if k in kinds)
    return _KINDS[name]


def route_argument(route: str) -> str | None:
    """The ``:argument`` of a route (a solver or profile name), or None.

    >>> route_argument("mock-qpu:Advantage2_system1"), route_argument("sa")
    ('Advantage2_system1', None)
    """
    return parse_route(route)[1]


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
    from annealq.samplers.local import BoundedExactCQMSolver, BoundedExactSolver

    register_route("sa", _no_argument("sa", SimulatedAnnealingSampler))
    register_route("tabu", _no_argument("tabu", TabuSampler))
    register_route("steepest", _no_argument("steepest", SteepestDescentSolver))
    register_route("exact", _no_argument("exact", BoundedExactSolver))
    register_route("batched", _no_argument("batched", BatchedAnnealer))
    register_route("exact-cqm", _no_argument("exact-cqm", BoundedExactCQMSolver))


_register_local_routes()


def _lazy(module: str, factory: str, *args):
    """A route factory that imports its module on first use (keeps ``import annealq`` light)."""
    def build(arg):
        from importlib import import_module

        return getattr(import_module(module), factory)(arg, *args)
    return build


def _register_annealer_routes():
    qpu, auto = "annealq.samplers.qpu", "annealq.samplers.auto"
    register_route("qpu", _lazy(qpu, "leap_qpu"), "qpu")
    register_route("qpu-packed", _lazy(qpu, "leap_qpu", True), "qpu")
    register_route("mock-qpu", _lazy(qpu, "mock_qpu"), "qpu")
    register_route("mock-qpu-packed", _lazy(qpu, "mock_qpu", True), "qpu")
    register_route("price", _lazy(qpu, "priced_qpu"), "local")
    register_route("price-packed", _lazy(qpu, "priced_qpu", True), "local")
    register_route("hybrid", _lazy("annealq.samplers.hybrid", "HybridSampler"), "hybrid")
    register_route("hybrid-cqm", _lazy("annealq.samplers.hybrid", "HybridCQMSampler"), "hybrid")
    register_route("auto", _lazy(auto, "auto_route"), "any")
    register_route("fallback", _lazy(auto, "fallback_route"), "any")


_register_annealer_routes()
