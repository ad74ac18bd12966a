"""The run journal: every answer with its problem, the parameters sent, timing and embedding context.

An answer's identity is what decided it: the problem's content (a hash of the row's arrays,
:func:`annealq.compile.row_hashes`) and the solver settings (the sampler's identity and the
settings that reached it, :func:`annealq.samplers.solve.solver_settings`).  A row whose very
problem was answered before under the same settings, by any run, step or workflow recorded in
the folder, is reused, never sent again; changing what happens after the solve (fine-tuning,
refinement, evaluation) sends nothing new.  Where each answer was used is kept apart: the
workflow, its run config, the step (a layer, an iteration) and the row id.

A run folder holds ``journal.sqlite`` and ``blobs/``: content-addressed, gzipped files, each
written through its own temporary file and renamed into place, so a killed process never
leaves a half-written blob under a real name:

- the SampleSet (``to_serializable()``, with ``info`` scrubbed of credentials and of the
  embedding context);
- the model solved (``BQM.to_file()`` or ``CQM.to_file()``), for offline re-solving;
- for QPU answers, the embedding context (embedding, chain strength, chain-break method and
  the raw physical samples of the row's qubits), so a recorded answer can be unembedded again
  offline with another chain-break method (:meth:`Journal.unembed`).

Configs are stored with their type name (``annealq.samplers.config.config_to_dict``), so a run
made on a route a user registered reads back in a fresh process.  A journal holds an
exclusive lock on its folder while open for writing: a second writer gets
:class:`RunFolderBusyError` naming the holder.  An unreadable record (a truncated or missing
blob) counts as missing: it is warned about, solved again and overwritten.

Example:
    >>> import tempfile, numpy as np
    >>> from annealq.formulations import QUBOBatch
    >>> from annealq.samplers import SolverConfig, solve
    >>> batch = QUBOBatch(np.zeros((2, 2)), scale=1.0, linear=[[-1, 1], [1, -1]], offset=0)
    >>> config = SolverConfig(route="exact")
    >>> with Journal(tempfile.mkdtemp()) as journal:
    ...     first = solve(batch, config=config, journal=journal.step("demo", config, "0"))
    ...     again = solve(batch, config=config, journal=journal.step("other", config, "7"))
    ...     uses = len(journal.records())
    >>> [a.info.get("recorded", False) for a in again], uses, len(journal.records(unique=True))
    ([True, True], 4, 2)
"""
from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import re
import socket
import sqlite3
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import dimod
import numpy as np

from annealq.compile.bqm import row_hashes
from annealq.samplers.config import Config, config_from_dict, config_to_dict
from annealq.samplers.solve import Answer

SCHEMA_VERSION = 3
_SECRET = re.compile(r"token|secret|password|passwd|api_?key|authorization|credential", re.IGNORECASE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    solver_key TEXT NOT NULL, problem_hash TEXT NOT NULL, workflow TEXT, config_key TEXT, step TEXT, row INTEGER,
    kind TEXT, num_variables INTEGER, solved_by TEXT, parameters TEXT,
    energy REAL, route_energy REAL, feasible INTEGER, violations TEXT, state TEXT, seconds REAL,
    qpu_access_time REAL, qpu_calls INTEGER, call_id TEXT, rows_per_call INTEGER,
    chain_strength REAL, chain_break_fraction REAL, chain_break_method TEXT,
    physical_qubits INTEGER, max_chain_length INTEGER, warnings TEXT, timing TEXT, info TEXT,
    sampleset_blob TEXT, model_blob TEXT, embedding_blob TEXT, created REAL,
    PRIMARY KEY (solver_key, problem_hash));
CREATE TABLE IF NOT EXISTS uses (
    workflow TEXT NOT NULL, config_key TEXT NOT NULL, step TEXT NOT NULL, row INTEGER NOT NULL,
    solver_key TEXT NOT NULL, problem_hash TEXT NOT NULL, used REAL,
    PRIMARY KEY (workflow, config_key, step, row));
CREATE TABLE IF NOT EXISTS configs (config_key TEXT PRIMARY KEY, config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
BLOB_COLUMNS = ("sampleset_blob", "model_blob", "embedding_blob")
_ANSWER_COLUMNS = ("solver_key", "problem_hash", "kind", "num_variables", "solved_by", "parameters", "energy",
                   "route_energy", "feasible", "violations", "state", "seconds", "qpu_access_time", "qpu_calls",
                   "call_id", "rows_per_call", "chain_strength", "chain_break_fraction", "chain_break_method",
                   "physical_qubits", "max_chain_length", "warnings", "timing", "info", "sampleset_blob",
                   "model_blob", "embedding_blob", "created")


class JournalError(RuntimeError):
    """A run folder that cannot be used as it is (the message says why and what to do)."""


class RunFolderBusyError(JournalError):
    """Another process writes to this run folder."""


def config_key(config: Config | dict) -> str:
    """A stable hash of a config's answer-changing fields (``workers`` does not change answers),
    or of a solver-settings dict.

    >>> from annealq.samplers import SolverConfig
    >>> config_key(SolverConfig(workers=1)) == config_key(SolverConfig(workers=2))
    True
    >>> config_key(SolverConfig(seed=1)) == config_key(SolverConfig(seed=2))
    False
    """
    data = scrub(config) if isinstance(config, dict) else config_to_dict(config)
    if not isinstance(config, dict):
        data["fields"] = _neutral(data["fields"])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _neutral(fields: dict) -> dict:
    return {k: _neutral(v) if isinstance(v, dict) else v for k, v in fields.items() if k != "workers"}


def scrub(value):
    """``value`` made JSON-ready, with every credential-like key dropped at any depth.

    >>> scrub({"timing": {"qpu_access_time": np.float64(1.5)}, "token": "x", "headers": {"X-Auth-Token": "y"}})
    {'timing': {'qpu_access_time': 1.5}, 'headers': {}}
    """
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not _SECRET.search(str(k))}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v) for v in value]
    if isinstance(value, np.ndarray):
        return scrub(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class Journal:
    """A run folder (see module docstring); use as a context manager, or :meth:`close` it.

    Args:
        run_dir: the folder (created if missing).
        keep_problems: also store each model solved (needed to resume safely and re-solve offline).
        read_only: open an existing journal to read (no lock, nothing created).
    """

    def __init__(self, run_dir, *, keep_problems: bool = True, read_only: bool = False):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / "journal.sqlite"
        self.keep_problems = keep_problems
        self.read_only = read_only
        self._lock = None
        if read_only:
            if not self.path.exists():
                raise JournalError(f"{self.run_dir} holds no run journal (journal.sqlite): name a run folder "
                                   f"that a recorded run wrote")
        else:
            self._refuse_old_store()
            try:
                (self.run_dir / "blobs").mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise JournalError(f"cannot create the run folder {self.run_dir}: {err.strerror}; "
                                   f"choose a writable --out") from err
            self._lock = _lock(self.run_dir)
        try:
            with self._connect() as db:
                row = None
                if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
                    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if not read_only and (row is None or int(row["value"]) == SCHEMA_VERSION):
                    db.executescript(_SCHEMA)
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as err:
            self.close()
            raise JournalError(f"{self.path} is not a readable run journal ({err}): move it away to start "
                               f"this run folder afresh, or choose another --out") from err
        if row is None or int(row["value"]) != SCHEMA_VERSION:
            self.close()
            raise JournalError(f"{self.path} has journal schema {row and row['value']} (annealq 0.2 keyed answers by "
                               f"the whole workflow config), this annealq reads schema {SCHEMA_VERSION}: "
                               f"choose a new --out")
        if not read_only:
            self._remove_leftovers()

    def _refuse_old_store(self):
        if (self.run_dir / "records.sqlite").exists() and not self.path.exists():
            raise JournalError(f"{self.run_dir} was recorded by annealq 0.1 (records.sqlite, schema 1), which this "
                               f"version does not read: choose a new --out")

    def close(self) -> None:
        if self._lock is not None:
            _unlock(self._lock)
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @contextmanager
    def _connect(self):
        """A connection that commits on success and is always closed.

        A read-only journal issues no writes but still opens the file read-write where it may: after a
        killed writer, SQLite must roll back the hot journal before anyone can read.
        """
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # -- blobs ---------------------------------------------------------------------------

    def _write_blob(self, data: bytes, suffix: str) -> str:
        name = hashlib.sha256(data).hexdigest()[:32] + suffix
        path = self.run_dir / "blobs" / name
        if not (path.exists() and _readable(path)):
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=name, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(gzip.compress(data, mtime=0))
            os.replace(tmp, path)
        return name

    def _read_blob(self, name: str) -> bytes:
        return gzip.decompress((self.run_dir / "blobs" / name).read_bytes())

    def _remove_leftovers(self) -> None:
        """What a killed writer left (the lock is ours, so no live writer owns it): temporary blob
        files, and blobs no answer names (written before their row was committed)."""
        blobs = self.run_dir / "blobs"
        for tmp in blobs.glob("*.tmp"):
            tmp.unlink(missing_ok=True)
        with self._connect() as db:
            named = {r[0] for c in BLOB_COLUMNS for r in db.execute(f"SELECT {c} FROM answers") if r[0]}
        for blob in blobs.iterdir():
            if blob.name not in named:
                blob.unlink(missing_ok=True)

    def _drop_blobs(self, db, names) -> None:
        """Remove blobs that no row names any more."""
        for name in {n for n in names if n}:
            used = any(db.execute(f"SELECT 1 FROM answers WHERE {c} = ? LIMIT 1", (name,)).fetchone()
                       for c in BLOB_COLUMNS)
            if not used:
                (self.run_dir / "blobs" / name).unlink(missing_ok=True)

    # -- writing -------------------------------------------------------------------------

    def step(self, workflow: str, config: Config, step) -> "JournalStep":
        """Where one step of one workflow's run (under its run ``config``) uses answers: what
        ``annealq.solve(..., journal=...)`` takes.  ``config`` names the run; it is not part of an
        answer's identity."""
        return JournalStep(self, workflow, config, str(step))

    def save(self, workflow: str, config: Config, step: str, answer: Answer, solver: dict,
             problem: str) -> None:
        """Record one answer to ``problem`` (a row hash) under ``solver`` settings and its use at
        ``(workflow, config, step, answer.id)`` (committed at once; an answer to the same problem
        under the same settings is replaced)."""
        if self.read_only:
            raise JournalError("this journal was opened read-only")
        key, skey = config_key(config), config_key(solver)
        info = dict(answer.sampleset.info)
        context = info.pop("embedding_context", None)
        info = scrub(info)
        data = answer.sampleset.to_serializable()
        data["info"] = info
        sampleset_blob = self._write_blob(json.dumps(data, sort_keys=True).encode(), ".sampleset.json.gz")
        model_blob = embedding_blob = None
        kind = "cqm" if isinstance(answer.model, dimod.ConstrainedQuadraticModel) else "bqm"
        if answer.model is not None and self.keep_problems:
            with answer.model.to_file() as f:
                model_blob = self._write_blob(f.read(), f".{kind}.gz")
        if context is not None:
            embedding_blob = self._write_blob(json.dumps(scrub(context), sort_keys=True).encode(),
                                              ".embedding.json.gz")
        embedding, timing = info.get("embedding", {}), info.get("timing", {})
        now = time.time()
        row = dict(
            solver_key=skey, problem_hash=problem, workflow=workflow, config_key=key, step=step, row=int(answer.id),
            kind=kind,
            num_variables=len(answer.state), solved_by=info.get("route", answer.info.get("route")),
            parameters=json.dumps(scrub(answer.parameters), sort_keys=True), energy=answer.energy,
            route_energy=float(answer.sampleset.first.energy) if len(answer.sampleset) else None,
            feasible=None if answer.feasible is None else int(answer.feasible),
            violations=None if answer.violations is None else json.dumps(answer.violations),
            state=json.dumps(np.asarray(answer.state).astype(int).tolist()), seconds=answer.seconds,
            qpu_access_time=timing.get("qpu_access_time"), qpu_calls=info.get("qpu_calls"),
            call_id=info.get("problem_id"), rows_per_call=info.get("neurons_per_call"),
            chain_strength=_number(info.get("chain_strength")),
            chain_break_fraction=info.get("chain_break_fraction"), chain_break_method=info.get("chain_break_method"),
            physical_qubits=embedding.get("num_qubits"), max_chain_length=embedding.get("max_chain_length"),
            warnings=json.dumps(info.get("warnings", [])), timing=json.dumps(timing),
            info=json.dumps(scrub({k: v for k, v in answer.info.items() if k != "recorded"})),
            sampleset_blob=sampleset_blob, model_blob=model_blob, embedding_blob=embedding_blob, created=now)
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO configs VALUES (?, ?)", (key, json.dumps(config_to_dict(config))))
            db.execute("INSERT OR IGNORE INTO configs VALUES (?, ?)", (skey, json.dumps(scrub(solver))))
            old = db.execute(f"SELECT {', '.join(BLOB_COLUMNS)} FROM answers WHERE solver_key = ? AND "
                             f"problem_hash = ?", (skey, problem)).fetchone()
            db.execute(f"INSERT OR REPLACE INTO answers ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))
            self._use(db, workflow, key, step, int(answer.id), skey, problem, now)
            if old is not None:
                self._drop_blobs(db, [old[c] for c in BLOB_COLUMNS if old[c] not in (row[c] for c in BLOB_COLUMNS)])

    @staticmethod
    def _use(db, workflow, key, step, row, skey, problem, now) -> None:
        db.execute("INSERT OR REPLACE INTO uses VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (workflow, key, step, row, skey, problem, now))

    def note_reuse(self, workflow: str, config: Config, step: str, rows: dict[int, str], solver: dict) -> None:
        """Record that ``rows`` (row id -> problem hash) of this step reuse answers already held."""
        if self.read_only or not rows:
            return
        key, skey, now = config_key(config), config_key(solver), time.time()
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO configs VALUES (?, ?)", (key, json.dumps(config_to_dict(config))))
            for row, problem in rows.items():
                self._use(db, workflow, key, step, row, skey, problem, now)

    # -- reading -------------------------------------------------------------------------

    def records(self, workflow: str | None = None, config: Config | str | None = None,
                step: str | None = None, unique: bool = False) -> list[dict]:
        """Index rows (dicts), one per use of an answer, optionally of one workflow, run config (or its
        key) and step; ``config_key`` names the run, ``solver_key`` the settings.  ``unique``: one row
        per answer held (solved once, under its first use), as a QPU bill or an offline comparison
        counts them, answers no run uses any more included."""
        table = "a" if unique else "u"
        where, args = [], []
        for column, value in ((f"{table}.workflow", workflow), (f"{table}.step", step)):
            if value is not None:
                where.append(f"{column} = ?"), args.append(str(value))
        if config is not None:
            where.append(f"{table}.config_key = ?")
            args.append(config if isinstance(config, str) else config_key(config))
        answer_columns = ", ".join(f"a.{c}" for c in _ANSWER_COLUMNS)
        if unique:
            sql = (f"SELECT {answer_columns}, a.workflow, a.config_key, a.step, a.row, a.created AS used FROM answers a"
                   + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY a.created, a.step, a.row")
        else:
            sql = (f"SELECT {answer_columns}, u.workflow, u.config_key, u.step, u.row, u.used FROM uses u "
                   f"JOIN answers a ON a.solver_key = u.solver_key AND a.problem_hash = u.problem_hash"
                   + (" WHERE " + " AND ".join(where) if where else "")
                   + " ORDER BY u.used, u.workflow, u.step, u.row")
        with self._connect() as db:
            return [dict(r) for r in db.execute(sql, args)]

    def lookup(self, solver: dict, problems) -> dict[str, dict]:
        """Recorded answers (index rows) to ``problems`` (row hashes) under ``solver`` settings, by hash."""
        skey, problems = config_key(solver), list(dict.fromkeys(problems))
        out = {}
        with self._connect() as db:
            for k in range(0, len(problems), 500):
                part = problems[k:k + 500]
                sql = (f"SELECT * FROM answers WHERE solver_key = ? AND problem_hash IN "
                       f"({', '.join('?' * len(part))})")
                out.update((r["problem_hash"], dict(r)) for r in db.execute(sql, [skey, *part]))
        return out

    def answer(self, record: dict, row: int | None = None) -> Answer:
        """The :class:`~annealq.samplers.Answer` of a record, as row ``row`` (default: the record's)
        (raises on an unreadable blob)."""
        violations = record["violations"]
        return Answer(record["row"] if row is None else row, self.sampleset(record),
                      np.array(json.loads(record["state"]), dtype=np.int8),
                      record["energy"], record["seconds"], json.loads(record["parameters"]), self.model(record),
                      None if record["feasible"] is None else bool(record["feasible"]),
                      None if violations is None else json.loads(violations),
                      {**json.loads(record["info"] or "{}"), "recorded": True, "problem_hash": record["problem_hash"]})

    def sampleset(self, record: dict) -> dimod.SampleSet:
        """The sampler's SampleSet of a record."""
        return dimod.SampleSet.from_serializable(json.loads(self._read_blob(record["sampleset_blob"])))

    def model(self, record: dict):
        """The BQM or CQM of a record (None when problems were not kept)."""
        if not record["model_blob"]:
            return None
        data = io.BytesIO(self._read_blob(record["model_blob"]))
        if record["kind"] == "cqm":
            return dimod.ConstrainedQuadraticModel.from_file(data)
        return dimod.BinaryQuadraticModel.from_file(data)

    def embedding_context(self, record: dict) -> dict | None:
        """The embedding context of a QPU record (None for other routes)."""
        if not record["embedding_blob"]:
            return None
        return json.loads(self._read_blob(record["embedding_blob"]))

    def unembed(self, record: dict, chain_break_method: str = "majority_vote") -> dimod.SampleSet:
        """A recorded QPU answer unembedded again from its raw samples, with ``chain_break_method``."""
        from dwave.embedding import unembed_sampleset
        from annealq.embedding import get_chain_break_method

        context, bqm = self.embedding_context(record), self.model(record)
        if context is None or bqm is None:
            raise JournalError(f"record {record['workflow']}/{record['step']}/{record['row']} has no embedding "
                               f"context and problem: only QPU answers recorded with their problems unembed again")
        embedding = {_label(v): chain for v, chain in context["embedding"].items()}
        physical = dimod.SampleSet.from_serializable(context["physical"])
        spin = bqm.spin
        method = get_chain_break_method(chain_break_method, bqm=spin, embedding=embedding)
        result = unembed_sampleset(physical, embedding, spin, chain_break_method=method, chain_break_fraction=True)
        return result.change_vartype(bqm.vartype, inplace=False)

    def config(self, key: str) -> Config | dict:
        """The run config behind a ``config_key`` (no route registry needed), or the solver settings
        (a dict) behind a ``solver_key``."""
        with self._connect() as db:
            row = db.execute("SELECT config FROM configs WHERE config_key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no config {key!r} in {self.path}")
        data = json.loads(row["config"])
        return config_from_dict(data) if "type" in data and "fields" in data else data

    def configs(self) -> dict[str, Config]:
        """The run configs recorded, by ``config_key``."""
        with self._connect() as db:
            keys = [r["config_key"] for r in db.execute("SELECT DISTINCT config_key FROM uses ORDER BY config_key")]
        return {k: self.config(k) for k in keys}


@contextmanager
def opened(journal):
    """``journal`` as a :class:`Journal` for the length of a run: a path opens one (and closes it
    after); a journal or None passes through; anything else is refused in one line."""
    if journal is None or hasattr(journal, "step"):
        yield journal
    elif isinstance(journal, (str, os.PathLike)):
        with Journal(journal) as own:
            yield own
    else:
        raise TypeError(f"journal must be a run folder path or an annealq.records.Journal, "
                        f"got {type(journal).__name__}")


class JournalStep:
    """One step of one workflow's run: what ``annealq.solve(..., journal=...)`` takes."""

    def __init__(self, journal: Journal, workflow: str, config: Config, step: str):
        self.journal, self.workflow, self.config, self.step = journal, workflow, config, step
        self.stale = 0  # rows this step had used before whose problem changed, found by the last reusable()
        self._solver, self._problems = None, {}

    @property
    def keeps_problems(self) -> bool:
        """Whether answers are stored with their problem (``solve`` builds a BQM only then)."""
        return self.journal.keep_problems

    def answers(self) -> dict[int, Answer]:
        """The readable answers this step used, by row id (unreadable ones warned about, left out)."""
        out = {}
        for record in self.journal.records(self.workflow, self.config, self.step):
            try:
                out[record["row"]] = self.journal.answer(record)
            except (OSError, EOFError, ValueError, KeyError, json.JSONDecodeError) as err:
                self._unreadable(record["row"], err)
        return out

    def _unreadable(self, row: int, err: Exception) -> None:
        warnings.warn(f"{self.journal.run_dir}: the recorded answer of {self.workflow} step {self.step} row "
                      f"{row} is unreadable ({type(err).__name__}: {err}); it is solved again",
                      RuntimeWarning, stacklevel=3)

    def reusable(self, batch, solver: dict) -> dict[int, Answer]:
        """Recorded answers (by row id) to the very problems ``batch`` holds under ``solver`` settings;
        unreadable ones are warned about and left out (solved again)."""
        hashes = dict(zip(batch.ids.tolist(), row_hashes(batch)))
        self._solver, self._problems = solver, hashes
        before = {r["row"]: r["problem_hash"] for r in self.journal.records(self.workflow, self.config, self.step)}
        self.stale = sum(1 for row, h in before.items() if row in hashes and hashes[row] != h)
        found = self.journal.lookup(solver, hashes.values())
        out = {}
        for row, problem in hashes.items():
            if problem not in found:
                continue
            try:
                out[row] = self.journal.answer(found[problem], row)
            except (OSError, EOFError, ValueError, KeyError, json.JSONDecodeError) as err:
                self._unreadable(row, err)
        self.journal.note_reuse(self.workflow, self.config, self.step, {r: hashes[r] for r in out}, solver)
        return out

    def save(self, answer: Answer) -> None:
        if self._solver is None:
            raise JournalError("JournalStep.save before reusable(): pass the step to annealq.solve")
        self.journal.save(self.workflow, self.config, self.step, answer, self._solver, self._problems[answer.id])


def _label(v: str):
    """Embedding keys come back from JSON as strings; integer labels are restored."""
    return int(v) if v.lstrip("-").isdigit() else v


def _readable(path: Path) -> bool:
    try:
        with gzip.open(path) as f:
            while f.read(1 << 20):
                pass
        return True
    except (OSError, EOFError):
        return False


def _number(value):
    return float(value) if isinstance(value, (int, float)) else None


def _lock(run_dir: Path):
    """An exclusive lock on ``run_dir/.lock`` naming its holder; :class:`RunFolderBusyError` if held."""
    path = run_dir / ".lock"
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.seek(0)
        holder = f.read().strip() or "another process"
        f.close()
        raise RunFolderBusyError(f"{run_dir} is in use by {holder}: wait for it to finish, or choose another --out")
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()} on {socket.gethostname()}")
    f.flush()
    return f


def _unlock(f) -> None:
    fcntl.flock(f, fcntl.LOCK_UN)
    f.close()
