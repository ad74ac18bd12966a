"""QPU routes: ``qpu[:<solver>]`` on D-Wave Leap and ``mock-qpu:<profile>`` offline.

Both run one composite stack, :class:`QPUComposite`, made for dense per-neuron QUBOs:

1. a clique embedding (busclique, one cache per QPU graph: every neuron of a layer has
   the same interaction graph, so one embedding serves them all);
2. scaling into the QPU's h/J ranges with the chain strength of a policy (default:
   uniform torque compensation), precision diagnostics kept as data in ``info['warnings']``;
3. the QPU call (``auto_scale=False``: the problem is already in range);
4. unembedding with a chain-break method (default majority vote), energies on the
   caller's own BQM;
5. block decomposition when a neuron has more variables than the largest clique.

``qpu-packed[:<solver>]`` and ``mock-qpu-packed:<profile>`` also place several neurons of a
layer in one QPU call on disjoint cliques (:meth:`PackedQPUComposite.sample_batch`).  The
mock is the profile's :class:`~dwave.system.testing.MockDWaveSampler` with simulated
annealing as its substitute, to which ``seed`` and ``num_sweeps`` go.  API tokens are read
by the Ocean client only: annealq never prints, logs or stores them.

Example:
    >>> import dimod
    >>> qpu = mock_qpu("Advantage2_system1")
    >>> bqm = dimod.generators.gnp_random_bqm(8, 1.0, "BINARY", random_state=0)
    >>> answer = qpu.sample(bqm, num_reads=20, seed=1)
    >>> bool(answer.first.energy == dimod.ExactSolver().sample(bqm).first.energy)
    True
    >>> answer.info["route"], answer.info["embedding"]["num_variables"], answer.info["qpu_calls"]
    ('mock-qpu:Advantage2_system1', 8, 1)
"""
from __future__ import annotations

import contextlib
import warnings
from functools import cached_property, lru_cache
from typing import Callable, Iterator

import dimod
import numpy as np
from dwave.embedding import unembed_sampleset

from annealq.embedding import (CHAIN_BREAK_METHODS, chain_info, chain_strength_policy,
                               clique_embedder, embedding_stats, get_chain_break_method, pack_clique_embeddings, pack_embedded,
                               scale_to_profile, solve_by_blocks, target_graph)
from annealq.profiles import HardwareProfile, UnknownProfileError, list_profiles, load_profile
from annealq.formulations.batch import QUBOBatch
from annealq.samplers.errors import PrecisionWarning
from annealq.samplers.leap import cloud_errors, leap_config, require_token
from annealq.samplers.roles import BatchSampler, accepted, row_seed

#: Parameters the composite handles itself (the rest go to the QPU).
OWN_PARAMETERS = ("chain_strength", "chain_break_method")


def solver_profile(sampler) -> HardwareProfile:
    """The profile of a structured sampler's own working graph and ranges (a live QPU's, say).

    Precision figures come from the shipped profile of the same name when there is one.
    """
    import dwave.graphs

    props = sampler.properties
    name = getattr(getattr(sampler, "solver", None), "name", None) or props.get("chip_id", "qpu")
    topology = props["topology"]
    ideal = {"pegasus": dwave.graphs.pegasus_graph, "zephyr": dwave.graphs.zephyr_graph,
             "chimera": dwave.graphs.chimera_graph}[topology["type"]](*topology["shape"])
    working = target_graph(sampler)
    data = {"per_qubit_coupling_range": None, "per_group_coupling_range": None}
    data.update({k: v for k, v in props.items() if k.endswith("_range") or k.startswith("default_")})
    data.update(name=name, topology=topology, num_qubits=props["num_qubits"],
                problem_timing_data=props.get("problem_timing_data") or {},
                yield_model={"inactive_qubits": sorted(set(ideal) - set(working)),
                             "inactive_couplers": [e for e in ideal.edges if not working.has_edge(*e)]})
    with contextlib.suppress(UnknownProfileError):
        data["precision"] = dict(load_profile(name).precision)
    return HardwareProfile.from_dict(data)


# -- the composite ----------------------------------------------------------------------

class QPUComposite(dimod.ComposedSampler):
    """Dense QUBOs on a structured (QPU) sampler: the stack of the module docstring.

    Args:
        child: a structured sampler (``DWaveSampler``, a profile's mock); or
        connect: a function returning it, called on first use (a lazy Leap connection).
        profile: the QPU's :class:`~annealq.profiles.HardwareProfile` (default: built from
            the child's own properties, see :func:`solver_profile`).
        route: the route name written into every answer's ``info``.
        chain_strength: an ``annealq.embedding.chains`` policy, its name, or a number
            (spin units); default uniform torque compensation (quantization passes its own
            prefactor, :attr:`annealq.QuantConfig.chain_strength`).
        chain_break_method: ``majority_vote`` (default), ``minimize_energy``, ``discard``
            or ``weighted_random``.
        block_size: largest problem sent in one piece (default: the largest clique);
            larger ones are solved by block decomposition.

    Every answer's ``info`` holds ``route``, ``chain_strength`` (as applied, spin units),
    ``chain_break_fraction`` (reads-weighted mean), ``chain_break_method``, ``embedding``
    (variables, physical qubits, chain lengths), ``scaling``, ``timing`` (the QPU's; the
    mock's constants), ``estimated_qpu_access_time`` (µs, from the profile's timing model),
    ``warnings`` (dicts), ``qpu_calls``, ``neurons_per_call`` and ``problem_id``.
    """

    def __init__(self, child: dimod.Sampler | None = None, *, connect: Callable[[], dimod.Sampler] | None = None,
                 profile: HardwareProfile | None = None, route: str = "qpu", chain_strength=None,
                 chain_break_method: str = "majority_vote", block_size: int | None = None):
        if (child is None) == (connect is None):
            raise TypeError("QPUComposite takes either a child sampler or a connect function")
        if chain_break_method not in CHAIN_BREAK_METHODS:
            raise ValueError(f"unknown chain_break_method {chain_break_method!r}: use one of {CHAIN_BREAK_METHODS}")
        self._child, self._connect, self._profile = child, connect, profile
        self.route = route
        self.chain_strength = chain_strength
        self.chain_break_method = chain_break_method
        self.block_size = block_size
        self._warned: set[str] = set()

    @property
    def child(self) -> dimod.Sampler:
        if self._child is None:
            with cloud_errors(self.route):
                self._child = self._connect()
        return self._child

    @property
    def children(self) -> list:
        return [self.child]

    @cached_property
    def profile(self) -> HardwareProfile:
        return self._profile if self._profile is not None else solver_profile(self.child)

    @property
    def graph(self):
        """The working graph embeddings are made on."""
        return self.profile.graph()

    @property
    def embedder(self):
        """The shared clique embedder of the QPU graph (busclique cache, built once per graph)."""
        return clique_embedder(self.profile)

    @property
    def parameters(self) -> dict:
        params = {k: v for k, v in self.child.parameters.items() if k != "auto_scale"}
        params.update({k: [] for k in OWN_PARAMETERS})
        return params

    @property
    def properties(self) -> dict:
        return {"route": self.route, "profile": self.profile.name,
                "largest_clique": self.embedder.largest_clique_size(),
                "child_properties": self.child.properties}

    @property
    def max_block(self) -> int:
        """Most variables sent to the QPU in one piece."""
        return self.block_size or self.embedder.largest_clique_size()

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters) -> dimod.SampleSet:
        """Sample ``bqm`` (any labels); larger than :attr:`max_block`, by block decomposition."""
        own = {k: parameters.pop(k) for k in OWN_PARAMETERS if k in parameters}
        if bqm.num_variables == 0:
            return dimod.SampleSet.from_samples([], bqm.vartype, energy=[], info={"route": self.route})
        if bqm.num_variables > self.max_block:
            return self._decomposed(bqm, parameters, own)
        return self.sample_many([bqm], [self.embedder.embed(list(bqm.variables))], parameters, **own)[0]

    def sample_many(self, bqms: list, embeddings: list, parameters: dict, *, chain_strength=None,
                    chain_break_method: str | None = None) -> list[dimod.SampleSet]:
        """Sample several BQMs on disjoint ``embeddings`` in one QPU call; one SampleSet each."""
        policy = chain_strength_policy(self.chain_strength if chain_strength is None else chain_strength)
        method_name = chain_break_method or self.chain_break_method
        reports, embedded = [], []
        for bqm, emb in zip(bqms, embeddings):
            _, report, target = scale_to_profile(bqm, self.profile, policy, embedding=emb, return_embedded=True)
            reports.append(report)
            embedded.append(target)
        physical = pack_embedded(embedded)
        answer = self._call(physical, parameters)
        estimate = self._estimate(physical.num_variables, int(answer.record.num_occurrences.sum()))
        out = []
        for bqm, emb, report in zip(bqms, embeddings, reports):
            spin = bqm.spin
            method = get_chain_break_method(method_name, bqm=spin, embedding=emb)
            result = unembed_sampleset(answer, emb, spin, chain_break_method=method, chain_break_fraction=True)
            result = result.change_vartype(bqm.vartype, inplace=False)
            notes = [{"type": "precision", "message": m} for m in report.warnings]
            self._announce(notes)
            result.info.update(chain_info(report.chain_strength, result, method_name))
            result.info["embedding_context"] = embedding_context(answer, emb, method_name, report.chain_strength)
            result.info.update(
                route=self.route, embedding=embedding_stats(emb).as_dict(), scaling=report.as_dict(),
                warnings=list(answer.info.get("warnings", [])) + notes, qpu_calls=1,
                neurons_per_call=len(bqms), estimated_qpu_access_time=estimate)
            out.append(result)
        return out

    def _estimate(self, num_qubits: int, num_reads: int) -> float | None:
        """QPU access time (µs) the profile's timing model predicts for one call."""
        if not self.profile.problem_timing_data:
            return None
        return self.profile.estimate_qpu_access_time(num_qubits, num_reads=max(num_reads, 1))

    def _call(self, physical: dimod.BinaryQuadraticModel, parameters: dict) -> dimod.SampleSet:
        params = dict(parameters)
        if "auto_scale" in self.child.parameters and not _is_mock(self.child):
            params["auto_scale"] = False  # scaled into range already
        with cloud_errors(self.route):
            answer = self.child.sample(physical, **params)
            answer.resolve()
        return answer

    def _announce(self, notes: list[dict]) -> None:
        """Print each kind of warning once per composite (all of them stay in ``info``)."""
        for note in notes:
            if note["type"] not in self._warned:
                self._warned.add(note["type"])
                warnings.warn(f"{self.route}: {note['message']} (further ones only in info['warnings'])",
                              PrecisionWarning, stacklevel=3)

    def _decomposed(self, bqm, parameters: dict, own: dict) -> dimod.SampleSet:
        infos = []
        outer = self

        class Blocks:
            def sample(self, sub, **kw):
                answer = outer.sample_many([sub], [outer.embedder.embed(list(sub.variables))], kw, **own)[0]
                infos.append(answer.info)
                return answer

        answer = solve_by_blocks(bqm, Blocks(), self.max_block, seed=parameters.get("seed"),
                                 sampler_kwargs=parameters)
        timing: dict = {}
        for info in infos:
            for k, v in info.get("timing", {}).items():
                if isinstance(v, (int, float)) and not k.endswith("_per_sample"):
                    timing[k] = timing.get(k, 0) + v
        fractions = [i["chain_break_fraction"] for i in infos if i["chain_break_fraction"] is not None]
        notes = {n["message"]: n for i in infos for n in i["warnings"]}
        largest = max(infos, key=lambda i: i["embedding"]["num_qubits"])
        answer.info.update(
            route=self.route, qpu_calls=len(infos), neurons_per_call=1, timing=timing,
            estimated_qpu_access_time=sum(i["estimated_qpu_access_time"] or 0.0 for i in infos),
            chain_strength=max(i["chain_strength"] or 0.0 for i in infos),
            chain_break_fraction=float(np.mean(fractions)) if fractions else None,
            chain_break_method=largest["chain_break_method"], embedding=largest["embedding"],
            warnings=list(notes.values()),
            decomposition={k: answer.info.pop(k) for k in ("block_size", "num_sweeps", "converged")})
        answer.info.pop("num_subproblem_calls")
        answer.info.pop("energy_trace")
        return answer


class PackedQPUComposite(QPUComposite, BatchSampler):
    """:class:`QPUComposite` that also packs the neurons of a layer into shared QPU calls.

    Args:
        pack: most neurons per call (default: as many disjoint cliques as fit).
        **kwargs: as :class:`QPUComposite`.
    """

    def __init__(self, child=None, *, pack: int | None = None, **kwargs):
        super().__init__(child, **kwargs)
        self.pack = pack

    def sample_batch(self, batch: QUBOBatch, *, seed: int | None = None, initial_states=None,
                     chain_strength=None, **parameters) -> Iterator[dimod.SampleSet]:
        """One SampleSet per row of ``batch``, yielded call by call.

        Calls group the rows by id: call ``c`` holds rows ``c * k .. c * k + k - 1`` and is
        seeded by its first one, so a resumed run (a subset of the rows) sends the same calls
        as an uninterrupted one.  ``initial_states`` are not used by a forward anneal (``solve``
        polishes from them); ``chain_strength`` overrides the composite's policy.  Each
        SampleSet's ``info['parameters']`` is what its QPU call received.
        """
        n, m = batch.num_rows, batch.num_variables
        ids = batch.ids
        params = accepted(self, parameters)
        own = {} if chain_strength is None else {"chain_strength": chain_strength}
        if m > self.max_block:
            for i in range(n):
                sent = {**params, **self._seed(row_seed(seed, int(ids[i])))}
                answer = self.sample(batch.bqm(i), **sent, **own)
                answer.info["parameters"] = {**sent, **own}
                yield answer
            return
        embeddings = pack_clique_embeddings(self.profile, m, count=self.pack)  # the same for any subset
        per_call = len(embeddings)
        calls = ids // per_call
        for call in dict.fromkeys(calls.tolist()):
            rows = np.flatnonzero(calls == call)
            sent = {**params, **self._seed(row_seed(seed, call * per_call))}
            for answer in self.sample_many([batch.bqm(i) for i in rows], embeddings[:len(rows)], sent, **own):
                answer.info["parameters"] = {**sent, **own}
                yield answer

    def _seed(self, seed: int | None) -> dict:
        return {"seed": seed} if seed is not None and "seed" in self.parameters else {}


def embedding_context(physical: dimod.SampleSet, embedding, chain_break_method: str, chain_strength) -> dict:
    """What unembeds a row's answer again offline: its embedding and the raw samples of its qubits."""
    qubits = sorted({q for chain in embedding.values() for q in chain})
    columns = [physical.variables.index(q) for q in qubits]
    raw = dimod.SampleSet.from_samples((physical.record.sample[:, columns], qubits), dimod.SPIN,
                                       energy=np.zeros(len(physical)),
                                       num_occurrences=physical.record.num_occurrences)
    return {"embedding": {str(v): [int(q) for q in chain] for v, chain in embedding.items()},
            "chain_break_method": chain_break_method, "chain_strength": chain_strength,
            "physical": raw.to_serializable()}


def _is_mock(sampler) -> bool:
    from dwave.system.testing import MockDWaveSampler

    return isinstance(sampler, MockDWaveSampler)


def simulated_qpu(profile: HardwareProfile) -> dimod.Sampler:
    """The profile's MockDWaveSampler, simulated annealing substituted for the QPU.

    The mock accepts ``seed`` and ``num_sweeps`` and hands them to simulated annealing.
    """
    from dwave.samplers import SimulatedAnnealingSampler

    mock = profile.mock_sampler(SimulatedAnnealingSampler())
    for name in ("seed", "num_sweeps"):
        mock.parameters[name] = []
        mock.mocked_parameters.add(name)
    return mock


def _profile(name: str | None, route: str) -> HardwareProfile:
    if not name:
        raise ValueError(f"route {route!r} needs a hardware profile: '{route}:<profile>' with one of "
                         f"{', '.join(list_profiles())} (or the path of a profile JSON file)")
    return load_profile(name)


# -- route factories (cached: one connection, one mock, one embedding cache per route) ------

@lru_cache(maxsize=None)
def mock_qpu(profile: str | None, packed: bool = False) -> QPUComposite:
    """Route ``mock-qpu:<profile>`` (``packed``: ``mock-qpu-packed:<profile>``)."""
    p = _profile(profile, "mock-qpu-packed" if packed else "mock-qpu")
    route = f"{'mock-qpu-packed' if packed else 'mock-qpu'}:{profile}"
    return (PackedQPUComposite if packed else QPUComposite)(simulated_qpu(p), profile=p, route=route)


@lru_cache(maxsize=None)
def priced_qpu(profile: str | None, packed: bool = False) -> QPUComposite:
    """Route ``price:<profile>`` (``packed``: ``price-packed:<profile>``): the QPU stack of
    ``mock-qpu`` (embedding, scaling, packing, chain strength, timing estimate) over random reads,
    for a dry run that builds and embeds every problem a run would send, and prices it, at once."""
    import dimod

    p = _profile(profile, "price-packed" if packed else "price")
    mock = p.mock_sampler(dimod.RandomSampler())
    mock.parameters["seed"] = []
    mock.mocked_parameters.add("seed")
    route = f"{'price-packed' if packed else 'price'}:{profile}"
    return (PackedQPUComposite if packed else QPUComposite)(mock, profile=p, route=route)


@lru_cache(maxsize=None)
def leap_qpu(solver: str | None, packed: bool = False) -> QPUComposite:
    """Route ``qpu[:<solver or profile>]`` (``packed``: ``qpu-packed[:...]``): a lazy Leap connection.

    Raises :class:`TokenMissingError` at once, offline, when no token is configured.
    """
    from dwave.system import DWaveSampler

    route = ("qpu-packed" if packed else "qpu") + (f":{solver}" if solver else "")
    require_token(route)
    name = solver
    if solver in list_profiles():
        name = load_profile(solver).name  # a profile names its solver

    def connect():
        with cloud_errors(route, name):
            return DWaveSampler(**leap_config(name))

    return (PackedQPUComposite if packed else QPUComposite)(connect=connect, route=route)
