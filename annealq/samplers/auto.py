"""Route ``auto[:<solver>]`` (a policy) and ``fallback:<route>|<route>...`` (only when asked).

``auto`` sends a problem to the QPU when a Leap token is configured and the problem fits
the QPU's largest clique, to the hybrid solver when it does not fit, and to local
simulated annealing (``sa``) when there is no token.  It never falls back on failure.

``fallback:qpu|sa`` tries its routes in order: when one is unavailable (no token, no
network, no solver) it warns (:class:`RouteFallbackWarning`), logs, records the switch in
every later answer's ``info['fallback']`` and goes on with the next route.

Example (with no token configured):
    >>> import dimod, os, warnings
    >>> from unittest import mock
    >>> bqm = dimod.BQM({0: -1.0}, {}, 0.0, "BINARY")
    >>> with mock.patch.dict(os.environ, {"DWAVE_CONFIG_FILE": os.devnull}), warnings.catch_warnings():
    ...     _ = os.environ.pop("DWAVE_API_TOKEN", None)
    ...     warnings.simplefilter("ignore")
    ...     auto = AutoSampler().sample(bqm, num_reads=2).info["auto"]
    ...     fallback = FallbackSampler(["qpu", "sa"]).sample(bqm, num_reads=2).info
    >>> auto
    {'route': 'sa', 'reason': 'no D-Wave Leap token is configured'}
    >>> fallback["route"], fallback["fallback"][0]["from"]
    ('sa', 'qpu')
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from functools import cached_property, lru_cache

import dimod

from annealq.samplers.errors import RouteFallbackWarning, RouteUnavailableError
from annealq.samplers.router import sampler as make_sampler

logger = logging.getLogger(__name__)

LOCAL_PARAMETERS = ("num_reads", "num_sweeps", "seed", "beta_range")


def _run(sampler: dimod.Sampler, route: str, bqm, parameters: dict) -> dimod.SampleSet:
    kwargs = {k: v for k, v in parameters.items() if k in sampler.parameters}
    answer = sampler.sample(bqm, **kwargs)
    answer.resolve()
    answer.info.setdefault("route", route)
    return answer


class AutoSampler(dimod.Sampler):
    """The ``auto`` policy (see module docstring); ``info['auto']`` says what it chose and why.

    Args:
        solver: the QPU solver (or profile) name for the QPU route.
    """

    def __init__(self, solver: str | None = None):
        from annealq.samplers.leap import leap_token_configured

        self.solver = solver
        self.token_configured = leap_token_configured()

    @cached_property
    def qpu(self):
        from annealq.samplers.qpu import leap_qpu

        return leap_qpu(self.solver)

    @property
    def parameters(self) -> dict:
        params = {k: [] for k in LOCAL_PARAMETERS}
        if self.token_configured:
            params.update(self.qpu.parameters)
        return params

    @property
    def properties(self) -> dict:
        return {"route": "auto", "token_configured": self.token_configured}

    def choose(self, bqm: dimod.BinaryQuadraticModel) -> tuple[dimod.Sampler, str, str]:
        """``(sampler, route, reason)`` for ``bqm``."""
        if not self.token_configured:
            return make_sampler("sa"), "sa", "no D-Wave Leap token is configured"
        size, largest = bqm.num_variables, self.qpu.max_block
        if size <= largest:
            return self.qpu, self.qpu.route, f"{size} variables fit the QPU's largest clique ({largest})"
        return make_sampler("hybrid"), "hybrid", f"{size} variables exceed the QPU's largest clique ({largest})"

    def sample(self, bqm, **parameters) -> dimod.SampleSet:
        sampler, route, reason = self.choose(bqm)
        answer = _run(sampler, route, bqm, parameters)
        answer.info["auto"] = {"route": route, "reason": reason}
        return answer


class FallbackSampler(dimod.Sampler):
    """Routes tried in order, moving on only when one is unavailable (see module docstring).

    Args:
        routes: route strings, for example ``["qpu", "sa"]``.
    """

    def __init__(self, routes: list[str]):
        if len(routes) < 2:
            raise ValueError(f"a fallback needs at least two routes separated by '|', got {routes!r}")
        self.routes = list(routes)
        self.active = 0
        self.events: list[dict] = []

    @property
    def route(self) -> str:
        """The route in use now."""
        return self.routes[self.active]

    @property
    def parameters(self) -> dict:
        params: dict = {}
        for route in self.routes[self.active:]:
            with contextlib.suppress(RouteUnavailableError):
                params.update(make_sampler(route).parameters)
        return params

    @property
    def properties(self) -> dict:
        return {"routes": self.routes, "route": self.route}

    def sample(self, bqm, **parameters) -> dimod.SampleSet:
        while True:
            try:
                answer = _run(make_sampler(self.route), self.route, bqm, parameters)
                break
            except RouteUnavailableError as err:
                if self.active + 1 == len(self.routes):
                    raise
                self._fall_back(err)
        answer.info["fallback"] = list(self.events)
        return answer

    def _fall_back(self, err: Exception) -> None:
        old = self.route
        self.active += 1
        self.events.append({"from": old, "to": self.route, "reason": str(err)})
        message = f"route {old!r} is unavailable, continuing on {self.route!r} as requested: {err}"
        logger.warning(message)
        warnings.warn(message, RouteFallbackWarning, stacklevel=3)


def auto_route(solver: str | None) -> AutoSampler:
    """Route ``auto[:<solver>]`` (the token is looked up each time the route is built)."""
    return AutoSampler(solver)


@lru_cache(maxsize=None)
def fallback_route(routes: str | None) -> FallbackSampler:
    """Route ``fallback:<route>|<route>...`` (one instance per string: a switch is kept)."""
    if not routes:
        raise ValueError("route 'fallback' needs routes to try in order, for example 'fallback:qpu|sa'")
    return FallbackSampler(routes.split("|"))
