"""The archive's journal: one SQLite database in DST (stdlib ``sqlite3``, WAL mode).

Only the process that runs the archive (the parent of a process pool, the client of a Dask
cluster) opens it for writing; it holds an exclusive lock on ``DST/.sdwtfast-archive.lock``
for the whole run, so two runs on one DST cannot interleave.

Schema (version 1)
------------------
``meta(key, value)``: ``schema`` (1), ``src`` (the resolved source root), ``options`` (the
canonical JSON of :meth:`~sdwtfast.batch.settings.Settings.fingerprint`), ``created``.

``files``: one row per input (a file, or a series folder), keyed by ``path``:

=====================  =====================================================================
path                   the input under SRC (POSIX separators)
kind                   ``dicom``, ``series``, ``nifti``, ``array``, or ``""`` (not coded)
members                JSON list of the files read, under SRC (a series: in series order)
size, mtime_ns         bytes and latest modification time of the members when read
source_sha256          SHA-256 of the file's bytes (a series: of the members' ``name\\0hash\\n``)
pixel_sha256           SHA-256 of the canonical pixel array (:func:`~.work.pixel_sha256`)
shape, dtype           of that array
output                 the container under DST
output_size            its bytes; output_sha256 the SHA-256 of its bytes
status                 ``pending``, ``done``, ``failed`` (the input: not retried until it
                       changes), ``error`` (I/O or unexpected: retried next run), ``skipped``
error                  why failed / error / skipped
mode, lossless         the container's mode and whether every pixel is exact
max_error              the ROI bound asked (``roi_max_error``)
measured_max_error     lossy only: max ``|x - x_hat|`` on the ROI, measured after encoding
decoded_sha256         lossy only: :func:`~.work.pixel_sha256` of the decoded array
options                the canonical options JSON the row was coded with
read_ms, encode_ms,    timings of the attempt
write_ms
worker                 ``host:pid`` of the process that coded it
attempts, updated      how many results were recorded; time of the last (Unix seconds)
=====================  =====================================================================
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError

__all__ = ["Journal", "JOURNAL_NAME", "LOCK_NAME", "RESERVED", "ArchiveBusyError", "COLUMNS"]

JOURNAL_NAME = ".sdwtfast-journal.sqlite"
LOCK_NAME = ".sdwtfast-archive.lock"
RESERVED = (JOURNAL_NAME, JOURNAL_NAME + "-wal", JOURNAL_NAME + "-shm", LOCK_NAME)
"""Files of DST that are not outputs."""
SCHEMA = 1

COLUMNS = (
    "path kind members size mtime_ns source_sha256 pixel_sha256 shape dtype output output_size "
    "output_sha256 status error mode lossless max_error measured_max_error decoded_sha256 "
    "options read_ms encode_ms write_ms worker"
).split()

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    members TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    source_sha256 TEXT,
    pixel_sha256 TEXT,
    shape TEXT,
    dtype TEXT,
    output TEXT,
    output_size INTEGER,
    output_sha256 TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'done', 'failed', 'error', 'skipped')),
    error TEXT,
    mode TEXT,
    lossless INTEGER,
    max_error INTEGER,
    measured_max_error INTEGER,
    decoded_sha256 TEXT,
    options TEXT NOT NULL,
    read_ms REAL,
    encode_ms REAL,
    write_ms REAL,
    worker TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_output ON files(output);
"""


class ArchiveBusyError(InvalidInputError):
    """Another run holds the archive's lock."""


class Journal:
    """The journal of the archive in ``dst``.

    Parameters
    ----------
    dst : Path
        The archive's folder.
    writable : bool
        Open for writing (creates the database and takes the run lock), or read-only (verify,
        restore: the database must exist).

    Raises
    ------
    ArchiveBusyError
        ``writable`` and another process holds the lock.
    InvalidInputError
        Read-only and ``dst`` holds no journal, or the journal's schema is unknown.
    """

    def __init__(self, dst: Path, *, writable: bool) -> None:
        self.dst = Path(dst)
        self.path = self.dst / JOURNAL_NAME
        self._lock_fd: int | None = None
        if writable:
            self._lock()
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives kill -9; power loss may undo the last
            # commits (never corrupts): their files are coded again on the next run.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_DDL)
        else:
            if not self.path.is_file():
                raise InvalidInputError(f"{dst}: not an archive (no {JOURNAL_NAME})")
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        schema = self.meta().get("schema")
        if schema is not None and int(schema) != SCHEMA:
            raise InvalidInputError(f"{self.path}: journal schema {schema}, this build reads 1")

    def _lock(self) -> None:
        fd = os.open(self.dst / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ArchiveBusyError(
                f"{self.dst}: another archive run holds {LOCK_NAME}; wait for it to finish"
            ) from None
        self._lock_fd = fd

    def close(self) -> None:
        """Close the database and release the lock."""
        self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- meta ----------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """The ``meta`` table."""
        return {r[0]: r[1] for r in self.db.execute("SELECT key, value FROM meta")}

    def bind(self, src: str, options: str, *, reencode: bool) -> bool:
        """Record (first run) or check the source root and the options of the archive.

        Returns
        -------
        bool
            Whether the options changed (``reencode``): every row is then coded again.

        Raises
        ------
        InvalidInputError
            Another source, or other options without ``reencode``.
        """
        meta = self.meta()
        if not meta:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                for k, v in (("schema", str(SCHEMA)), ("src", src), ("options", options)):
                    self.db.execute("INSERT INTO meta VALUES (?, ?)", (k, v))
                self.db.execute("INSERT INTO meta VALUES ('created', ?)", (repr(time.time()),))
            return False
        if meta.get("src") != src:
            raise InvalidInputError(
                f"{self.dst} archives {meta.get('src')}, not {src}: use another destination"
            )
        if meta.get("options") == options:
            return False
        if not reencode:
            raise InvalidInputError(
                f"the options differ from those {self.dst} was archived with:\n"
                f"  archive: {meta.get('options')}\n  now:     {options}\n"
                "run with the same options, or pass --reencode (reencode=True) to code every "
                "file again with the new ones"
            )
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'options'", (options,))
        return True

    # ---- rows ----------------------------------------------------------------------------

    def rows(self) -> dict[str, dict[str, Any]]:
        """Every row, by path."""
        return {r["path"]: dict(r) for r in self.db.execute("SELECT * FROM files")}

    def put(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace ``rows`` (dicts with the :data:`COLUMNS`) in one transaction;
        ``attempts`` counts the results recorded for a path (a ``pending`` row adds none)."""
        if not rows:
            return
        cols = ", ".join(COLUMNS)
        marks = ", ".join("?" for _ in COLUMNS)
        sets = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "path")
        sql = (
            f"INSERT INTO files ({cols}, attempts, updated) VALUES ({marks}, ?, ?) "
            f"ON CONFLICT(path) DO UPDATE SET {sets}, "
            "attempts = files.attempts + excluded.attempts, updated = excluded.updated"
        )
        now = time.time()
        values = [
            (*(_sql(r.get(c)) for c in COLUMNS), 0 if r["status"] == "pending" else 1, now)
            for r in rows
        ]
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany(sql, values)
        except sqlite3.OperationalError as exc:  # disk full, I/O error: the run stops here
            raise OSError(
                errno.EIO, f"the journal cannot be written ({exc}); the run can be resumed"
            ) from exc

    def integrity(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` (``"ok"`` when sound)."""
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])


def _sql(v: Any) -> Any:
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v)
    if isinstance(v, bool):
        return int(v)
    return v
