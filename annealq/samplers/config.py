"""Configs: small frozen dataclasses that validate at construction and serialize with their type.

:class:`SolverConfig` is shared by every workflow (where the problems go and with what
budget); each workflow has its own config (``annealq.ptq.QuantConfig``, ...) built on
:class:`Config`.  Routes are checked when used, not when a config is built, so a run
recorded on a route registered by a user reads back in a fresh process.

Example:
    >>> cfg = SolverConfig(route="tabu", num_reads=5, seed=3)
    >>> config_from_dict(config_to_dict(cfg)) == cfg
    True
    >>> SolverConfig(num_reads=True)
    Traceback (most recent call last):
    ...
    ValueError: num_reads must be a positive integer, got True
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from importlib import import_module


def check_count(name: str, value, minimum: int = 1) -> int:
    """An integer (``bool`` refused) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return value


def check_seed(value) -> int | None:
    """None or an integer in ``[0, 2**32)`` (what numpy and dwave-samplers accept)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32):
        raise ValueError(f"seed must be None or an integer from 0 to 2**32 - 1, got {value!r}")
    return value


def check_positive(name: str, value) -> float:
    """A finite positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


def check_flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not supported: use one of {tuple(allowed)}")
    return value


class Config:
    """Mixin of the frozen config dataclasses: ``to_dict`` / ``from_dict`` with unknown fields refused."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {sorted(unknown)}; known: {sorted(known)}")
        nested = {k: _nested_type(known[k]).from_dict(v) for k, v in data.items()
                  if isinstance(v, dict) and _nested_type(known[k]) is not None}
        return cls(**{**data, **nested})


def _nested_type(f):
    """The Config subclass a field holds, if any (fields typed with a Config class)."""
    kind = f.type if isinstance(f.type, type) else globals().get(str(f.type).split("|")[0].strip())
    return kind if isinstance(kind, type) and issubclass(kind, Config) else None


def config_to_dict(config: Config) -> dict:
    """``{"type": "module.Class", "fields": {...}}``: reads back without any route registry."""
    kind = type(config)
    return {"type": f"{kind.__module__}.{kind.__qualname__}", "fields": config.to_dict()}


def config_from_dict(data: dict) -> Config:
    """The config :func:`config_to_dict` wrote."""
    module, _, name = data["type"].rpartition(".")
    if not module.startswith("annealq."):
        raise ValueError(f"config type {data['type']!r} is not an annealq config")
    return getattr(import_module(module), name).from_dict(data["fields"])


@dataclass(frozen=True)
class SolverConfig(Config):
    """Where a workflow's problems go and with what budget (shared by every workflow).

    Attributes:
        route: a route name (``annealq.samplers.route_names()``); a dimod sampler instance
            can be passed to :func:`annealq.solve` instead.
        num_reads, num_sweeps: budget per problem (``None``: the route's own default).
        seed: makes the solver reproducible; problems get seeds derived from it and their ids.
        workers: processes for per-problem routes.
        chain_strength: prefactor of uniform torque compensation on routes that embed.
        warm_start: seed problems with the workflow's warm starts and never return worse.
    """

    route: str = "sa"
    num_reads: int | None = None
    num_sweeps: int | None = None
    seed: int | None = 0
    workers: int = 1
    chain_strength: float = 4.0
    warm_start: bool = True

    def __post_init__(self):
        if not isinstance(self.route, str) or not self.route:
            raise ValueError(f"route must be a non-empty route name such as 'sa', got {self.route!r}")
        for name in ("num_reads", "num_sweeps"):
            if getattr(self, name) is not None:
                check_count(name, getattr(self, name))
        check_seed(self.seed)
        check_count("workers", self.workers)
        check_positive("chain_strength (a prefactor of uniform torque compensation)", self.chain_strength)
        check_flag("warm_start", self.warm_start)

    def parameters(self) -> dict:
        """The budget fields that are set (the route's defaults apply to the others)."""
        return {k: v for k, v in (("num_reads", self.num_reads), ("num_sweeps", self.num_sweeps)) if v is not None}
