"""The spool: every job and its images durable before the server says 201, each film's
outcome after it, and the queue's truth (which job prints next), so a killed server
loses nothing.

One interface, :class:`SqlSpool`, written once in portable SQL; two engines:
:class:`SqliteSpool` (the embedded default, this module) and
:class:`hcs.server.pgspool.PostgresSpool` (several servers sharing one queue). The
engines differ only in how they connect, lock and store image bytes.

Layout under the spool directory (SQLite)::

    spool.db                 SQLite, WAL journal, synchronous=FULL
    incoming/<token>/        an upload being received (removed if the job is refused)
    jobs/<job id>/images/    the job's images, NNNN.dcm, fsynced
    jobs/<job id>/previews/  film previews, NNNN.png

A job is committed in this order: each image file is written and fsynced, the
``incoming`` folder is renamed to ``jobs/<id>`` and both parent folders are fsynced, then
the job's rows go in with one transaction (WAL + ``synchronous=FULL``: durable when
``commit`` returns). Only then does the server answer. A crash before the commit leaves
an orphan folder, which :meth:`SqlSpool.open` removes; after it, the job is there.

Films: before a film's first DIMSE message goes out its row says ``sending``; after the
answer, ``printed`` (or ``failed``) with every DIMSE status. A server killed between
the two cannot know whether the printer printed the film (the N-ACTION may have been
sent and its answer lost): on restart that film is printed again and its row keeps a
note saying so. That is the at-least-once edge: a film can come out twice, never with
no record of why, and never zero times. A collated job's films are ``staged`` while their
Film Boxes are made (nothing printed: a restart prints the session again, no note) and
all ``sending`` just before the session's one N-ACTION (each gets the note if caught).

The queue lives in the ``jobs`` table: a job is *claimable* by a printer when no film of
it is in hand (``owner`` is NULL), its target is one the printer serves, it is not
pinned to another printer (``pinned``: a started job stays on its printer), and it is
waiting (or held with a retry time that has come). :meth:`SqlSpool.claim` takes the
best one — priority, then arrival order — which is where pre-emption between films
happens. :mod:`hcs.server.queue` states the same rules in plain Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hcs.errors import HcsError
from hcs.server.live import note

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    finished REAL,
    priority TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    printer TEXT,
    films INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    spec TEXT NOT NULL,
    pinned TEXT,
    owner TEXT,
    retry_at REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS films (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    state TEXT NOT NULL,
    printer TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    operations TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]',
    print_job_uid TEXT,
    format_seconds REAL,
    print_seconds REAL,
    preview INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS images (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    size INTEGER NOT NULL,
    frames INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    t REAL NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
EDGES = "edges"  # the counter of films sent again (survives the purge of their jobs)

# Columns added after the first release: an older spool.db gets them on open.
_ADDED_COLUMNS = {
    "pinned": "TEXT",
    "owner": "TEXT",
    "retry_at": "REAL",
    "cancel_requested": "INTEGER NOT NULL DEFAULT 0",
}

UNFINISHED = ("queued", "printing", "preempted", "held")
FINISHED = ("done", "failed", "cancelled")
AT_LEAST_ONCE_NOTE = (
    "the server stopped while this film was being sent; the printer may or may not have "
    "printed it, so it is printed again (at least once)"
)
# priority, then arrival: the queue's one order, in SQL
ORDER = "CASE priority WHEN 'HIGH' THEN 0 WHEN 'MED' THEN 1 ELSE 2 END, seq"


class SpoolFull(HcsError, OSError):
    """No room for a new job: the spool's size limit or the disk's free space."""


class SpoolUnavailable(OSError):
    """The spool's database cannot be reached now (PostgreSQL down); retry later."""


@dataclass
class StoredImage:
    name: str
    file: str  # relative to the job's folder
    size: int
    frames: int = 1


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Incoming:
    """A job's images while they arrive: written and fsynced one by one."""

    def __init__(self, spool: SqlSpool):
        self.spool = spool
        self.path = spool.root / "incoming" / uuid.uuid4().hex
        (self.path / "images").mkdir(parents=True)
        self.images: list[StoredImage] = []
        self.bytes = 0

    def file_for(self, name: str) -> tuple[Path, str]:
        relative = f"images/{len(self.images):04d}.dcm"
        return self.path / relative, relative

    def add(self, name: str, relative: str, size: int) -> None:
        self.images.append(StoredImage(name, relative, size))
        self.bytes += size

    def frames(self) -> int:
        return sum(image.frames for image in self.images)

    def copy_from(self, name: str, source: Path, check_room: bool = True) -> None:
        """Copy a server-side file in, so the job does not depend on it staying there
        (``check_room=False``: the caller checked the room for all its files, and the
        copy may run outside the database thread)."""
        target, relative = self.file_for(name)
        if check_room:
            self.spool.check_room(self.bytes + source.stat().st_size)
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        self.add(name, relative, target.stat().st_size)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class SqlSpool:
    """The spool's interface and its SQL, shared by both engines.

    Used from one thread at a time: the server's database thread
    (:mod:`hcs.server.database`), never the event loop. Subclasses provide
    :meth:`_connect`, :meth:`transaction`, :meth:`_execute` and the image storage."""

    backend = "sql"
    shared = False  # True when several servers share it (a printer needs a lease)
    LOCK = ""  # appended to the claim's SELECT (PostgreSQL: FOR UPDATE SKIP LOCKED)
    error: str | None = None  # why the database cannot be reached now, or None
    instance = "hcs"  # this server's name in the spool's rows (owner of films in hand)

    def __init__(
        self,
        root: Path,
        max_bytes: float = 2 << 30,
        reserve_bytes: float = 64 << 20,
        retention: float = 86400.0,
    ):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.reserve_bytes = reserve_bytes
        self.retention = retention

    # ------------------------------------------------------------------ engine hooks
    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def _execute(self, db: Any, sql: str, args: Sequence[Any] = ()) -> Any:
        return db.execute(sql, args)

    def _executemany(self, db: Any, sql: str, rows: list[Sequence[Any]]) -> None:
        db.executemany(sql, rows)

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self.transaction() as db:
            return self._execute(db, sql, args).fetchall()

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        with self.transaction() as db:
            return self._execute(db, sql, args).fetchone()

    def _next_seq(self, db: Any) -> int:
        """The next arrival number (inside the job's transaction)."""
        row = self._execute(db, "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM jobs")
        return int(row.fetchone()["n"])

    def _claim_guard(self, printer: str, owner: str) -> tuple[str, tuple]:
        """An extra condition on a claim (PostgreSQL: the printer's lease is held)."""
        return "", ()

    @property
    def available(self) -> bool:
        return True

    def ping(self) -> bool:
        """Whether the database answers now."""
        return True

    def interrupt(self, reason: str) -> None:
        """End the call blocked on the database now (called from another thread, when
        it has not answered for too long): the call fails, the spool is unreachable
        until a new connection works. SQLite never hangs that way: nothing to do."""

    def listen(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(note)`` for every change of a job, film or printer
        (:mod:`hcs.server.live`): SQLite after the commit, in the thread that made it;
        PostgreSQL from its listener thread, for the changes of every server of the
        group; an empty note means "something may have been missed"."""

    def _announce(self, db: Any, text: str) -> None:
        """Inside the transaction that changed something: tell the listeners (SQLite
        after the commit; PostgreSQL by ``NOTIFY``, which is sent at the commit)."""

    def edges(self) -> int:
        """Films printed again because a server stopped while sending them (the
        at-least-once edge): each has a note on its film, and the ``edges`` counter
        counts them, so the count stays when the purge forgets their jobs."""
        row = self._one("SELECT value FROM counters WHERE name = ?", (EDGES,))
        return int(row["value"]) if row else 0

    def _count_edges(self, db: Any) -> int:
        """The edges recorded before the counter existed (an older spool): the notes."""
        rows = self._execute(db, "SELECT notes FROM films WHERE notes != '[]'").fetchall()
        return sum(json.loads(r["notes"]).count(AT_LEAST_ONCE_NOTE) for r in rows)

    def _start_counters(self, db: Any) -> None:
        """At open, inside its transaction: the edge counter exists (an older spool's
        starts at the edges its films record)."""
        if self._execute(db, "SELECT 1 FROM counters WHERE name = ?", (EDGES,)).fetchone():
            return
        self._execute(
            db, "INSERT INTO counters (name, value) VALUES (?, ?)", (EDGES, self._count_edges(db))
        )

    def _store_images(self, db: Any, job_id: str, folder: Path, incoming: Incoming) -> None:
        """Image bytes beyond the files in ``folder`` (PostgreSQL keeps them in rows)."""

    def _fetch_images(self, job_id: str) -> None:
        """Make the job's image files present locally (PostgreSQL: from its rows)."""

    def _sweep_folders(self) -> None:
        """Uploads that never became jobs, and job folders whose rows never committed."""
        shutil.rmtree(self.root / "incoming", ignore_errors=True)
        (self.root / "incoming").mkdir(parents=True, exist_ok=True)
        known = {row["id"] for row in self._query("SELECT id FROM jobs")}
        for folder in (self.root / "jobs").iterdir():
            if folder.name not in known:
                shutil.rmtree(folder, ignore_errors=True)

    # ------------------------------------------------------------------ room
    def used_bytes(self) -> int:
        row = self._one("SELECT COALESCE(SUM(bytes), 0) AS n FROM jobs")
        return int(row["n"])

    def check_room(self, incoming_bytes: int) -> None:
        """Refuse a job that would pass the spool's limit or the disk's reserve."""
        used = self.used_bytes()
        if used + incoming_bytes > self.max_bytes:
            raise SpoolFull(
                f"the spool is full: {used / 2**20:.1f} MiB used + {incoming_bytes / 2**20:.1f}"
                f" MiB for this job > the limit of {self.max_bytes / 2**20:.1f} MiB"
            )
        free = shutil.disk_usage(self.root).free
        if free - incoming_bytes < self.reserve_bytes:
            raise SpoolFull(
                f"the disk under the spool has {free / 2**20:.1f} MiB free; this job needs "
                f"{incoming_bytes / 2**20:.1f} MiB and {self.reserve_bytes / 2**20:.1f} MiB "
                "must stay free"
            )

    # ------------------------------------------------------------------ jobs
    def incoming(self) -> Incoming:
        return Incoming(self)

    def job_dir(self, job_id: str) -> Path:
        return self.root / "jobs" / job_id

    def commit_job(
        self,
        job_id: str,
        seq: int | None,
        spec: dict[str, Any],
        priority: str,
        target: str,
        films: int,
        incoming: Incoming,
    ) -> int:
        """Make the job durable: files and folders fsynced, then the rows committed.
        Returns the job's arrival number (``seq``; assigned here when None)."""
        for image in incoming.images:
            if not (incoming.path / image.file).exists():  # pragma: no cover - our bug
                raise RuntimeError(f"{image.file} was not written")
        fsync_dir(incoming.path / "images")
        target_dir = self.job_dir(job_id)
        os.rename(incoming.path, target_dir)
        fsync_dir(self.root / "incoming")
        fsync_dir(self.root / "jobs")
        now = time.time()
        try:
            with self.transaction() as db:
                if seq is None:
                    seq = self._next_seq(db)
                self._execute(
                    db,
                    "INSERT INTO jobs (id, seq, created, updated, priority, target, state,"
                    " films, bytes, spec) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                    (
                        job_id,
                        seq,
                        now,
                        now,
                        priority,
                        target,
                        films,
                        incoming.bytes,
                        json.dumps(spec),
                    ),
                )
                self._executemany(
                    db,
                    "INSERT INTO images (job_id, idx, name, file, size, frames)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (job_id, i, im.name, im.file, im.size, im.frames)
                        for i, im in enumerate(incoming.images)
                    ],
                )
                self._executemany(
                    db,
                    "INSERT INTO films (job_id, idx, state, updated) VALUES (?, ?, 'pending', ?)",
                    [(job_id, i, now) for i in range(films)],
                )
                self._execute(
                    db,
                    "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)",
                    (job_id, now, "queued"),
                )
                self._store_images(db, job_id, target_dir, incoming)
                self._announce(db, note("job", job_id))
        except BaseException:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise
        return seq

    def image_paths(self, job_id: str) -> list[Path]:
        self._fetch_images(job_id)
        rows = self._query("SELECT file FROM images WHERE job_id = ? ORDER BY idx", (job_id,))
        folder = self.job_dir(job_id)
        return [folder / row["file"] for row in rows]

    def frames(self, job_id: str) -> list[tuple[Path, int]]:
        """Every frame of the job in box order: (file, frame index)."""
        self._fetch_images(job_id)
        rows = self._query(
            "SELECT file, frames FROM images WHERE job_id = ? ORDER BY idx", (job_id,)
        )
        folder = self.job_dir(job_id)
        return [(folder / row["file"], i) for row in rows for i in range(row["frames"])]

    def set_job(
        self,
        job_id: str,
        state: str,
        reason: str | None = None,
        printer: str | None = None,
        event: str | None = None,
        only_owner: str | None = None,
        only_waiting: str | None = None,
        **columns: Any,
    ) -> bool:
        """Write a job's state (and ``columns``: pinned, owner, retry_at,
        cancel_requested) with its event line, in one transaction. With ``only_owner``
        the write happens only while that instance holds the job's film; with
        ``only_waiting`` only while the job is still in that state with no film in
        anyone's hands (another server may have acted since it was read). Returns
        whether the row was written."""
        now = time.time()
        finished = now if state in FINISHED else None
        sets = "".join(f", {key} = ?" for key in columns)
        where = "id = ?" + (" AND owner = ?" if only_owner is not None else "")
        args = [state, reason, printer, now, finished, *columns.values(), job_id]
        if only_owner is not None:
            args.append(only_owner)
        if only_waiting is not None:
            where += " AND owner IS NULL AND state = ?"
            args.append(only_waiting)
        with self.transaction() as db:
            cursor = self._execute(
                db,
                "UPDATE jobs SET state = ?, reason = ?, printer = COALESCE(?, printer),"
                f" updated = ?, finished = ?{sets} WHERE {where}",
                args,
            )
            if cursor.rowcount == 0:
                return False
            self._execute(
                db,
                "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)",
                (job_id, now, event or (state + (f": {reason}" if reason else ""))),
            )
            self._announce(db, note("job", job_id))
        return True

    def set_columns(self, job_id: str, **columns: Any) -> None:
        """Queue bookkeeping that is no change of state (``pinned``, ``retry_at``)."""
        sets = ", ".join(f"{key} = ?" for key in columns)
        with self.transaction() as db:
            self._execute(db, f"UPDATE jobs SET {sets} WHERE id = ?", (*columns.values(), job_id))
            self._announce(db, note("job", job_id))

    def request_cancel(self, job_id: str, event: str) -> None:
        with self.transaction() as db:
            self._execute(db, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
            self._execute(
                db,
                "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)",
                (job_id, time.time(), event),
            )
            self._announce(db, note("job", job_id))

    def cancel_requested(self, job_id: str) -> bool:
        row = self._one("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,))
        return bool(row and row["cancel_requested"])

    def set_film(self, job_id: str, idx: int, **values: Any) -> None:
        """Update a film's row; lists are stored as JSON."""
        self.set_films(job_id, [(idx, values)])

    def set_films(self, job_id: str, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Update several films' rows in one transaction (a collated session's films
        change together: a kill never leaves half of them recorded)."""
        now = time.time()
        with self.transaction() as db:
            for idx, given in rows:
                values = {**given, "updated": now}
                for key in ("operations", "warnings", "notes"):
                    if key in values:
                        values[key] = json.dumps(values[key])
                columns = ", ".join(f"{key} = ?" for key in values)
                self._execute(
                    db,
                    f"UPDATE films SET {columns} WHERE job_id = ? AND idx = ?",
                    (*values.values(), job_id, idx),
                )
                self._announce(db, note("film", job_id, idx))

    def film(self, job_id: str, idx: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM films WHERE job_id = ? AND idx = ?", (job_id, idx))
        return _film(row) if row else None

    def preview_path(self, job_id: str, idx: int) -> Path:
        return self.job_dir(job_id) / "previews" / f"{idx:04d}.png"

    def store_preview(self, job_id: str, idx: int, png: bytes) -> None:
        """Keep a film's preview where every server answering for the job finds it."""
        _write(self.preview_path(job_id, idx), png)

    def preview_file(self, job_id: str, idx: int) -> Path | None:
        path = self.preview_path(job_id, idx)
        return path if path.is_file() else None

    def add_event(self, job_id: str, text: str) -> None:
        with self.transaction() as db:
            self._execute(
                db,
                "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)",
                (job_id, time.time(), text),
            )
            self._announce(db, note("job", job_id))

    # ------------------------------------------------------------------ reading
    def job(self, job_id: str, detail: bool = True) -> dict[str, Any] | None:
        with self.transaction() as db:
            row = self._execute(db, "SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job = _job(row)
            films = self._execute(
                db, "SELECT * FROM films WHERE job_id = ? ORDER BY idx", (job_id,)
            ).fetchall()
            job["films"] = [_film(f, detail) for f in films]
            if detail:
                events = self._execute(
                    db, "SELECT t, text FROM events WHERE job_id = ? ORDER BY id", (job_id,)
                ).fetchall()
                job["events"] = [{"t": e["t"], "text": e["text"]} for e in events]
        return job

    def jobs(self, states: tuple[str, ...] | None = None, limit: int = 500) -> list[dict]:
        query = "SELECT * FROM jobs"
        args: tuple = ()
        if states:
            query += f" WHERE state IN ({', '.join('?' * len(states))})"
            args = tuple(states)
        query += " ORDER BY created DESC, seq DESC LIMIT ?"
        with self.transaction() as db:
            rows = self._execute(db, query, (*args, limit)).fetchall()
            progress: dict[str, dict[str, int]] = {}
            if rows:
                marks = ", ".join("?" * len(rows))
                for r in self._execute(
                    db,
                    f"SELECT job_id, state, COUNT(*) AS n FROM films WHERE job_id IN ({marks})"
                    " GROUP BY job_id, state",
                    [r["id"] for r in rows],
                ).fetchall():
                    progress.setdefault(r["job_id"], {})[r["state"]] = r["n"]
        out = []
        for row in rows:
            job = _job(row)
            job["film_states"] = progress.get(row["id"], {})
            out.append(job)
        return out

    def unfinished(self) -> list[dict[str, Any]]:
        """Jobs to resume after a restart, each with ``next_film``; films caught in
        ``sending`` get the at-least-once note and go back to ``pending``."""
        with self.transaction() as db:
            caught = self._execute(
                db,
                "SELECT job_id, idx, state, notes FROM films"
                " WHERE state IN ('sending', 'staged', 'formatting')",
            ).fetchall()
            for row in caught:
                self._note_film(db, row)
        rows = self._query(
            f"SELECT * FROM jobs WHERE state IN ({', '.join('?' * len(UNFINISHED))}) ORDER BY seq",
            UNFINISHED,
        )
        out = []
        for row in rows:
            job = _job(row)
            job["next_film"] = self.next_film(row["id"])
            out.append(job)
        return out

    def _note_film(self, db: Any, row: Any) -> None:
        """A film caught in hand goes back to ``pending``; one caught ``sending`` (its
        N-ACTION may have reached the printer) keeps the at-least-once note. One caught
        ``formatting`` or ``staged`` (a collated session's Film Box, its N-ACTION not
        yet sent) was not printed: no note."""
        notes = json.loads(row["notes"])
        if row["state"] == "sending":
            notes.append(AT_LEAST_ONCE_NOTE)
            self._execute(db, "UPDATE counters SET value = value + 1 WHERE name = ?", (EDGES,))
        self._execute(
            db,
            "UPDATE films SET state = 'pending', notes = ? WHERE job_id = ? AND idx = ?",
            (json.dumps(notes), row["job_id"], row["idx"]),
        )

    def next_film(self, job_id: str) -> int:
        """The job's first film not printed (films print in order)."""
        row = self._one(
            "SELECT COUNT(*) AS n FROM films WHERE job_id = ? AND state = 'printed'", (job_id,)
        )
        return int(row["n"])

    def max_seq(self) -> int:
        return int(self._one("SELECT COALESCE(MAX(seq), 0) AS n FROM jobs")["n"])

    def counts(self) -> dict[str, int]:
        rows = self._query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    def film_counts(self) -> dict[str, int]:
        """Films by state, over every job the spool keeps (the whole group's)."""
        rows = self._query("SELECT state, COUNT(*) AS n FROM films GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    # ------------------------------------------------------------------ the queue
    def _claimable(self, targets: Sequence[str], guard: str = "") -> str:
        marks = ", ".join("?" * len(targets))
        return (
            f"SELECT * FROM jobs WHERE owner IS NULL AND cancel_requested = 0"
            f" AND target IN ({marks}) AND (pinned IS NULL OR pinned = ?)"
            " AND (state IN ('queued', 'preempted', 'printing')"
            "      OR (state = 'held' AND retry_at IS NOT NULL AND retry_at <= ?))"
            f"{guard} ORDER BY {ORDER} LIMIT 1"
        )

    def claim(
        self, printer: str, targets: Sequence[str], owner: str
    ) -> tuple[dict[str, Any], int] | None:
        """Take the best job ``printer`` may print now: it is ``owner``'s until its film
        is recorded. Returns (the job, the index of its first unprinted film), or None."""
        if not targets:
            return None
        guard, guard_args = self._claim_guard(printer, owner)
        with self.transaction() as db:
            row = self._execute(
                db,
                self._claimable(targets, guard) + self.LOCK,
                (*targets, printer, time.time(), *guard_args),
            ).fetchone()
            if row is None:
                return None
            self._execute(
                db,
                "UPDATE jobs SET owner = ?, pinned = ?, retry_at = NULL WHERE id = ?",
                (owner, printer, row["id"]),
            )
            self._claimed(db, printer, owner)
            done = self._execute(
                db,
                "SELECT COUNT(*) AS n FROM films WHERE job_id = ? AND state = 'printed'",
                (row["id"],),
            ).fetchone()
        return _job(row), int(done["n"])

    def best(self, printer: str, targets: Sequence[str]) -> str | None:
        """The id of the job ``printer`` would claim now (nothing is taken)."""
        if not targets:
            return None
        row = self._one(self._claimable(targets), (*targets, printer, time.time()))
        return None if row is None else row["id"]

    def next_retry(self, targets: Sequence[str]) -> float | None:
        """When the earliest held job of these targets is retried (epoch seconds)."""
        if not targets:
            return None
        marks = ", ".join("?" * len(targets))
        row = self._one(
            f"SELECT MIN(retry_at) AS t FROM jobs WHERE state = 'held' AND target IN ({marks})",
            tuple(targets),
        )
        return None if row is None or row["t"] is None else float(row["t"])

    def waiting_order(self) -> list[str]:
        """Unfinished job ids in the order they would print (held ones last)."""
        marks = ", ".join("?" * len(UNFINISHED))
        rows = self._query(
            f"SELECT id FROM jobs WHERE state IN ({marks})"
            f" ORDER BY CASE state WHEN 'held' THEN 1 ELSE 0 END, {ORDER}",
            UNFINISHED,
        )
        return [r["id"] for r in rows]

    def unfinished_rows(self) -> list[dict[str, Any]]:
        marks = ", ".join("?" * len(UNFINISHED))
        rows = self._query(f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY seq", UNFINISHED)
        out = []
        for row in rows:
            job = _job(row)
            job.update(pinned=row["pinned"], owner=row["owner"])
            job["cancel_requested"] = bool(row["cancel_requested"])
            out.append(job)
        return out

    def queued_by_target(self) -> dict[str, int]:
        marks = ", ".join("?" * len(UNFINISHED))
        rows = self._query(
            f"SELECT target, COUNT(*) AS n FROM jobs WHERE state IN ({marks}) GROUP BY target",
            UNFINISHED,
        )
        return {r["target"]: int(r["n"]) for r in rows}

    def recover(self, pinned: str | None = None) -> list[tuple[dict[str, Any], int, str]]:
        """Jobs whose film was in hand when the server holding them stopped (all of
        them, or those pinned to one printer): their films caught in ``formatting``,
        ``staged`` or ``sending`` go back to ``pending`` (``sending`` ones with the
        at-least-once note), the job back in
        the queue. Returns (job, its first unprinted film, the state it had)."""
        where = "(state = 'printing' OR owner IS NOT NULL)"
        args: tuple = ()
        if pinned is not None:
            where += " AND pinned = ?"
            args = (pinned,)
        out = []
        with self.transaction() as db:
            rows = self._execute(
                db,
                f"SELECT * FROM jobs WHERE {where} AND state IN ('queued', 'printing',"
                " 'preempted', 'held')" + self.LOCK,
                args,
            ).fetchall()
            for row in rows:
                caught = self._execute(
                    db,
                    "SELECT job_id, idx, state, notes FROM films WHERE job_id = ?"
                    " AND state IN ('sending', 'staged', 'formatting')",
                    (row["id"],),
                ).fetchall()
                for film in caught:
                    self._note_film(db, film)
                done = self._execute(
                    db,
                    "SELECT COUNT(*) AS n FROM films WHERE job_id = ? AND state = 'printed'",
                    (row["id"],),
                ).fetchone()
                self._execute(db, "UPDATE jobs SET owner = NULL WHERE id = ?", (row["id"],))
                self._announce(db, note("job", row["id"]))
                out.append((_job(row), int(done["n"]), row["state"]))
        return out

    # ------------------------------------------------------------------ printers
    def acquire_printer(
        self,
        name: str,
        owner: str,
        lease: float,
        status: dict[str, Any] | None = None,
        busy: bool = False,
    ) -> bool:
        """Hold (or renew) ``name`` for ``owner``: one server per printer in a group;
        ``busy``: the holder has work for it. A lone server always holds its printers."""
        return True

    def release_printer(self, name: str, owner: str, to: str | None = None) -> None:
        """Give ``name`` up (removed from this server's configuration, stopping, or
        handed ``to`` another instance of the group at a film boundary)."""

    def _claimed(self, db: Any, printer: str, owner: str) -> None:
        """Inside a claim's transaction (PostgreSQL: the printer is busy)."""

    def printer_holders(self) -> dict[str, dict[str, Any]]:
        """Each printer's holder and last status, as the group knows them."""
        return {}

    def announce(self, instance: str, targets: dict[str, list[str]], lease: float) -> None:
        """This instance is alive for ``lease`` seconds and serves ``targets`` (each
        target's printers) — a group's heartbeat; nothing for a lone server."""

    def retire(self, instance: str) -> None:
        """This instance stops: the group no longer counts it."""

    def members(self, lease: float = 5.0) -> list[dict[str, Any]] | None:
        """The group's live instances (see PostgresSpool); None for a lone server."""
        return None

    # ------------------------------------------------------------------ retention
    def purge(self, now: float | None = None) -> list[str]:
        """Forget finished jobs older than the retention time: rows and files. The
        counters (the at-least-once edges) keep counting what was forgotten."""
        cutoff = (now or time.time()) - self.retention
        rows = self._query(
            "SELECT id FROM jobs WHERE finished IS NOT NULL AND finished < ?", (cutoff,)
        )
        gone = [row["id"] for row in rows]
        for job_id in gone:
            with self.transaction() as db:
                self._execute(db, "DELETE FROM events WHERE job_id = ?", (job_id,))
                self._purge_rows(db, job_id)
                self._execute(db, "DELETE FROM jobs WHERE id = ?", (job_id,))
                self._announce(db, note("job", job_id))
            shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        return gone

    def _purge_rows(self, db: Any, job_id: str) -> None:
        """The engine's own rows of a job being purged (films and images go with the
        job's row: ``ON DELETE CASCADE``)."""


class SqliteSpool(SqlSpool):
    """The embedded default: one file, one server."""

    backend = "sqlite"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.db: sqlite3.Connection | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._notes: list[str] = []  # the open transaction's changes, told after COMMIT

    def open(self) -> None:
        for sub in ("incoming", "jobs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            self.root / "spool.db", isolation_level=None, check_same_thread=False
        )
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        have = {row["name"] for row in self.db.execute("PRAGMA table_info(jobs)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in have:
                self.db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
        with self.transaction() as db:
            self._start_counters(db)
        self._sweep_folders()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        assert self.db is not None
        if self.db.in_transaction:  # nested: part of the caller's transaction
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            self._notes.clear()
            raise
        self.db.execute("COMMIT")
        notes, self._notes = self._notes, []
        for text in dict.fromkeys(notes):
            for listener in self._listeners:
                listener(text)

    def listen(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _announce(self, db: Any, text: str) -> None:
        self._notes.append(text)


Spool = SqliteSpool  # the name tests and older callers use


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _job(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "seq": row["seq"],
        "created": row["created"],
        "updated": row["updated"],
        "finished": row["finished"],
        "priority": row["priority"],
        "target": row["target"],
        "state": row["state"],
        "reason": row["reason"],
        "printer": row["printer"],
        "film_count": row["films"],
        "bytes": row["bytes"],
        "spec": json.loads(row["spec"]),
        "owner": row["owner"],  # the server whose printer holds a film of it now
    }


def _film(row: Any, detail: bool = True) -> dict[str, Any]:
    film = {
        "index": row["idx"],
        "state": row["state"],
        "printer": row["printer"],
        "attempts": row["attempts"],
        "reason": row["reason"],
        "warnings": json.loads(row["warnings"]),
        "notes": json.loads(row["notes"]),
        "print_job_uid": row["print_job_uid"],
        "format_seconds": row["format_seconds"],
        "print_seconds": row["print_seconds"],
        "preview": bool(row["preview"]),
    }
    if detail:
        film["operations"] = json.loads(row["operations"])
    return film
