"""The results store: one SQLite file, one transaction per finished cell, nothing pickled.

Layout of ``store.sqlite`` (standard-library :mod:`sqlite3`, WAL journal)::

    meta(key TEXT PRIMARY KEY, value TEXT)          -- format version, creation time
    studies(id INTEGER PRIMARY KEY, name, source, toml, spec_json, recorded_at)
    runs(id INTEGER PRIMARY KEY, pid, host, argv_json, backend, workers,
         started_at, ended_at, status, cells_done)
    cells(cell_id TEXT PRIMARY KEY, kind, config_json, seed TEXT, code_version,
          started_at, finished_at, wall_time, batch_size, batch_wall_time,
          worker, run_id, summary_json)
    arrays(cell_id, name, dtype, shape_json, data BLOB, PRIMARY KEY(cell_id, name))
    failures(cell_id TEXT PRIMARY KEY, kind, config_json, seed TEXT, code_version,
             started_at, failed_at, wall_time, worker, run_id, error)
    parts(cell_id, part INTEGER, started_at, finished_at, wall_time, worker, run_id,
          PRIMARY KEY(cell_id, part))
    part_arrays(cell_id, part, name, dtype, shape_json, data BLOB,
                PRIMARY KEY(cell_id, part, name))

A cell that raised while it ran (a policy outside its domain, say) is a row of
``failures`` with its error message instead of a row of ``cells``: a later run
skips it like a finished cell (its result would be the same error), unless asked
to retry it; a success replaces the failure. Stores written before the table
existed get it the next time a run opens them.

A cell that runs in parts (the seeds of a per-env gym cell, see
:class:`~boltzmann_rl.sweep.tasks.Parts`) has a row of ``parts`` and its arrays per
finished part, keyed by the cell's id and the part's index, until the last part is
in: then the cell's result, made from them, is committed and its parts deleted in
one transaction.

Configurations and summaries are JSON text; per-step curves are raw little-endian
float64 bytes with their dtype and shape in their own columns. Nothing is pickled
and nothing read back is executed.

A cell row and its arrays are written in one transaction as soon as the cell
finishes, so a run stopped at any moment (Ctrl-C, ``kill -9``, power loss) loses
at most the cells (or parts) that were still running; the next run finds the
finished ones and skips them.

Only one run writes to a store at a time: :meth:`Store.lock` takes an exclusive
``fcntl.flock`` on ``store.lock`` beside the database (released by the operating
system when the process dies, however it dies) and a second run refuses with
:class:`StoreLocked`, naming the process that holds it. Readers (``plot``,
``export``) need no lock: WAL lets them read while a run writes.

Examples
--------
>>> import tempfile, numpy as np
>>> from boltzmann_rl.sweep.store import Store
>>> from boltzmann_rl.sweep.cells import Cell
>>> cell = Cell("bandit", "gaussian", {}, "action_value", {}, "greedy", {"runs": 2, "steps": 3})
>>> with tempfile.TemporaryDirectory() as d, Store(d) as store:
...     store.add_result(cell, {"mean_reward": 1.5}, {"reward": np.arange(3.0)}, wall_time=0.1)
...     (store.done_ids() == {cell.id}, store.summary(cell.id), store.array(cell.id, "reward"))
(True, {'mean_reward': 1.5}, array([0., 1., 2.]))
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from boltzmann_rl.sweep.cells import Cell

__all__ = [
    "IDENTITY_KEYS",
    "STORE_FILE",
    "STORE_FORMAT",
    "OtherStudy",
    "Store",
    "StoreLocked",
    "StoreWriteError",
    "code_version",
    "study_identity",
]

STORE_FILE = "store.sqlite"
LOCK_FILE = "store.lock"
STORE_FORMAT = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    toml TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    argv_json TEXT NOT NULL,
    backend TEXT NOT NULL,
    workers INTEGER,
    started_at REAL NOT NULL,
    ended_at REAL,
    status TEXT NOT NULL,
    cells_done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cells (
    cell_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    config_json TEXT NOT NULL,
    seed TEXT NOT NULL,
    code_version TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    wall_time REAL NOT NULL,
    batch_size INTEGER NOT NULL,
    batch_wall_time REAL NOT NULL,
    worker TEXT NOT NULL,
    run_id INTEGER,
    summary_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS arrays (
    cell_id TEXT NOT NULL REFERENCES cells(cell_id),
    name TEXT NOT NULL,
    dtype TEXT NOT NULL,
    shape_json TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (cell_id, name)
);
CREATE TABLE IF NOT EXISTS failures (
    cell_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    config_json TEXT NOT NULL,
    seed TEXT NOT NULL,
    code_version TEXT NOT NULL,
    started_at REAL NOT NULL,
    failed_at REAL NOT NULL,
    wall_time REAL NOT NULL,
    worker TEXT NOT NULL,
    run_id INTEGER,
    error TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    cell_id TEXT NOT NULL,
    part INTEGER NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    wall_time REAL NOT NULL,
    worker TEXT NOT NULL,
    run_id INTEGER,
    PRIMARY KEY (cell_id, part)
);
CREATE TABLE IF NOT EXISTS part_arrays (
    cell_id TEXT NOT NULL,
    part INTEGER NOT NULL,
    name TEXT NOT NULL,
    dtype TEXT NOT NULL,
    shape_json TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (cell_id, part, name)
);
"""

_DTYPE = "<f8"


def _encode(arr: np.ndarray) -> tuple[str, str, bytes]:
    """An array's dtype, shape (JSON) and bytes columns."""
    a = np.ascontiguousarray(arr, dtype=_DTYPE)
    return _DTYPE, json.dumps(list(a.shape)), a.tobytes()


def _decode(path: Path, where: str, dtype: str, shape_json: str, data: bytes) -> np.ndarray:
    """The array of :func:`_encode`'s columns (``where`` names it in an error)."""
    if dtype != _DTYPE:
        raise ValueError(f"{path}: array {where} has unsupported dtype {dtype}")
    shape = tuple(int(n) for n in json.loads(shape_json))
    return np.frombuffer(data, dtype=_DTYPE).reshape(shape).astype(np.float64)


class StoreLocked(RuntimeError):
    """Another run is writing to this store; the message names it.

    Examples
    --------
    >>> from boltzmann_rl.sweep.store import StoreLocked
    >>> issubclass(StoreLocked, RuntimeError)
    True
    """


class StoreWriteError(OSError):
    """The store could not be written (full disk, read-only filesystem, I/O error).

    An :class:`OSError` with ``filename`` the database and ``strerror`` SQLite's
    reason. The transaction that failed was rolled back: every cell committed before
    it is intact, and the next run resumes from them.

    Examples
    --------
    >>> from boltzmann_rl.sweep.store import StoreWriteError
    >>> exc = StoreWriteError(28, "database or disk is full", "out/store.sqlite")
    >>> exc.filename, exc.strerror
    ('out/store.sqlite', 'database or disk is full')
    """


_SQLITE_ERRNO = (
    ("full", errno.ENOSPC),
    ("readonly", errno.EROFS),
    ("read-only", errno.EROFS),
    ("unable to open", errno.EACCES),
    ("disk i/o", errno.EIO),
)


def _write_error(path: Path, exc: sqlite3.Error) -> StoreWriteError | None:
    """The :class:`StoreWriteError` for an SQLite error that is the filesystem's fault."""
    text = str(exc)
    for needle, code in _SQLITE_ERRNO:
        if needle in text.lower():
            return StoreWriteError(code, text, str(path))
    return None


class OtherStudy(ValueError):
    """The folder holds the results of a different study; the message names both.

    Examples
    --------
    >>> from boltzmann_rl.sweep.store import OtherStudy
    >>> issubclass(OtherStudy, ValueError)
    True
    """


IDENTITY_KEYS = ("name", "kind", "env", "env_args", "budget", "seed")
"""What makes two study definitions the same study (see :func:`study_identity`)."""


def study_identity(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a study's description that a results folder is bound to.

    Two definitions are the same study when they have the same name, problem type,
    environment and ``[problem].args``, budget and base seed. The families, their
    grids, agents, schedules and the analysis may change between runs into one
    folder: values added to a grid are new cells of the same study (the finished
    ones are reused), and a family dropped keeps its cells in the store. Anything
    in :data:`IDENTITY_KEYS` changed makes a different study, which needs its own
    folder.

    Examples
    --------
    >>> from boltzmann_rl.sweep.store import study_identity
    >>> study_identity({"name": "s", "kind": "bandit", "seed": 0, "families": []})
    {'name': 's', 'kind': 'bandit', 'seed': 0}
    """
    return {k: spec[k] for k in IDENTITY_KEYS if k in spec}


def _identity_text(spec: Mapping[str, Any], source: str) -> str:
    ident = study_identity(spec)
    parts = [f"study {ident.get('name', '?')!r} ({source}"]
    if "kind" in ident:
        parts.append(f"{ident['kind']} {ident.get('env', '?')}")
    if ident.get("env_args"):
        parts.append(json.dumps(ident["env_args"], sort_keys=True))
    if "budget" in ident:
        parts.append(", ".join(f"{k}={v}" for k, v in sorted(ident["budget"].items())))
    if "seed" in ident:
        parts.append(f"seed={ident['seed']}")
    return parts[0] + (": " + "; ".join(parts[1:]) if parts[1:] else "") + ")"


def code_version() -> str:
    """The package version, plus the git commit when running from a checkout.

    Examples
    --------
    >>> from boltzmann_rl.sweep.store import code_version
    >>> code_version().startswith("boltzmann_rl ")
    True
    """
    from boltzmann_rl._version import __version__

    version = f"boltzmann_rl {__version__}"
    root = Path(__file__).resolve().parents[2]
    head = root / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            commit = (root / ".git" / ref[5:]).read_text().strip()
        else:
            commit = ref
        version += f" git {commit[:12]}"
    except OSError:
        pass
    return version


def _now() -> float:
    return time.time()


def _finite_json(value: Any) -> str:
    """JSON text with NaN/inf written as null (summaries stay valid JSON)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not np.isfinite(v):
            return None
        if isinstance(v, np.floating | np.integer):
            return clean(v.item())
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(value), sort_keys=True, allow_nan=False)


class Store:
    """The SQLite store of one output folder.

    Parameters
    ----------
    folder : str or Path
        The output folder; created if missing. The database is ``folder/store.sqlite``.
    readonly : bool, default False
        Open an existing store for reading only (``plot``, ``export``); raises
        ``ValueError`` if there is none.
    lock : bool, default False
        Take the writer lock (:meth:`lock`) before opening the database; raises
        :class:`StoreLocked` if another run holds it.

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.store import Store
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with Store(d) as s:
    ...         n = len(s.done_ids())
    >>> n
    0
    """

    def __init__(self, folder: str | Path, *, readonly: bool = False, lock: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STORE_FILE
        self._lock_fd: int | None = None
        self.run_id: int | None = None
        if readonly:
            if lock:
                raise ValueError("a read-only store cannot take the writer lock")
            if not self.path.is_file():
                raise ValueError(
                    f"{self.folder}: no results store here (expected {self.path}); "
                    "run a study with `boltzmann-rl run FILE --out DIR` first"
                )
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
        if lock:
            self.lock()  # before the database is touched at all
        try:
            self.conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.OperationalError as exc:
            self.unlock()
            raise _write_error(self.path, exc) or exc from None
        try:
            self.conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                self.conn.executescript(_SCHEMA)  # idempotent: CREATE ... IF NOT EXISTS
            self._check_format(readonly)
        except sqlite3.OperationalError as exc:
            self.close()
            error = _write_error(self.path, exc)
            if error is None:
                raise ValueError(f"{self.path}: not a boltzmann_rl results store ({exc})") from None
            raise error from None
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ValueError(f"{self.path}: not a boltzmann_rl results store ({exc})") from None
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------- plumbing

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:  # SQLite may have rolled back already
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.conn.in_transaction:  # a failed COMMIT leaves the transaction open
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            error = _write_error(self.path, exc)
            if error is None:
                raise
            raise error from None

    def _check_format(self, readonly: bool) -> None:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: not a boltzmann_rl results store ({exc})") from None
        if row is None:
            if readonly:
                raise ValueError(f"{self.path}: not a boltzmann_rl results store (no format)")
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR IGNORE INTO meta VALUES ('format', ?), ('created_at', ?)",
                (str(STORE_FORMAT), repr(_now())),
            )
            self.conn.execute("COMMIT")
        elif row[0] != str(STORE_FORMAT):
            raise ValueError(
                f"{self.path}: store format {row[0]} is not supported "
                f"(this version reads format {STORE_FORMAT})"
            )

    def close(self) -> None:
        """Release the lock (if held) and close the database."""
        self.unlock()
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- locking

    def lock(self) -> None:
        """Take the exclusive writer lock, or raise :class:`StoreLocked`.

        The lock is an ``fcntl.flock`` on ``store.lock`` (the operating system drops
        it when the process ends, even on ``kill -9``); the file holds the holder's
        pid, host and start time for the error message.

        Raises
        ------
        StoreLocked
            If another process holds it.
        """
        if self._lock_fd is not None:
            return
        path = self.folder / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _flock(fd)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            except (ValueError, OSError):
                holder = {}
            os.close(fd)
            who = (
                f"process {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
                + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.get("started", 0)))
                if holder
                else "another process"
            )
            raise StoreLocked(
                f"{self.folder}: another run is writing to this results store ({who}); "
                "wait for it to finish (or stop it), or choose another --out folder"
            ) from None
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": _now()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the writer lock if held."""
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._lock_fd, 0)
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    # ------------------------------------------------------------- writing

    def record_study(self, name: str, source: str, toml: str, spec: Mapping[str, Any]) -> int:
        """Record the study definition (a new row only if it changed); return its row id.

        Raises
        ------
        OtherStudy
            If the store already holds a different study (:func:`study_identity`),
            naming both; nothing is written.
        """
        spec_json = json.dumps(spec, sort_keys=True)
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id, toml, spec_json, source FROM studies ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is not None and row[1] == toml and row[2] == spec_json:
                return int(row[0])
            if row is not None:
                held = json.loads(row[2])
                if study_identity(held) != study_identity(spec):
                    changed = [
                        k for k in IDENTITY_KEYS if study_identity(held).get(k) != spec.get(k)
                    ]
                    raise OtherStudy(
                        f"{self.folder} holds the results of {_identity_text(held, row[3])}, "
                        f"not of {_identity_text(spec, source)} (they differ in "
                        f"{', '.join(changed)}); a results folder holds one study: choose "
                        "another --out folder"
                    )
            cur = conn.execute(
                "INSERT INTO studies (name, source, toml, spec_json, recorded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, source, toml, spec_json, _now()),
            )
            # an INSERT always sets lastrowid (None only before any statement)
            return int(cur.lastrowid)  # type: ignore[arg-type]

    def begin_run(self, backend: str, workers: int | None, argv: list[str] | None = None) -> int:
        """Record the start of a run (pid, host, backend); return its id."""
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (pid, host, argv_json, backend, workers, started_at, status) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (
                    os.getpid(),
                    socket.gethostname(),
                    json.dumps(list(sys.argv if argv is None else argv)),
                    backend,
                    workers,
                    _now(),
                ),
            )
            self.run_id = int(cur.lastrowid)  # type: ignore[arg-type]  # set by the INSERT
        return self.run_id

    def end_run(self, status: str) -> None:
        """Record how the current run ended (``finished``, ``interrupted``, ``failed``)."""
        if self.run_id is None:
            return
        with self._transaction() as conn:
            conn.execute(
                "UPDATE runs SET ended_at = ?, status = ? WHERE id = ?",
                (_now(), status, self.run_id),
            )

    def add_result(
        self,
        cell: Cell,
        summary: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        *,
        wall_time: float,
        started_at: float | None = None,
        batch_size: int = 1,
        batch_wall_time: float | None = None,
        worker: str = "",
        code: str | None = None,
    ) -> None:
        """Commit one finished cell and its arrays in a single transaction.

        A cell already in the store is left as it is (the first result wins;
        results are deterministic, so a second one would be identical). The
        cell's parts (:meth:`add_part`), which its result was made from, are deleted.
        """
        finished = _now()
        blobs = [(cell.id, name, *_encode(arr)) for name, arr in arrays.items()]
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO cells (cell_id, kind, config_json, seed, code_version, "
                "started_at, finished_at, wall_time, batch_size, batch_wall_time, worker, run_id, "
                "summary_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cell.id,
                    cell.kind,
                    json.dumps(cell.config(), sort_keys=True),
                    str(cell.entropy),
                    code or code_version(),
                    finished - wall_time if started_at is None else started_at,
                    finished,
                    float(wall_time),
                    int(batch_size),
                    float(wall_time if batch_wall_time is None else batch_wall_time),
                    worker,
                    self.run_id,
                    _finite_json(dict(summary)),
                ),
            )
            if cur.rowcount:
                conn.executemany("INSERT INTO arrays VALUES (?, ?, ?, ?, ?)", blobs)
                conn.execute("DELETE FROM failures WHERE cell_id = ?", (cell.id,))
                if self.run_id is not None:
                    conn.execute(
                        "UPDATE runs SET cells_done = cells_done + 1 WHERE id = ?", (self.run_id,)
                    )
            conn.execute("DELETE FROM part_arrays WHERE cell_id = ?", (cell.id,))
            conn.execute("DELETE FROM parts WHERE cell_id = ?", (cell.id,))

    def add_part(
        self,
        cell: Cell,
        part: int,
        arrays: Mapping[str, np.ndarray],
        *,
        wall_time: float,
        started_at: float | None = None,
        worker: str = "",
    ) -> None:
        """Commit one finished part of a cell (its index and arrays) in a single transaction.

        A part already stored, or of a cell already finished, is left as it is.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from boltzmann_rl.sweep.store import Store
        >>> from boltzmann_rl.sweep.cells import Cell
        >>> cell = Cell("gym", "FrozenLake-v1", {}, "qlearning", {}, "greedy",
        ...             {"seeds": 3, "episodes": 5, "eval_episodes": 1})
        >>> with tempfile.TemporaryDirectory() as d, Store(d) as store:
        ...     store.add_part(cell, 2, {"x": np.arange(2.0)}, wall_time=0.1)
        ...     store.part_indices()[cell.id], store.parts(cell.id)[0]["arrays"]["x"]
        ({2}, array([0., 1.]))
        """
        finished = _now()
        blobs = [(cell.id, part, name, *_encode(arr)) for name, arr in arrays.items()]
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM cells WHERE cell_id = ?", (cell.id,)).fetchone():
                return
            cur = conn.execute(
                "INSERT OR IGNORE INTO parts (cell_id, part, started_at, finished_at, wall_time, "
                "worker, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    cell.id,
                    int(part),
                    finished - wall_time if started_at is None else started_at,
                    finished,
                    float(wall_time),
                    worker,
                    self.run_id,
                ),
            )
            if cur.rowcount:
                conn.executemany("INSERT INTO part_arrays VALUES (?, ?, ?, ?, ?, ?)", blobs)

    def add_failure(
        self,
        cell: Cell,
        error: str,
        *,
        wall_time: float,
        started_at: float | None = None,
        worker: str = "",
        code: str | None = None,
    ) -> None:
        """Record that a cell raised ``error`` (replacing an earlier failure of it).

        A cell already finished is left as it is.

        Examples
        --------
        >>> import tempfile
        >>> from boltzmann_rl.sweep.store import Store
        >>> from boltzmann_rl.sweep.cells import Cell
        >>> cell = Cell("bandit", "gaussian", {}, "action_value", {}, "normalize",
        ...             {"runs": 2, "steps": 3})
        >>> with tempfile.TemporaryDirectory() as d, Store(d) as store:
        ...     store.add_failure(cell, "ValueError: negative", wall_time=0.1)
        ...     store.failures()[cell.id]["error"], store.done_ids()
        ('ValueError: negative', set())
        """
        failed = _now()
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM cells WHERE cell_id = ?", (cell.id,)).fetchone():
                return
            conn.execute(
                "INSERT OR REPLACE INTO failures (cell_id, kind, config_json, seed, code_version, "
                "started_at, failed_at, wall_time, worker, run_id, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cell.id,
                    cell.kind,
                    json.dumps(cell.config(), sort_keys=True),
                    str(cell.entropy),
                    code or code_version(),
                    failed - wall_time if started_at is None else started_at,
                    failed,
                    float(wall_time),
                    worker,
                    self.run_id,
                    str(error),
                ),
            )

    # ------------------------------------------------------------- reading

    def done_ids(self) -> set[str]:
        """Ids of the finished cells."""
        return {r[0] for r in self.conn.execute("SELECT cell_id FROM cells")}

    def failures(self) -> dict[str, dict[str, Any]]:
        """The cells that raised, by id: ``error``, ``config``, ``failed_at``, ``worker``, ...

        Empty for a store written before failures were recorded.
        """
        keys = (
            "cell_id",
            "kind",
            "config",
            "seed",
            "code_version",
            "started_at",
            "failed_at",
            "wall_time",
            "worker",
            "run_id",
            "error",
        )
        try:
            rows = self.conn.execute(
                "SELECT cell_id, kind, config_json, seed, code_version, started_at, failed_at, "
                "wall_time, worker, run_id, error FROM failures ORDER BY failed_at, cell_id"
            ).fetchall()
        except sqlite3.OperationalError:  # an older store, opened read-only
            return {}
        out = {}
        for r in rows:
            d = dict(zip(keys, r))
            d["config"] = json.loads(d["config"])
            out[d["cell_id"]] = d
        return out

    def part_indices(self) -> dict[str, set[int]]:
        """The stored parts of the cells not yet finished: cell id -> part indices."""
        out: dict[str, set[int]] = {}
        for cell_id, part in self.conn.execute("SELECT cell_id, part FROM parts"):
            out.setdefault(cell_id, set()).add(int(part))
        return out

    def parts(self, cell_id: str) -> list[dict[str, Any]]:
        """The stored parts of one cell in index order: ``part``, ``started_at``,
        ``wall_time``, ``worker`` and ``arrays`` (name -> array)."""
        keys = ("part", "started_at", "wall_time", "worker")
        rows = self.conn.execute(
            "SELECT part, started_at, wall_time, worker FROM parts WHERE cell_id = ? ORDER BY part",
            (cell_id,),
        )
        out = {int(r[0]): {**dict(zip(keys, r)), "arrays": {}} for r in rows}
        rows = self.conn.execute(
            "SELECT part, name, dtype, shape_json, data FROM part_arrays WHERE cell_id = ? "
            "ORDER BY part, name",
            (cell_id,),
        )
        for part, name, *columns in rows:
            where = f"{cell_id}/{part}/{name}"
            out[int(part)]["arrays"][name] = _decode(self.path, where, *columns)
        return list(out.values())

    def latest_study(self) -> dict[str, Any] | None:
        """The most recently recorded study: ``name``, ``source``, ``toml``, ``spec``."""
        row = self.conn.execute(
            "SELECT name, source, toml, spec_json FROM studies ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return {"name": row[0], "source": row[1], "toml": row[2], "spec": json.loads(row[3])}

    def summary(self, cell_id: str) -> dict[str, Any]:
        """The summary of one finished cell (KeyError if it is not finished)."""
        row = self.conn.execute(
            "SELECT summary_json FROM cells WHERE cell_id = ?", (cell_id,)
        ).fetchone()
        if row is None:
            raise KeyError(cell_id)
        return json.loads(row[0])

    def cells(self) -> list[dict[str, Any]]:
        """Every finished cell: id, config, seed, code version, timing and summary."""
        rows = self.conn.execute(
            "SELECT cell_id, kind, config_json, seed, code_version, started_at, finished_at, "
            "wall_time, batch_size, batch_wall_time, worker, run_id, summary_json "
            "FROM cells ORDER BY finished_at, cell_id"
        ).fetchall()
        keys = (
            "cell_id",
            "kind",
            "config",
            "seed",
            "code_version",
            "started_at",
            "finished_at",
            "wall_time",
            "batch_size",
            "batch_wall_time",
            "worker",
            "run_id",
            "summary",
        )
        out = []
        for r in rows:
            d = dict(zip(keys, r))
            d["config"] = json.loads(d["config"])
            d["summary"] = json.loads(d["summary"])
            out.append(d)
        return out

    def array_names(self, cell_id: str) -> list[str]:
        """Names of the arrays stored for one cell."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM arrays WHERE cell_id = ? ORDER BY name", (cell_id,)
            )
        ]

    def array(self, cell_id: str, name: str) -> np.ndarray:
        """One stored array, decoded from its bytes, dtype and shape (KeyError if absent)."""
        row = self.conn.execute(
            "SELECT dtype, shape_json, data FROM arrays WHERE cell_id = ? AND name = ?",
            (cell_id, name),
        ).fetchone()
        if row is None:
            raise KeyError(f"{cell_id}/{name}")
        return _decode(self.path, f"{cell_id}/{name}", *row)

    def arrays(self, cell_id: str) -> dict[str, np.ndarray]:
        """All arrays of one cell by name."""
        return {name: self.array(cell_id, name) for name in self.array_names(cell_id)}

    def runs(self) -> list[dict[str, Any]]:
        """The recorded runs, oldest first."""
        keys = (
            "id",
            "pid",
            "host",
            "argv",
            "backend",
            "workers",
            "started_at",
            "ended_at",
            "status",
            "cells_done",
        )
        rows = self.conn.execute(
            "SELECT id, pid, host, argv_json, backend, workers, started_at, ended_at, status, "
            "cells_done FROM runs ORDER BY id"
        ).fetchall()
        out = []
        for r in rows:
            d = dict(zip(keys, r))
            d["argv"] = json.loads(d["argv"])
            out.append(d)
        return out


def _flock(fd: int) -> None:
    """Exclusive non-blocking lock; BlockingIOError if held elsewhere."""
    if sys.platform == "win32":  # pragma: no cover - Windows has no fcntl
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise BlockingIOError from None
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
