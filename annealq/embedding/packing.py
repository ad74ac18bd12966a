"""Parallel packing: several copies of a dense problem on disjoint clique embeddings.

The neurons of a layer give QUBOs of the same size ``k`` (fan-in + 1); one QPU call
can solve as many of them as there are disjoint ``K_k`` clique embeddings on the
graph. :func:`pack_clique_embeddings` finds them in one of three ways:

- ``'setpack'`` (default): busclique's native cliques are triangles of the cell grid with
  the right angle at one corner of their window, so two of opposite orientation share a
  square.  The smallest sub-lattice tile that holds ``K_k`` (and the next one) gives its
  cliques in every orientation (busclique with one corner masked, the tile's symmetries);
  each is placed at every offset of the QPU graph (dwave-graphs' sub-lattice mappings) and
  kept where it is valid on the working graph (qubits, chain couplers, a coupler between
  every pair of chains: checked in numpy) or where dead qubits and couplers break at most
  :data:`REPAIRABLE_CHAINS` of its chains.  When those fall short, busclique on windows of
  the working graph in each orientation adds cliques that route around dead qubits
  (:data:`WINDOW_SECONDS`, chains no longer than the best single clique's).  The most
  disjoint ones are a maximum independent set of their conflict graph, a QUBO sampled by
  simulated annealing (damaged placements weigh a little less); each damaged one chosen is
  repaired by minorminer (its broken chains re-routed on qubits no other clique uses, the
  rest fixed; chains no longer than the graph's largest clique's) or dropped.  A greedy fill
  (busclique on the qubits left) ends it, and where that is still short of the count,
  ``'greedy'`` runs in the time left and the larger packing wins.  Why: it packs 8 K66 and
  2 K130 on Advantage_system4.1 where the aligned tiling packed 4 and 1
  (benchmarks/results/packing.txt).
- ``'tiled'``: one tile's clique at every aligned offset, damaged windows re-embedded (at
  most ``MAX_REPAIRS``), then a one-row-larger tile; fast, fewer cliques.
- ``'greedy'``: minorminer's
  :func:`~minorminer.utils.parallel_embeddings.find_multiple_embeddings` (busclique,
  remove the used qubits, rebuild busclique's cache on what is left, repeat).

:func:`pack_embedded` merges problems embedded on those cliques into one QPU call (the
QPU routes' ``*-packed`` composites use it; each problem keeps its own scaling).

Examples:
    >>> import dimod
    >>> from annealq.profiles import load_profile
    >>> from annealq.embedding import pack_clique_embeddings
    >>> embs = pack_clique_embeddings(load_profile("Advantage2_system1"), 20, count=3, ideal=True)
    >>> len(embs)
    3
"""

from __future__ import annotations

import threading
from itertools import combinations
from time import perf_counter
from typing import Callable, List, Optional, Sequence

import dimod
import networkx as nx
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler
from dwave.embedding import is_valid_embedding
from minorminer import find_embedding
from minorminer.busclique import find_clique_embedding
from minorminer.utils.parallel_embeddings import find_multiple_embeddings

try:
    import dwave.graphs as _dgraphs
except ImportError:  # pragma: no cover
    import dwave_networkx as _dgraphs

from .clique import _fingerprint, clique_cache, clique_embedder, target_graph, topology_label
from .errors import EmbeddingError

__all__ = ["pack_clique_embeddings", "pack_embedded"]

_PACK_CACHE: dict = {}
_NATIVE: dict = {}
_LOCK = threading.Lock()
STRATEGIES = ("setpack", "tiled", "greedy")
#: corner of a tile masked to turn busclique's triangle (fraction of the tile's extent)
CORNER_MASK = 0.08
#: placements above which the set packing QUBO is not tried (first fit only)
MAX_CANDIDATES = 6000
#: seconds spent on busclique in windows of the working graph (half per window size)
WINDOW_SECONDS = 60.0
#: simulated-annealing reads and sweeps of the set packing QUBO
PACKING_READS = 4
PACKING_SWEEPS = 1000
#: placements with at most this many chains broken by dead qubits or couplers are kept for repair
REPAIRABLE_CHAINS = 2
#: a damaged placement's weight in the set packing (an intact one wins a tie of counts)
DAMAGED_WEIGHT = 0.9
#: seconds and chain-length patience of minorminer per repair attempt
REPAIR_SECONDS = 20.0
REPAIR_PATIENCE = 20
#: busclique re-embeddings of damaged windows per tiled pass (each builds a cache: ~0.1-1 s)
MAX_REPAIRS = 24
_MAPPINGS = {"pegasus": "pegasus_sublattice_mappings", "zephyr": "zephyr_sublattice_mappings",
             "chimera": "chimera_sublattice_mappings"}


def _busclique_embedder(full_graph: nx.Graph, seed: int) -> Callable:
    """An embedder for find_multiple_embeddings: busclique on the remaining graph."""

    def embed(S: nx.Graph, T: nx.Graph) -> dict:
        labels = list(S.nodes)
        if T is full_graph:  # first round: the shared, already-built cache
            embedder = clique_embedder(T, seed=seed)
            return embedder.embed(labels) if len(labels) <= embedder.largest_clique_size() else {}
        # later rounds: the leftover graph (busclique also files this cache on disk)
        return clique_cache(T, seed=seed).find_clique_embedding(labels)

    return embed


def _tile(family: str, m: int, graph: nx.Graph) -> nx.Graph:
    if family == "pegasus":
        return _dgraphs.pegasus_graph(m)
    if family == "zephyr":
        return _dgraphs.zephyr_graph(m, graph.graph["tile"])
    return _dgraphs.chimera_graph(m, m, graph.graph["tile"])


def _smallest_tile(graph: nx.Graph, size: int, seed: int) -> Optional[int]:
    """Rows of the smallest ideal sub-lattice of ``graph``'s family whose largest clique holds ``size``."""
    for m in range(2, graph.graph.get("rows", 0)):
        if clique_embedder(_tile(graph.graph["family"], m, graph), seed=seed).largest_clique_size() >= size:
            return m
    return None


def _place(graph: nx.Graph, tile: nx.Graph, size: int, taken: set, found: list, count: int, seed: int,
           deadline: float) -> None:
    """One pass of ``tile``'s clique embedding over every sub-lattice offset of ``graph``."""
    base = clique_embedder(tile, seed=seed).embed(size)
    used = {q for chain in base.values() for q in chain}
    couplers = [(u, v) for u, v in tile.edges if u in used and v in used]
    tile_nodes = list(tile.nodes)
    repairs = 0
    for f in getattr(_dgraphs, _MAPPINGS[graph.graph["family"]])(tile, graph):
        if len(found) >= count or perf_counter() > deadline:
            return
        if any(f(q) in taken for q in used):
            continue
        if all(graph.has_edge(f(u), f(v)) for u, v in couplers):  # no dead qubit or coupler there
            emb = {v: tuple(f(q) for q in chain) for v, chain in base.items()}
        else:  # a damaged window: busclique on the working qubits that are still free there
            nodes = [q for q in map(f, tile_nodes) if q in graph and q not in taken]
            if len(nodes) < len(used) or repairs == MAX_REPAIRS:  # hopeless, or enough tries
                continue
            repairs += 1
            window = graph.subgraph(nodes).copy()
            window.graph.update(graph.graph)
            emb = clique_cache(window, seed=seed).find_clique_embedding(size)
            if not emb:
                continue
        found.append(emb)
        taken.update(q for chain in emb.values() for q in chain)


def _tiled(graph: nx.Graph, size: int, count: int, seed: int, deadline: float) -> list:
    """Tile placements (see module docstring); a second pass with a one-row-larger tile
    fills damaged regions, where the smallest tile rarely fits."""
    if graph.graph.get("family") not in _MAPPINGS:
        return []
    rows = _smallest_tile(graph, size, seed)
    found: list = []
    taken: set = set()
    for m in ([] if rows is None else [rows, rows + 1]):
        if m < graph.graph["rows"]:
            _place(graph, _tile(graph.graph["family"], m, graph), size, taken, found, count, seed, deadline)
    return found


# -- set packing of native-clique placements ------------------------------------------

def _symmetries(tile: nx.Graph) -> list:
    """Automorphisms of an ideal tile that move its cliques: Pegasus's transpose-and-reverse
    (its only geometric one), Zephyr's transpose, half-turn and in-cell reversal (8 in all)."""
    m = tile.graph["rows"]
    if tile.graph["family"] == "pegasus":
        c = _dgraphs.pegasus_coordinates(m)
        return [lambda q: q, lambda q: c.pegasus_to_linear(
            (lambda u, w, k, z: (1 - u, m - 1 - w, 11 - k, m - 2 - z))(*c.linear_to_pegasus(q)))]
    t = tile.graph["tile"]
    c = _dgraphs.zephyr_coordinates(m, t)

    def symmetry(swap, turn, flip):
        def f(q):
            u, w, k, j, z = c.linear_to_zephyr(q)
            return c.zephyr_to_linear((u ^ swap, 2 * m - w if turn else w, t - 1 - k if flip else k,
                                       j ^ turn, m - 1 - z if turn else z))
        return f

    return [symmetry(s, r, f) for s in (0, 1) for r in (0, 1) for f in (0, 1)]


def _cornered(window: nx.Graph, size: int, seed: int) -> list:
    """busclique's clique of ``size`` on ``window`` with the qubits near each of its four
    corners masked in turn (:data:`CORNER_MASK` of its extent): four orientations of the
    native triangle where it fits, ``{}`` where it does not."""
    layout = (_dgraphs.pegasus_layout if window.graph["family"] == "pegasus" else _dgraphs.zephyr_layout)(window)
    nodes = list(window.nodes)
    pos = np.array([layout[q] for q in nodes])
    low, high = pos.min(0), pos.max(0)
    found = []
    for corner in ((low[0], low[1]), (low[0], high[1]), (high[0], low[1]), (high[0], high[1])):
        far = np.abs(pos - corner).max(1) > CORNER_MASK * (high - low).max()
        masked = window.subgraph([q for q, keep in zip(nodes, far) if keep]).copy()
        masked.graph.update(window.graph)
        found.append(find_clique_embedding(size, masked, seed=seed, use_cache=False))
    return found


def _windows(graph: nx.Graph, size: int, rows: int, chain: int, seed: int, deadline: float) -> list:
    """busclique on the working qubits of every window of ``rows`` rows, in each corner's
    orientation (:func:`_cornered`), keeping cliques whose chains are at most ``chain``
    long; windows visited in a seeded random order until ``deadline``."""
    tile = _tile(graph.graph["family"], rows, graph)
    mappings = list(getattr(_dgraphs, _MAPPINGS[graph.graph["family"]])(tile, graph))
    out = []
    for i in np.random.default_rng(seed).permutation(len(mappings)):
        if perf_counter() > deadline:
            break
        f = mappings[i]
        window = graph.subgraph([q for q in map(f, tile) if q in graph]).copy()
        window.graph.update(graph.graph)
        out += [{v: tuple(c) for v, c in emb.items()} for emb in _cornered(window, size, seed)
                if emb and max(map(len, emb.values())) <= chain]
    return out


def _native_cliques(tile: nx.Graph, size: int, seed: int) -> list:
    """Busclique's clique embeddings of ``K_size`` on an ideal tile with the fewest longest chain.

    busclique's native cliques are triangles of the tile's cell grid, the right angle at
    one corner; masking the qubits near one corner (:data:`CORNER_MASK` of the tile's
    extent) makes it return the triangle at the opposite corner, so each tile gives up to
    four orientations; the tile's symmetries give mirrored copies of each.
    """
    key = (tile.graph["family"], tile.graph["rows"], tile.graph.get("tile"), size, seed)
    if key in _NATIVE:
        return _NATIVE[key]
    found = [emb for emb in (clique_embedder(tile, seed=seed).embed(size), *_cornered(tile, size, seed)) if emb]
    shortest = min(max(map(len, emb.values())) for emb in found)
    bases: dict = {}
    for emb in found:
        if max(map(len, emb.values())) == shortest:
            for f in _symmetries(tile):
                image = {v: tuple(map(f, chain)) for v, chain in emb.items()}
                bases.setdefault(frozenset(q for chain in image.values() for q in chain), image)
    _NATIVE[key] = list(bases.values())
    return _NATIVE[key]


class _Pattern:
    """A clique embedding on a tile as arrays: its qubits, the chain of each, and its couplers
    (as positions in ``qubits``) within chains and between each pair of chains, to check a
    placement on a damaged graph in numpy."""

    def __init__(self, emb: dict, tile: nx.Graph):
        self.labels = list(emb)
        chains = [list(emb[v]) for v in self.labels]
        self.qubits = np.array([q for chain in chains for q in chain])
        self.chain_of_qubit = np.repeat(np.arange(len(chains)), [len(c) for c in chains])
        self.bounds = np.cumsum([0] + [len(c) for c in chains])
        at = {q: i for i, q in enumerate(self.qubits.tolist())}
        edges = [(at[a], at[b]) for a, b in tile.edges if a in at and b in at]
        self.a_at, self.b_at = (np.array(x) for x in zip(*edges))
        ca, cb = self.chain_of_qubit[self.a_at], self.chain_of_qubit[self.b_at]
        self.inner = ca == cb
        self.chain_of_edge = ca
        self.pair = (np.minimum(ca, cb) * len(chains) + np.maximum(ca, cb))[~self.inner]


def _qubits(emb: dict) -> frozenset:
    return frozenset(q for chain in emb.values() for q in chain)


def _edge_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(a, b) * n + np.maximum(a, b)


def _placements(graph: nx.Graph, tile: nx.Graph, bases: list, deadline: float) -> list:
    """Every placement of every base embedding at every sub-lattice offset of ``graph``, as
    ``(embedding, broken)``: ``broken`` the labels of the chains that dead qubits or couplers
    break there (a chain with a dead qubit or cut in two, and one chain of each pair of whole
    chains left uncoupled; checked on the working graph).  A placement with no broken chain is
    a valid embedding; those with at most :data:`REPAIRABLE_CHAINS` are kept for :func:`_repair`."""
    n = max(graph.nodes) + 1
    present = np.zeros(n + 1, bool)
    present[list(graph.nodes)] = True
    couplers = np.sort(_edge_keys(*(np.array(x) for x in zip(*graph.edges)), n + 1))
    patterns = [_Pattern(emb, tile) for emb in bases]
    used = sorted({int(q) for p in patterns for q in p.qubits})
    out = []
    for f in getattr(_dgraphs, _MAPPINGS[graph.graph["family"]])(tile, graph):
        if perf_counter() > deadline:
            break
        image = dict(zip(used, map(f, used)))
        lookup = np.vectorize(image.__getitem__, otypes=[np.int64])
        for p in patterns:
            qubits = np.minimum(lookup(p.qubits), n)
            dead = ~present[qubits]
            broken = set(p.chain_of_qubit[dead].tolist())
            if len(broken) > REPAIRABLE_CHAINS:
                continue
            keys = _edge_keys(qubits[p.a_at], qubits[p.b_at], n + 1)
            ok = couplers[np.minimum(np.searchsorted(couplers, keys), len(couplers) - 1)] == keys
            coupled = np.zeros(len(p.labels) ** 2, bool)
            coupled[p.pair[ok[~p.inner]]] = True
            chains = [qubits[p.bounds[i]:p.bounds[i + 1]].tolist() for i in range(len(p.labels))]
            broken.update(int(i) for i in np.unique(p.chain_of_edge[~ok & p.inner])
                          if i not in broken and not nx.is_connected(graph.subgraph(chains[i])))
            for a, b in zip(*np.divmod(np.unique(p.pair[~coupled[p.pair]]), len(p.labels))):
                if a not in broken and b not in broken:  # a dead coupler between two whole chains: move one
                    broken.add(int(a))
            if len(broken) <= REPAIRABLE_CHAINS:
                out.append((dict(zip(p.labels, map(tuple, chains))), frozenset(p.labels[i] for i in broken)))
    return out


def _repair(graph: nx.Graph, emb: dict, broken: frozenset, free: set, longest: int, seed: int,
            deadline: float) -> Optional[dict]:
    """``emb`` made valid on ``graph`` by minorminer: its other chains fixed, the ``broken`` ones
    rebuilt from their working qubits on its own qubits and ``free`` ones (no other clique's);
    tried again with every chain movable when that fails or a chain grows beyond ``longest``.
    None when neither gives a valid embedding with chains at most ``longest``."""
    source = nx.complete_graph(list(emb))
    region = graph.subgraph((free | _qubits(emb)) & set(graph))
    for movable in (broken, frozenset(emb)):
        timeout = min(REPAIR_SECONDS, deadline - perf_counter())
        if timeout <= 0:
            return None
        initial = {v: [q for q in emb[v] if q in region] for v in movable}
        found = find_embedding(source.edges, region.edges, initial_chains={v: c for v, c in initial.items() if c},
                               fixed_chains={v: list(c) for v, c in emb.items() if v not in movable},
                               timeout=timeout, random_seed=seed, chainlength_patience=REPAIR_PATIENCE)
        if found and is_valid_embedding(found, source, graph) and max(map(len, found.values())) <= longest:
            return {v: tuple(c) for v, c in found.items()}
    return None


def _set_packing(candidates: list, limit: int, seed: int, weights: Optional[Sequence[float]] = None) -> list:
    """Many pairwise disjoint candidates (at most ``limit``), as indices into ``candidates``.

    First fit (in the order given); when that falls short of ``limit``, the maximum-weight
    independent set of the candidates' conflict graph as a QUBO (``-weight`` per candidate, +2
    per pair sharing a qubit), sampled by simulated annealing (dwave-samplers), each read made
    conflict-free and completed by first fit; the largest packing wins, then the heaviest.
    """
    def first_fit(order) -> list:
        chosen, taken = [], set()
        for j in order:
            if len(chosen) < limit and taken.isdisjoint(qubits[j]):
                chosen.append(j)
                taken |= qubits[j]
        return chosen

    weights = np.ones(len(candidates)) if weights is None else np.asarray(weights, dtype=np.float64)
    score = lambda chosen: (len(chosen), float(weights[chosen].sum()))
    qubits = [_qubits(emb) for emb in candidates]
    best = first_fit(range(len(candidates)))
    if len(best) >= limit or len(candidates) > MAX_CANDIDATES:
        return best
    covers: dict = {}
    for j, used in enumerate(qubits):
        for q in used:
            covers.setdefault(q, []).append(j)
    conflicts = {pair for c in covers.values() for pair in combinations(c, 2)}
    if not conflicts:  # first fit took them all
        return best
    qubo = dimod.BQM({j: -float(w) for j, w in enumerate(weights)}, dict.fromkeys(conflicts, 2.0), 0.0, "BINARY")
    reads = SimulatedAnnealingSampler().sample(qubo, num_reads=PACKING_READS, num_sweeps=PACKING_SWEEPS, seed=seed)
    for sample in reads.record.sample:
        picked = np.flatnonzero(sample).tolist()
        chosen = first_fit(picked + [j for j in range(len(candidates)) if not sample[j]])
        best = chosen if score(chosen) > score(best) else best
    return best


def _fill(graph: nx.Graph, size: int, found: list, limit: int, seed: int, deadline: float) -> None:
    """Greedy fill: busclique on the qubits no clique uses yet, until none fits or time is up."""
    taken = {q for emb in found for chain in emb.values() for q in chain}
    while len(found) < limit and perf_counter() < deadline:
        rest = graph.subgraph([q for q in graph if q not in taken]).copy()
        rest.graph.update(graph.graph)
        emb = clique_cache(rest, seed=seed).find_clique_embedding(size) if len(rest) >= size else {}
        if not emb:
            return
        found.append({v: tuple(c) for v, c in emb.items()})
        taken.update(q for chain in emb.values() for q in chain)


def _packed(graph: nx.Graph, pool: dict, count: int, seed: int, deadline: float) -> list:
    """The set packing of ``pool`` (qubits -> (embedding, broken chains)); damaged placements
    weigh :data:`DAMAGED_WEIGHT` (an intact one wins a tie) and are repaired (:func:`_repair`)
    on the qubits no chosen clique uses, chains no longer than the graph's largest clique's;
    one that cannot be repaired is dropped."""
    candidates = sorted(pool.values(), key=lambda c: len(c[1]))  # intact first for first fit
    chosen = [candidates[j] for j in _set_packing([emb for emb, _ in candidates], count, seed,
                                                    [DAMAGED_WEIGHT if broken else 1.0 for _, broken in candidates])]
    found = [emb for emb, broken in chosen if not broken]
    damaged = [(emb, broken) for emb, broken in chosen if broken]
    if damaged:
        largest = clique_embedder(graph, seed=seed)
        longest = max(map(len, largest.embed(largest.largest_clique_size()).values()))
        free = set(graph) - {q for emb, _ in chosen for c in emb.values() for q in c}
        for emb, broken in damaged:
            repaired = _repair(graph, emb, broken, free, longest, seed, deadline)
            if repaired is not None:
                found.append(repaired)
                free -= _qubits(repaired)
            free |= _qubits(emb) - _qubits(repaired or {})  # an unrepaired clique's qubits are free again
    return found


def _setpack(graph: nx.Graph, size: int, count: int, seed: int, deadline: float) -> list:
    """Placements of the native cliques of the smallest tile and the next one (damaged ones too),
    packed as a set packing problem and the damaged ones repaired; cliques of windows of the
    working graph join them when that falls short; then a greedy fill (see the module docstring)."""
    if graph.graph.get("family") not in ("pegasus", "zephyr") or graph.graph.get("labels") != "int":
        return []
    rows = _smallest_tile(graph, size, seed)
    pool: dict = {}  # qubits -> (embedding, broken chains): placements, then cliques of windows of the working graph
    for m in ([] if rows is None else [rows, rows + 1]):
        if m < graph.graph["rows"]:
            tile = _tile(graph.graph["family"], m, graph)
            pool.update((_qubits(emb), (emb, broken)) for emb, broken in
                        _placements(graph, tile, _native_cliques(tile, size, seed), deadline))
    found = _packed(graph, pool, count, seed, deadline)
    if len(found) < count and rows is not None:
        chain = max(map(len, clique_embedder(graph, seed=seed).embed(size).values()))
        for m in (rows + 1, rows + 2):
            if m < graph.graph["rows"]:
                windows = _windows(graph, size, m, chain, seed, min(perf_counter() + WINDOW_SECONDS / 2, deadline))
                pool.update((_qubits(emb), (emb, frozenset())) for emb in windows)
        more = _packed(graph, pool, count, seed, deadline)
        found = more if len(more) > len(found) else found
    _fill(graph, size, found, count, seed, deadline)
    return found


def pack_clique_embeddings(target, size: int, count: Optional[int] = None, *,
                           ideal: bool = False, strategy: str = "setpack", seed: int = 0,
                           timeout: float = 120.0) -> List[dict]:
    """Disjoint clique embeddings of ``K_size`` on one target graph.

    Args:
        target: a :class:`~annealq.profiles.HardwareProfile`, structured sampler or
            networkx graph (``ideal`` picks a profile's full graph).
        size: number of variables of each problem.
        count: how many embeddings are wanted (``None``: as many as fit).
        strategy: ``'setpack'``, ``'tiled'`` or ``'greedy'`` (see the module docstring);
            setpack and tiled fall back to greedy on graphs without sub-lattice structure.
        seed: busclique seed.
        timeout: seconds for the whole search (checked between placements, windows and
            embeddings).

    Returns:
        A list of ``{0..size-1: chain tuple}`` embeddings on pairwise disjoint qubits,
        cached per (graph, size, count, strategy, seed).

    Raises:
        EmbeddingError: not even one clique of ``size`` fits.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if count is not None and count < 1:
        raise ValueError(f"count must be >= 1 or None, got {count}")
    graph = target_graph(target, ideal=ideal)
    key = (_fingerprint(graph, seed), size, count, strategy)
    with _LOCK:
        cached = _PACK_CACHE.get(key)
    if cached is None:
        embedder = clique_embedder(graph, seed=seed)
        if size > embedder.largest_clique_size():
            embedder.embed(size)  # raises the EmbeddingError with the largest size
        limit = count if count is not None else graph.number_of_nodes() // size
        deadline = perf_counter() + timeout
        found = (_setpack(graph, size, limit, seed, deadline) if strategy == "setpack" else
                 _tiled(graph, size, limit, seed, deadline) if strategy == "tiled" else [])
        if not found or (strategy == "setpack" and len(found) < limit and perf_counter() < deadline):
            greedy = find_multiple_embeddings(  # setpack short of the limit: greedy too, the larger wins
                nx.complete_graph(size), graph, max_num_emb=limit, embedder=_busclique_embedder(graph, seed),
                one_to_iterable=True, timeout=max(deadline - perf_counter(), 0.0) if found else timeout)
            found = greedy if len(greedy) > len(found) else found
        found = [{v: tuple(c) for v, c in emb.items()} for emb in found]
        used = [q for emb in found for c in emb.values() for q in c]
        if len(used) != len(set(used)):  # never hand out overlapping chains
            raise RuntimeError("packing produced overlapping embeddings")
        if not found:
            raise EmbeddingError(
                f"no clique of {size} variables found on {topology_label(graph)}",
                requested=size, largest=embedder.largest_clique_size(),
                topology=topology_label(graph))
        cached = found
        with _LOCK:
            _PACK_CACHE[key] = cached
    return [dict(emb) for emb in cached]


def pack_embedded(physicals: Sequence[dimod.BinaryQuadraticModel]) -> dimod.BinaryQuadraticModel:
    """Merge problems already embedded on disjoint qubits into one problem for one QPU call.

    Each problem keeps its own scaling and chain strength (the QPU routes embed and scale
    each neuron on its own clique); the merged energy is the sum of theirs.

    >>> import dimod
    >>> a = dimod.BQM({10: 1.0, 11: -1.0}, {(10, 11): -2.0}, 0.0, "SPIN")
    >>> b = dimod.BQM({20: 0.5}, {}, 0.0, "SPIN")
    >>> pack_embedded([a, b]).num_variables
    3
    >>> pack_embedded([a, a])
    Traceback (most recent call last):
    ...
    ValueError: problem 1 shares qubits with an earlier one: packed problems need disjoint embeddings
    """
    if not physicals:
        raise ValueError("nothing to pack")
    merged = dimod.BinaryQuadraticModel(physicals[0].vartype)
    for i, physical in enumerate(physicals):
        if not merged.variables.isdisjoint(physical.variables):
            raise ValueError(f"problem {i} shares qubits with an earlier one: packed problems need disjoint "
                             f"embeddings")
        merged.update(physical)
    return merged
