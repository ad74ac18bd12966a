"""Route ``hybrid[:<solver>]``: D-Wave Leap's hybrid BQM solver (LeapHybridSampler).

Takes any neuron size (no embedding).  The token is checked at once and offline; the
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

from annealq.samplers.qpu import cloud_errors, leap_config, require_token

TIMING_KEYS = ("run_time", "charge_time", "qpu_access_time")


class HybridSampler(dimod.ComposedSampler):
    """LeapHybridSampler behind annealq's error handling; ``info`` gains ``route`` and ``timing``.

    Args:
        solver: a hybrid solver name (default: Leap's latest hybrid BQM solver).
    """

    def __init__(self, solver: str | None = None):
        self.solver = solver
        self.route = "hybrid" + (f":{solver}" if solver else "")
        require_token(self.route)

    @cached_property
    def child(self) -> dimod.Sampler:
        from dwave.system import LeapHybridSampler

        with cloud_errors(self.route, self.solver):
            return LeapHybridSampler(**leap_config(self.solver))

    @property
    def children(self) -> list:
        return [self.child]

    @property
    def parameters(self) -> dict:
        return {"time_limit": []}

    @property
    def properties(self) -> dict:
        return {"route": self.route, "child_properties": self.child.properties}

    def sample(self, bqm, time_limit: float | None = None, **parameters) -> dimod.SampleSet:
        with cloud_errors(self.route, self.solver):
            result = self.child.sample(bqm, time_limit=time_limit, **parameters)
            result.resolve()
        info = result.info
        info["timing"] = {k: info[k] for k in TIMING_KEYS if k in info}
        info.setdefault("warnings", [])
        info["route"] = self.route
        return result
