"""The run store: every neuron answer with its problem, route, timing and embedding figures.

A run folder holds ``records.sqlite`` (one index row per neuron answer) and ``blobs/``:
each answer's ``SampleSet.to_serializable()`` as gzipped JSON and its problem as a gzipped
dimod BQM file (``bqm.to_file()``), named by problem hash.  Every answer is committed as it
arrives, so an interrupted run loses nothing and a rerun resumes from :meth:`RunStore.answers`.
API tokens never reach a record: keys that look like credentials are dropped from ``info``.

Example:
    >>> import tempfile, numpy as np
    >>> from annealq.config import QuantConfig
    >>> from annealq.formulations import LayerProblem
    >>> from annealq.samplers.layer import solve_layer
    >>> p = LayerProblem(gram=np.eye(3), target=np.full((2, 3), 0.3), base=np.zeros((2, 3)),
    ...                  coeffs=np.full((2, 3), 0.5))
    >>> store, config = RunStore(tempfile.mkdtemp()), QuantConfig(route="exact")
    >>> for answer in solve_layer(p, "exact"):
    ...     store.save("fc1", config, answer)
    >>> sorted(store.answers("fc1", config)), len(store.records())
    ([0, 1], 2)
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

import dimod
import numpy as np

from annealq.compile.bqm import problem_hash
from annealq.config import QuantConfig
from annealq.samplers.layer import NeuronAnswer, neuron_seed

#: QuantConfig fields that do not change any answer (left out of the config key).
NEUTRAL_FIELDS = ("workers",)

_SECRET = re.compile(r"token|secret|password|passwd|api_?key|authorization|credential", re.IGNORECASE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    layer TEXT NOT NULL, config_key TEXT NOT NULL, neuron INTEGER NOT NULL,
    problem_hash TEXT, num_variables INTEGER, route TEXT, solved_by TEXT, parameters TEXT,
    energy REAL, route_energy REAL, state TEXT, seconds REAL,
    qpu_access_time REAL, qpu_calls INTEGER, call_id TEXT, neurons_per_call INTEGER,
    chain_strength REAL, chain_break_fraction REAL, chain_break_method TEXT,
    physical_qubits INTEGER, max_chain_length INTEGER,
    warnings TEXT, timing TEXT, sampleset_blob TEXT, bqm_blob TEXT, created REAL,
    PRIMARY KEY (layer, config_key, neuron));
CREATE TABLE IF NOT EXISTS configs (config_key TEXT PRIMARY KEY, config TEXT NOT NULL);
"""


def config_key(config: QuantConfig) -> str:
    """A stable hash of the config fields that change answers.

    >>> config_key(QuantConfig(workers=1)) == config_key(QuantConfig(workers=4))
    True
    >>> config_key(QuantConfig(bits=2)) == config_key(QuantConfig(bits=3))
    False
    """
    fields = {k: v for k, v in config.to_dict().items() if k not in NEUTRAL_FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def scrub(value):
    """``value`` made JSON-ready, with every credential-like key dropped at any depth.

    >>> scrub({"timing": {"qpu_access_time": np.float64(1.5)}, "token": "x", "headers": {"X-Auth-Token": "y"}})
    {'timing': {'qpu_access_time': 1.5}, 'headers': {}}
    """
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not _SECRET.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, np.ndarray):
        return scrub(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class RunStore:
    """A run folder: SQLite index plus blobs (see module docstring).

    Args:
        run_dir: the folder (created if missing).
        keep_problems: also store each neuron's BQM (needed to re-solve offline); dense
            neuron QUBOs take about 16 bytes per coupling, gzipped.
    """

    def __init__(self, run_dir, keep_problems: bool = True):
        self.run_dir = Path(run_dir)
        self.keep_problems = keep_problems
        (self.run_dir / "blobs").mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / "records.sqlite"
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self):
        """A connection that commits on success and is always closed."""
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()
    
    def _write_blob(self, name: str, data: bytes) -> str:
        path = self.run_dir / "blobs" / name
        if not path.exists():
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(gzip.compress(data, mtime=0))
            os.replace(tmp, path)
        return name

    def _read_blob(self, name: str) -> bytes:
        return gzip.decompress((self.run_dir / "blobs" / name).read_bytes())

    def save(self, layer: str, config: QuantConfig, answer: NeuronAnswer) -> None:
        """Record one neuron answer (committed at once; a second save of the same neuron replaces it)."""
        key = config_key(config)
        info = scrub(dict(answer.sampleset.info))
        data = answer.sampleset.to_serializable()
        data["info"] = info  # the blob holds the scrubbed info too
        name = re.sub(r"[^A-Za-z0-9._-]", "_", layer)
        sampleset_blob = self._write_blob(f"{name}.{key}.{answer.neuron}.sampleset.json.gz",
                                          json.dumps(data, sort_keys=True).encode())
        phash, bqm_blob, nvar = None, None, len(answer.state)
        if answer.bqm is not None:
            phash = problem_hash(answer.bqm)
            if self.keep_problems:
                with answer.bqm.to_file() as file:
                    bqm_blob = self._write_blob(f"{phash}.bqm.gz", file.read())
        embedding, timing = info.get("embedding", {}), info.get("timing", {})
        parameters = {"num_reads": config.num_reads, "num_sweeps": config.num_sweeps,
                      "seed": neuron_seed(config.seed, answer.neuron)}
        row = dict(
            layer=layer, config_key=key, neuron=answer.neuron, problem_hash=phash, num_variables=nvar,
            route=config.route, solved_by=info.get("route", config.route), parameters=json.dumps(parameters),
            energy=answer.energy, route_energy=float(answer.sampleset.first.energy),
            state=json.dumps(np.asarray(answer.state).astype(int).tolist()), seconds=answer.seconds,
            qpu_access_time=timing.get("qpu_access_time"), qpu_calls=info.get("qpu_calls"),
            call_id=info.get("problem_id"), neurons_per_call=info.get("neurons_per_call"),
            chain_strength=_number(info.get("chain_strength")),
            chain_break_fraction=info.get("chain_break_fraction"), chain_break_method=info.get("chain_break_method"),
            physical_qubits=embedding.get("num_qubits"), max_chain_length=embedding.get("max_chain_length"),
            warnings=json.dumps(info.get("warnings", [])), timing=json.dumps(timing),
            sampleset_blob=sampleset_blob, bqm_blob=bqm_blob, created=time.time())
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO configs VALUES (?, ?)", (key, json.dumps(config.to_dict())))
            db.execute(f"INSERT OR REPLACE INTO answers ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))

    def answers(self, layer: str, config: QuantConfig) -> dict[int, NeuronAnswer]:
        """The answers recorded for ``layer`` under ``config``, by neuron: what a rerun may skip
        (a rerun solves again those whose problem differs from the one it builds)."""
        out = {}
        for row in self.records(layer, config):
            sampleset = self.sampleset(row)
            state = np.array(json.loads(row["state"]), dtype=np.int8)
            out[row["neuron"]] = NeuronAnswer(row["neuron"], sampleset, state, row["energy"], row["seconds"],
                                              self.bqm(row), row["problem_hash"])
        return out

    def records(self, layer: str | None = None, config: QuantConfig | None = None) -> list[dict]:
        """Index rows (dicts), optionally of one layer and config, in layer/neuron order."""
        where, args = [], []
        if layer is not None:
            where.append("layer = ?"), args.append(layer)
        if config is not None:
            where.append("config_key = ?"), args.append(config_key(config))
        sql = "SELECT * FROM answers" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY layer, neuron"
        with self._connect() as db:
            rows = [dict(r) for r in db.execute(sql, args)]
        return rows

    def sampleset(self, record: dict) -> dimod.SampleSet:
        """The route's SampleSet of a record."""
        return dimod.SampleSet.from_serializable(json.loads(self._read_blob(record["sampleset_blob"])))

    def bqm(self, record: dict) -> dimod.BinaryQuadraticModel | None:
        """The exact problem of a record (None when problems were not kept)."""
        if not record["bqm_blob"]:
            return None
        return dimod.BinaryQuadraticModel.from_file(io.BytesIO(self._read_blob(record["bqm_blob"])))

    def config(self, key: str) -> QuantConfig:
        """The config behind a ``config_key``."""
        with self._connect() as db:
            row = db.execute("SELECT config FROM configs WHERE config_key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no config {key!r} in {self.path}")
        return QuantConfig.from_dict(json.loads(row["config"]))


def _number(value):
    return float(value) if isinstance(value, (int, float)) else None
