"""The spool: every job and its images on disk before the server says 201, and each
film's outcome after it, so a killed server loses nothing.

Layout under the spool directory::

    spool.db                 SQLite, WAL journal, synchronous=FULL
    incoming/<token>/        an upload being received (removed if the job is refused)
    jobs/<job id>/images/    the job's images, NNNN.dcm, fsynced
    jobs/<job id>/previews/  film previews, NNNN.png

A job is committed in this order: each image file is written and fsynced, the
``incoming`` folder is renamed to ``jobs/<id>`` and both parent folders are fsynced, then
the job's rows go in with one transaction (WAL + ``synchronous=FULL``: durable when
``commit`` returns). Only then does the server answer. A crash before the commit leaves
an orphan folder, which :meth:`Spool.open` removes; after it, the job is there.

Films: before a film's first DIMSE message goes out its row says ``sending``; after the
answer, ``printed`` (or ``failed``) with every DIMSE status. A server killed between
the two cannot know whether the printer printed the film (the N-ACTION may have been
sent and its answer lost): on restart that film is printed again and its row keeps a
note saying so. That is the at-least-once edge: a film can come out twice, never with
no record of why, and never zero times.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    spec TEXT NOT NULL
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
"""

UNFINISHED = ("queued", "printing", "preempted", "held")
AT_LEAST_ONCE_NOTE = (
    "the server stopped while this film was being sent; the printer may or may not have "
    "printed it, so it is printed again (at least once)"
)


class SpoolFull(OSError):
    """No room for a new job: the spool's size limit or the disk's free space."""


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

    def __init__(self, spool: Spool):
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

    def copy_from(self, name: str, source: Path) -> None:
        """Copy a server-side file in, so the job does not depend on it staying there."""
        target, relative = self.file_for(name)
        self.spool.check_room(self.bytes + source.stat().st_size)
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        self.add(name, relative, target.stat().st_size)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class Spool:
    """SQLite + files. Used from the event loop's thread only (every call is short)."""

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
        self.db: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ open / close
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
        # Uploads that never became jobs, and job folders whose rows never committed.
        shutil.rmtree(self.root / "incoming", ignore_errors=True)
        (self.root / "incoming").mkdir()
        known = {row["id"] for row in self.db.execute("SELECT id FROM jobs")}
        for folder in (self.root / "jobs").iterdir():
            if folder.name not in known:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        assert self.db is not None
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ room
    def used_bytes(self) -> int:
        assert self.db is not None
        row = self.db.execute("SELECT COALESCE(SUM(bytes), 0) FROM jobs").fetchone()
        return int(row[0])

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
        seq: int,
        spec: dict[str, Any],
        priority: str,
        target: str,
        films: int,
        incoming: Incoming,
    ) -> None:
        """Make the job durable: files and folders fsynced, then the rows committed."""
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
                db.execute(
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
                db.executemany(
                    "INSERT INTO images (job_id, idx, name, file, size, frames)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (job_id, i, im.name, im.file, im.size, im.frames)
                        for i, im in enumerate(incoming.images)
                    ],
                )
                db.executemany(
                    "INSERT INTO films (job_id, idx, state, updated) VALUES (?, ?, 'pending', ?)",
                    [(job_id, i, now) for i in range(films)],
                )
                db.execute(
                    "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)", (job_id, now, "queued")
                )
        except BaseException:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise

    def image_paths(self, job_id: str) -> list[Path]:
        assert self.db is not None
        rows = self.db.execute("SELECT file FROM images WHERE job_id = ? ORDER BY idx", (job_id,))
        folder = self.job_dir(job_id)
        return [folder / row["file"] for row in rows]

    def frames(self, job_id: str) -> list[tuple[Path, int]]:
        """Every frame of the job in box order: (file, frame index)."""
        assert self.db is not None
        rows = self.db.execute(
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
    ) -> None:
        assert self.db is not None
        now = time.time()
        finished = now if state in ("done", "failed", "cancelled") else None
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET state = ?, reason = ?, printer = COALESCE(?, printer),"
                " updated = ?, finished = ? WHERE id = ?",
                (state, reason, printer, now, finished, job_id),
            )
            db.execute(
                "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)",
                (job_id, now, event or (state + (f": {reason}" if reason else ""))),
            )

    def set_film(self, job_id: str, idx: int, **values: Any) -> None:
        """Update a film's row; lists are stored as JSON."""
        assert self.db is not None
        values["updated"] = time.time()
        for key in ("operations", "warnings", "notes"):
            if key in values:
                values[key] = json.dumps(values[key])
        columns = ", ".join(f"{key} = ?" for key in values)
        with self.transaction() as db:
            db.execute(
                f"UPDATE films SET {columns} WHERE job_id = ? AND idx = ?",
                (*values.values(), job_id, idx),
            )

    def film(self, job_id: str, idx: int) -> dict[str, Any] | None:
        assert self.db is not None
        row = self.db.execute(
            "SELECT * FROM films WHERE job_id = ? AND idx = ?", (job_id, idx)
        ).fetchone()
        return _film(row) if row else None

    def preview_path(self, job_id: str, idx: int) -> Path:
        return self.job_dir(job_id) / "previews" / f"{idx:04d}.png"

    def add_event(self, job_id: str, text: str) -> None:
        assert self.db is not None
        self.db.execute(
            "INSERT INTO events (job_id, t, text) VALUES (?, ?, ?)", (job_id, time.time(), text)
        )

    # ------------------------------------------------------------------ reading
    def job(self, job_id: str, detail: bool = True) -> dict[str, Any] | None:
        assert self.db is not None
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = _job(row)
        films = self.db.execute("SELECT * FROM films WHERE job_id = ? ORDER BY idx", (job_id,))
        job["films"] = [_film(f, detail) for f in films]
        if detail:
            events = self.db.execute(
                "SELECT t, text FROM events WHERE job_id = ? ORDER BY id", (job_id,)
            )
            job["events"] = [{"t": e["t"], "text": e["text"]} for e in events]
        return job

    def jobs(self, states: tuple[str, ...] | None = None, limit: int = 500) -> list[dict]:
        assert self.db is not None
        query = "SELECT * FROM jobs"
        args: tuple = ()
        if states:
            query += f" WHERE state IN ({', '.join('?' * len(states))})"
            args = states
        query += " ORDER BY created DESC, seq DESC LIMIT ?"
        rows = self.db.execute(query, (*args, limit)).fetchall()
        progress = {}
        if rows:
            marks = ", ".join("?" * len(rows))
            for r in self.db.execute(
                f"SELECT job_id, state, COUNT(*) AS n FROM films WHERE job_id IN ({marks})"
                " GROUP BY job_id, state",
                [r["id"] for r in rows],
            ):
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
        assert self.db is not None
        with self.transaction() as db:
            caught = db.execute(
                "SELECT job_id, idx, notes FROM films WHERE state IN ('sending', 'formatting')"
            ).fetchall()
            for row in caught:
                notes = json.loads(row["notes"])
                notes.append(AT_LEAST_ONCE_NOTE)
                db.execute(
                    "UPDATE films SET state = 'pending', notes = ? WHERE job_id = ? AND idx = ?",
                    (json.dumps(notes), row["job_id"], row["idx"]),
                )
        rows = self.db.execute(
            f"SELECT * FROM jobs WHERE state IN ({', '.join('?' * len(UNFINISHED))}) ORDER BY seq",
            UNFINISHED,
        ).fetchall()
        out = []
        for row in rows:
            job = _job(row)
            done = self.db.execute(
                "SELECT COUNT(*) FROM films WHERE job_id = ? AND state = 'printed'", (row["id"],)
            ).fetchone()[0]
            job["next_film"] = int(done)
            out.append(job)
        return out

    def max_seq(self) -> int:
        assert self.db is not None
        return int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0])

    def counts(self) -> dict[str, int]:
        assert self.db is not None
        return {
            r[0]: r[1] for r in self.db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        }

    # ------------------------------------------------------------------ retention
    def purge(self, now: float | None = None) -> list[str]:
        """Forget finished jobs older than the retention time: rows and files."""
        assert self.db is not None
        cutoff = (now or time.time()) - self.retention
        rows = self.db.execute(
            "SELECT id FROM jobs WHERE finished IS NOT NULL AND finished < ?", (cutoff,)
        ).fetchall()
        gone = [row["id"] for row in rows]
        for job_id in gone:
            with self.transaction() as db:
                db.execute("DELETE FROM events WHERE job_id = ?", (job_id,))
                db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        return gone


def _job(row: sqlite3.Row) -> dict[str, Any]:
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
    }


def _film(row: sqlite3.Row, detail: bool = True) -> dict[str, Any]:
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
