"""Routes ``hybrid[:<solver>]`` and ``hybrid-cqm[:<solver>]``: D-Wave Leap's hybrid BQM and CQM solvers.

Take any problem size (no embedding); ``hybrid-cqm`` takes constrained models as they are
(``annealq.solve`` sends a CQM batch's rows to its ``sample_cqm``).  The token is checked at once and offline; the
service is contacted on first use and fails within seconds when unreachable.

Example (with no token configured):
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"DWAVE_CONFIG_FILE": os.devnull}):
    ...     _ = os.environ.pop("DWAVE_API_TOKEN", None)
    ...     HybridSampler()
    Traceback (most recent call last):
    ...
    annealq.samplers.errors.TokenMissingError: route 'hybrid' needs a D-Wave Leap API token and none is configured: ...
"""
from __future__ import annotations

from functools import cached_property

import dimod

from annealq.samplers.leap import cloud_errors, leap_config, require_token

TIMING_KEYS = ("run_time", "charge_time", "qpu_access_time")


class HybridSampler(dimod.ComposedSampler):
    """LeapHybridSampler behind annealq's error handling; ``info`` gains ``route`` and ``timing``.

    Args:
        solver: a hybrid solver name (default: Leap's latest hybrid BQM solver).
    """

    route_name = "hybrid"

    def __init__(self, solver: str | None = None):
        self.solver = solver
        self.route = self.route_name + (f":{solver}" if solver else "")
        require_token(self.route)

    def _connect(self) -> dimod.Sampler:
        from dwave.system import LeapHybridSampler

        return LeapHybridSampler(**leap_config(self.solver))

    @cached_property
    def child(self) -> dimod.Sampler:
        with cloud_errors(self.route, self.solver):
            return self._connect()

    @property
    def children(self) -> list:
        return [self.child]

    @property
    def parameters(self) -> dict:
        return {"time_limit": []}

    @property
    def properties(self) -> dict:
        return {"route": self.route, "child_properties": self.child.properties}

    def _answer(self, sample, model, time_limit, parameters) -> dimod.SampleSet:
        with cloud_errors(self.route, self.solver):
            result = sample(model, time_limit=time_limit, **parameters)
            result.resolve()
        info = result.info
        info["timing"] = {k: info[k] for k in TIMING_KEYS if k in info}
        info.setdefault("warnings", [])
        info["route"] = self.route
        return result

    def sample(self, bqm, time_limit: float | None = None, **parameters) -> dimod.SampleSet:
        return self._answer(self.child.sample, bqm, time_limit, parameters)


class HybridCQMSampler(HybridSampler):
    """LeapHybridCQMSampler behind annealq's error handling (route ``hybrid-cqm``).

    ``sample_cqm`` takes a :class:`dimod.ConstrainedQuadraticModel`; ``sample`` takes a BQM as
    a CQM without constraints.
    """

    route_name = "hybrid-cqm"

    def _connect(self) -> dimod.Sampler:
        from dwave.system import LeapHybridCQMSampler

        return LeapHybridCQMSampler(**leap_config(self.solver))

    def sample_cqm(self, cqm, time_limit: float | None = None, **parameters) -> dimod.SampleSet:
        return self._answer(self.child.sample_cqm, cqm, time_limit, parameters)

    def sample(self, bqm, time_limit: float | None = None, **parameters) -> dimod.SampleSet:
        return self.sample_cqm(dimod.ConstrainedQuadraticModel.from_bqm(bqm), time_limit, **parameters)
