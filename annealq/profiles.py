"""Hardware profiles: one JSON file per QPU, loaded into a frozen dataclass.

A profile carries what a solver's ``properties`` would say (topology, h/J ranges,
coupling limits, annealing-time range, the ``problem_timing_data`` timing model),
a yield model (which qubits and couplers are missing from the working graph) and the
hardware precision used by the scaling diagnostics. It can build the working graph,
a :class:`dwave.system.testing.MockDWaveSampler` carrying its own properties, and a
QPU-access-time estimate through dwave-cloud-client's own
:meth:`~dwave.cloud.solver.StructuredSolver.estimate_qpu_access_time`, all offline.

Examples:
    >>> from annealq.profiles import load_profile, list_profiles
    >>> "Advantage_system4.1" in list_profiles()
    True
    >>> p = load_profile("Advantage2_system1")
    >>> p.topology_type, p.topology_shape
    ('zephyr', (12, 4))
    >>> p.graph(ideal=True).number_of_nodes()
    4800
    >>> p.estimate_qpu_access_time(num_qubits=400, num_reads=100) > 0
    True
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional

import networkx as nx

try:  # dwave-networkx is deprecated in favour of dwave-graphs (Ocean 9.x)
    import dwave.graphs as _dgraphs
except ImportError:  # pragma: no cover - older Ocean
    import dwave_networkx as _dgraphs

__all__ = [
    "HardwareProfile",
    "UnknownProfileError",
    "list_profiles",
    "load_profile",
    "profiles_dir",
]

_TOPOLOGIES = ("pegasus", "zephyr", "chimera")

# Short descriptions of the QPU solver parameters, as `properties['parameters']` has
# them on a real solver (see docs.dwavequantum.com, "QPU Solver Parameters").
_QPU_PARAMETERS = {
    "anneal_offsets": "Anneal offsets for each working qubit.",
    "anneal_schedule": "Piecewise-linear anneal schedule as (t, s) pairs.",
    "annealing_time": "Quantum annealing duration, in microseconds.",
    "answer_mode": "Format of returned answers: 'histogram' or 'raw'.",
    "auto_scale": "Rescale h and J to the available ranges.",
    "flux_biases": "Flux biases for each working qubit.",
    "flux_drift_compensation": "Activate flux drift compensation.",
    "h_gain_schedule": "Time-dependent gain on the linear biases.",
    "initial_state": "Initial state for reverse annealing.",
    "label": "Problem label.",
    "num_reads": "Number of states to read.",
    "programming_thermalization": "Wait after programming, in microseconds.",
    "readout_thermalization": "Wait after each read, in microseconds.",
    "reduce_intersample_correlation": "Add pauses between samples.",
    "reinitialize_state": "Reapply initial_state for every read (reverse annealing).",
}

_RANGE_FIELDS = (
    "h_range", "j_range", "extended_j_range", "annealing_time_range",
    "num_reads_range", "problem_run_duration_range",
)
_OPTIONAL_RANGE_FIELDS = (
    "per_qubit_coupling_range", "per_group_coupling_range",
    "programming_thermalization_range", "readout_thermalization_range",
)


class UnknownProfileError(ValueError):
    """No hardware profile has the requested name; the message lists the known ones."""


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the field."""


def profiles_dir() -> Path:
    """The folder holding the shipped ``*.json`` profiles.

    In an installed wheel that is the package data ``annealq/hardware_profiles/``; in
    a source checkout (editable install included), the top-level
    ``hardware_profiles/`` folder of the repository.
    """
    here = Path(__file__).resolve().parent
    for folder in (here / "hardware_profiles", here.parent / "hardware_profiles"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"no hardware_profiles folder next to {here}")


def list_profiles() -> list[str]:
    """Names of the shipped profiles (file stems), sorted.

    >>> list_profiles()[:2]
    ['Advantage2_Z15', 'Advantage2_system1']
    """
    return sorted(p.stem for p in profiles_dir().glob("*.json"))


def load_profile(name_or_path: "str | os.PathLike[str]") -> "HardwareProfile":
    """Load a profile by name (``'Advantage_system4.1'``) or by path to a JSON file.

    Loaded profiles are cached, so the graphs and embedding caches hanging off one
    profile object are reused by every later ``load_profile`` of the same file.

    Raises:
        UnknownProfileError: no file of that name; the message lists the available ones.

    >>> load_profile("Advantage_system6.4").name
    'Advantage_system6.4'
    """
    text = os.fspath(name_or_path)
    path = Path(text)
    if not (path.suffix == ".json" and path.is_file()):
        stem = text[:-5] if text.endswith(".json") else text
        candidates = {p.stem.lower(): p for p in profiles_dir().glob("*.json")}
        path = candidates.get(stem.lower())
        if path is None:
            raise UnknownProfileError(
                f"no hardware profile named {text!r}; available profiles: "
                f"{', '.join(list_profiles()) or '(none)'} "
                f"(or pass the path of a profile JSON file)")
    return _load_path(str(path.resolve()))


@lru_cache(maxsize=None)
def _load_path(path: str) -> "HardwareProfile":
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise ProfileError(f"hardware profile {path} is not valid JSON (line {err.lineno}: {err.msg}): "
                           f"fix the file or regenerate it") from None
    try:
        return HardwareProfile.from_dict(data, path=path)
    except KeyError as err:
        raise ProfileError(f"hardware profile {path} lacks the field {err.args[0]!r}: compare it with a shipped "
                           f"profile ({profiles_dir()})") from None
    except (TypeError, ValueError) as err:
        raise ProfileError(f"hardware profile {path}: {err}") from None


def _pair(value, name):
    if value is None:
        return None
    if (len(value) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
                                   for v in value) or not value[0] <= value[1]):
        raise ValueError(f"{name} must be a [low, high] pair of numbers, got {value!r}")
    return (value[0], value[1])


@dataclass(frozen=True, eq=False)
class HardwareProfile:
    """What annealq knows about one QPU (see the module docstring).

    Build with :func:`load_profile` or :meth:`from_dict`. Ranges are ``(low, high)``
    tuples in Ising units; ``problem_timing_data`` has the SAPI format read by
    :meth:`dwave.cloud.solver.StructuredSolver.estimate_qpu_access_time`;
    ``precision`` holds ``{'h': ..., 'j': ...}``, the smallest bias the hardware
    represents faithfully; ``yield_model`` is one of ``None``,
    ``{'num_active_qubits', 'num_active_couplers' (optional, an upper bound), 'seed'}``,
    ``{'inactive_fraction', 'seed'}`` or ``{'inactive_qubits', 'inactive_couplers'}``
    (random removals are reproducible for a seed). Note: each coupler missing inside
    the fabric slows busclique's cache build on Pegasus by ~6 s.
    """

    name: str
    topology_type: str
    topology_shape: tuple
    num_qubits: int
    h_range: tuple
    j_range: tuple
    extended_j_range: tuple
    per_qubit_coupling_range: Optional[tuple]
    per_group_coupling_range: Optional[tuple]
    annealing_time_range: tuple
    default_annealing_time: float
    num_reads_range: tuple
    problem_run_duration_range: tuple
    problem_timing_data: Mapping[str, Any]
    default_programming_thermalization: float = 1000.0
    default_readout_thermalization: float = 0.0
    programming_thermalization_range: Optional[tuple] = (0.0, 10000.0)
    readout_thermalization_range: Optional[tuple] = (0.0, 10000.0)
    precision: Mapping[str, float] = field(default_factory=lambda: {"h": 0.02, "j": 0.015})
    yield_model: Optional[Mapping[str, Any]] = None
    description: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    path: Optional[str] = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.RLock, repr=False, compare=False)

    def __post_init__(self):
        if isinstance(self.num_qubits, bool) or not isinstance(self.num_qubits, int) or self.num_qubits < 1:
            raise ValueError(f"num_qubits must be a positive integer, got {self.num_qubits!r}")
        if not self.topology_shape or any(int(s) < 1 for s in self.topology_shape):
            raise ValueError(f"topology shape must be positive integers, got {self.topology_shape!r}")
        if not (self.default_annealing_time > 0):
            raise ValueError(f"default_annealing_time must be positive, got {self.default_annealing_time!r}")
        if self.topology_type not in _TOPOLOGIES:
            raise ValueError(f"topology type must be one of {_TOPOLOGIES}, "
                             f"got {self.topology_type!r}")
        object.__setattr__(self, "topology_shape", tuple(int(s) for s in self.topology_shape))
        for name in _RANGE_FIELDS + _OPTIONAL_RANGE_FIELDS:
            object.__setattr__(self, name, _pair(getattr(self, name), name))
        for name in _RANGE_FIELDS:
            if getattr(self, name) is None:
                raise ValueError(f"{name} is required")
        object.__setattr__(self, "problem_timing_data",
                           MappingProxyType(dict(self.problem_timing_data)))
        object.__setattr__(self, "precision", MappingProxyType(dict(self.precision)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        if self.yield_model is not None:
            object.__setattr__(self, "yield_model", MappingProxyType(dict(self.yield_model)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Optional[str] = None) -> "HardwareProfile":
        """Build from the JSON layout of ``hardware_profiles/*.json``."""
        topo = data["topology"]
        kwargs = dict(
            name=data["name"],
            topology_type=topo["type"],
            topology_shape=tuple(topo["shape"]),
            num_qubits=int(data["num_qubits"]),
            problem_timing_data=data["problem_timing_data"],
            default_annealing_time=float(data["default_annealing_time"]),
            path=path,
        )
        for key in _RANGE_FIELDS + _OPTIONAL_RANGE_FIELDS + (
                "default_programming_thermalization", "default_readout_thermalization",
                "precision", "yield_model", "description", "sources"):
            if key in data:
                kwargs[key] = data[key]
        return cls(**kwargs)

    # -- graphs ---------------------------------------------------------------

    def graph(self, ideal: bool = False) -> nx.Graph:
        """The working graph (the yield model applied) or, with ``ideal``, the full one.

        Built once per profile and returned frozen (``networkx.freeze``): copy it
        before changing it.

        >>> load_profile("Advantage_system4.1").graph().number_of_nodes()
        5627
        """
        key = ("graph", bool(ideal))
        with self._lock:
            g = self._cache.get(key)
            if g is None:
                g = self._ideal_graph() if ideal else self._working_graph()
                g = nx.freeze(g)
                self._cache[key] = g
        return g

    def _ideal_graph(self) -> nx.Graph:
        if self.topology_type == "pegasus":
            return _dgraphs.pegasus_graph(self.topology_shape[0])
        if self.topology_type == "zephyr":
            return _dgraphs.zephyr_graph(*self.topology_shape)
        return _dgraphs.chimera_graph(*self.topology_shape)

    def _working_graph(self) -> nx.Graph:
        g = nx.Graph(self.graph(ideal=True))  # an unfrozen copy, graph attributes kept
        model = self.yield_model
        if not model:
            return g
        if "inactive_qubits" in model or "inactive_couplers" in model:
            g.remove_nodes_from(model.get("inactive_qubits", ()))
            g.remove_edges_from(tuple(e) for e in model.get("inactive_couplers", ()))
            return g
        rng = random.Random(model.get("seed", 0))
        nodes = sorted(g.nodes)
        if "num_active_qubits" in model:
            num_inactive = len(nodes) - int(model["num_active_qubits"])
        else:
            num_inactive = int(round(float(model.get("inactive_fraction", 0.0)) * len(nodes)))
        if num_inactive > 0:
            g.remove_nodes_from(rng.sample(nodes, num_inactive))
        target_edges = model.get("num_active_couplers")
        if target_edges is not None and g.number_of_edges() > int(target_edges):
            edges = sorted(tuple(sorted(e)) for e in g.edges)
            g.remove_edges_from(rng.sample(edges, len(edges) - int(target_edges)))
        return g

    # -- solver properties ----------------------------------------------------

    def properties(self) -> dict:
        """A dict shaped like ``DWaveSampler().properties`` for this QPU (a fresh copy).

        >>> props = load_profile("Advantage2_system1").properties()
        >>> props["topology"], props["per_group_coupling_range"]
        ({'type': 'zephyr', 'shape': [12, 4]}, [-13.0, 10.0])
        """
        with self._lock:
            base = self._cache.get("properties")
        if base is None:
            base = self._build_properties()
            with self._lock:
                self._cache["properties"] = base
        props = {k: copy.deepcopy(v) for k, v in base.items() if k not in ("qubits", "couplers")}
        props["qubits"] = list(base["qubits"])
        props["couplers"] = [list(c) for c in base["couplers"]]
        return props

    def _build_properties(self) -> dict:
        g = self.graph()
        props = {
            "chip_id": self.name,
            "category": "qpu",
            "supported_problem_types": ["ising", "qubo"],
            "topology": {"type": self.topology_type, "shape": list(self.topology_shape)},
            "num_qubits": self.num_qubits,
            "qubits": sorted(g.nodes),
            "couplers": sorted([min(u, v), max(u, v)] for u, v in g.edges),
            "default_annealing_time": self.default_annealing_time,
            "default_programming_thermalization": self.default_programming_thermalization,
            "default_readout_thermalization": self.default_readout_thermalization,
            "problem_timing_data": dict(self.problem_timing_data),
            "parameters": dict(_QPU_PARAMETERS),
            "tags": [],
            "vfyc": False,
            "quota_conversion_rate": 1,
        }
        for name in _RANGE_FIELDS + _OPTIONAL_RANGE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                props[name] = list(value)
        return props

    # -- samplers and timing --------------------------------------------------

    def mock_sampler(self, substitute_sampler=None, substitute_kwargs=None, **kwargs):
        """A :class:`~dwave.system.testing.MockDWaveSampler` with this profile's working
        graph and properties (not Advantage_system4.1's, the mock's default).

        Extra keyword arguments go to the mock (e.g. ``exact_solver_cutoff``).

        >>> from dwave.samplers import SimulatedAnnealingSampler
        >>> qpu = load_profile("Advantage2_system1").mock_sampler(SimulatedAnnealingSampler())
        >>> qpu.properties["chip_id"], len(qpu.nodelist)
        ('Advantage2_system1', 4578)
        """
        from dwave.system.testing import MockDWaveSampler

        props = self.properties()
        # the mock keeps its own descriptions of the parameters it accepts
        props.pop("parameters", None)
        mock = MockDWaveSampler(
            nodelist=list(props["qubits"]),
            edgelist=[tuple(c) for c in props["couplers"]],
            properties=props,
            substitute_sampler=substitute_sampler,
            substitute_kwargs=substitute_kwargs,
            **kwargs,
        )
        # the mock's Advantage defaults must not add a limit this QPU does not have
        # (DWaveCliqueSampler, e.g., picks per_qubit over per_group when both exist)
        for name in ("per_qubit_coupling_range", "per_group_coupling_range"):
            if getattr(self, name) is None:
                mock.properties.pop(name, None)
        return mock

    def structured_solver(self):
        """An offline :class:`dwave.cloud.solver.StructuredSolver` for this profile.

        Built from a SAPI-style solver description (``client=None``); it cannot submit
        problems, but its property-based methods (``estimate_qpu_access_time``,
        ``check_problem``, ``nodes``, ``edges``) work.
        """
        with self._lock:
            solver = self._cache.get("solver")
        if solver is None:
            from dwave.cloud.solver import StructuredSolver

            data = {
                "identity": {"name": self.name,
                             "version": {"graph_id": f"annealq-profile-{self.name}"}},
                "status": "ONLINE",
                "description": self.description or f"annealq hardware profile {self.name}",
                "properties": self.properties(),
                "avg_load": 0.0,
            }
            solver = StructuredSolver(None, data)
            with self._lock:
                self._cache["solver"] = solver
        return solver

    def estimate_qpu_access_time(self, num_qubits: int, num_reads: int = 1,
                                 annealing_time: Optional[float] = None, **kwargs) -> float:
        """Estimated QPU access time, in microseconds, from the profile's timing model.

        Delegates to dwave-cloud-client's
        :meth:`~dwave.cloud.solver.StructuredSolver.estimate_qpu_access_time` (same
        keyword arguments: ``anneal_schedule``, ``initial_state``,
        ``reinitialize_state``, ``programming_thermalization``,
        ``readout_thermalization``, ``reduce_intersample_correlation``).

        >>> p = load_profile("Advantage_system4.1")
        >>> round(p.estimate_qpu_access_time(num_qubits=100, num_reads=10))
        17004
        """
        return float(self.structured_solver().estimate_qpu_access_time(
            num_qubits, num_reads=num_reads, annealing_time=annealing_time, **kwargs))

    def to_dict(self) -> dict:
        """The JSON layout again (what :meth:`from_dict` reads)."""
        data = {
            "name": self.name,
            "description": self.description,
            "topology": {"type": self.topology_type, "shape": list(self.topology_shape)},
            "num_qubits": self.num_qubits,
            "default_annealing_time": self.default_annealing_time,
            "default_programming_thermalization": self.default_programming_thermalization,
            "default_readout_thermalization": self.default_readout_thermalization,
            "problem_timing_data": json.loads(json.dumps(dict(self.problem_timing_data))),
            "precision": dict(self.precision),
            "yield_model": None if self.yield_model is None else dict(self.yield_model),
            "sources": dict(self.sources),
        }
        for name in _RANGE_FIELDS + _OPTIONAL_RANGE_FIELDS:
            value = getattr(self, name)
            data[name] = None if value is None else list(value)
        return data

    def __reduce__(self):
        # pickles (e.g. to worker processes) by file path, or by content
        if self.path is not None:
            return (_load_path, (self.path,))
        return (HardwareProfile.from_dict, (self.to_dict(),))

    def __repr__(self) -> str:
        return (f"HardwareProfile(name={self.name!r}, topology={self.topology_type}"
                f"{list(self.topology_shape)})")
