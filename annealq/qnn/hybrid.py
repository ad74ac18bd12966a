"""Route ``hybrid-cqm[:<solver>]``: D-Wave Leap's hybrid CQM solver (LeapHybridCQMSampler).

A dimod-style sampler with ``sample_cqm``, so :func:`annealq.solve` sends a
:class:`~annealq.formulations.CQMBatch` row to it as a CQM (no penalty weight) and reports
the answer's feasibility.  The token is checked at once and offline; the service is contacted
on first use.

Example (with no token configured):
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"DWAVE_CONFIG_FILE": os.devnull}):
    ...     _ = os.environ.pop("DWAVE_API_TOKEN", None)
    ...     HybridCQMSampler()
    Traceback (most recent call last):
    ...
    annealq.samplers.errors.TokenMissingError: route 'hybrid-cqm' needs a D-Wave Leap API token and none is configured: ...
"""
from __future__ import annotations

from functools import cached_property

import dimod

from annealq.samplers.hybrid import TIMING_KEYS
from annealq.samplers.qpu import cloud_errors, leap_config, require_token


class HybridCQMSampler:
    """LeapHybridCQMSampler behind annealq's error handling; ``info`` gains ``route`` and ``timing``.

    Args:
        solver: a hybrid CQM solver name (default: Leap's latest).
    """

    def __init__(self, solver: str | None = None):
        self.solver = solver
        self.route = "hybrid-cqm" + (f":{solver}" if solver else "")
        require_token(self.route)

    @cached_property
    def child(self):
        from dwave.system import LeapHybridCQMSampler

        with cloud_errors(self.route, self.solver):
            return LeapHybridCQMSampler(**leap_config(self.solver))

    @property
    def parameters(self) -> dict:
        return {"time_limit": [], "label": []}

    @property
    def properties(self) -> dict:
        return {"route": self.route, "child_properties": self.child.properties}

    def sample_cqm(self, cqm: dimod.ConstrainedQuadraticModel, time_limit: float | None = None,
                   **parameters) -> dimod.SampleSet:
        with cloud_errors(self.route, self.solver):
            kwargs = {"time_limit": time_limit} if time_limit is not None else {}
            result = self.child.sample_cqm(cqm, **kwargs, **parameters)
            result.resolve()
        info = result.info
        info["timing"] = {k: info[k] for k in TIMING_KEYS if k in info}
        info.setdefault("warnings", [])
        info["route"] = self.route
        return result
