"""The spool in PostgreSQL: several ``hcs serve`` instances share one queue.

The same interface and SQL as :class:`hcs.server.spool.SqlSpool`; what differs:

- **Durability**: a commit returns once PostgreSQL has flushed its WAL
  (``synchronous_commit`` on, the default), so ``201`` still means durable. The job's
  image bytes go into the same transaction (``image_data``), so every instance can print
  a job any instance took; each instance keeps a local copy under its own spool folder
  (``jobs/<id>/``) as a cache.
- **Claims**: :meth:`claim` selects ``FOR UPDATE SKIP LOCKED``, so two instances asking
  at once each get a different job, and the order (priority, then arrival) is the
  group's, not one instance's.
- **Printers**: one instance at a time holds a printer through a lease, a row in
  ``printers`` with an expiry it renews. A claim is only granted while the lease is
  held. An instance that dies stops renewing; after the lease time another takes the
  printer and resumes its jobs from their first unprinted film (the film caught in
  ``sending`` gets the at-least-once note, and is counted).
- **Wake-ups and live updates**: every change of a job, film or printer sends
  ``NOTIFY hcs`` with a short note naming it (``job ID``, ``film ID N``, ``printer
  NAME``: :mod:`hcs.server.live`), in the transaction that made it. Each instance
  ``LISTEN``\\ s on its own connection: job and printer notes wake its workers, and
  every note goes to the consoles that follow it (``GET /events``), so neither the
  workers nor the consoles poll.
- **Outage**: an error on the connection raises :class:`SpoolUnavailable`; the
  instance stops taking work, ``/health`` says why, and the next call after a short
  back-off connects again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from hcs.server.live import note
from hcs.server.spool import Incoming, SpoolUnavailable, SqlSpool

log = logging.getLogger("hcs.server.spool")

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS job_seq;
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL,
    finished DOUBLE PRECISION,
    priority TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    printer TEXT,
    films INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    spec TEXT NOT NULL,
    pinned TEXT,
    owner TEXT,
    retry_at DOUBLE PRECISION,
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
    format_seconds DOUBLE PRECISION,
    print_seconds DOUBLE PRECISION,
    preview INTEGER NOT NULL DEFAULT 0,
    updated DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS images (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    size BIGINT NOT NULL,
    frames INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS image_data (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    file TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (job_id, file)
);
CREATE TABLE IF NOT EXISTS previews (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    png BYTEA NOT NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL,
    t DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id);
CREATE TABLE IF NOT EXISTS printers (
    name TEXT PRIMARY KEY,
    owner TEXT,
    expires DOUBLE PRECISION NOT NULL DEFAULT 0,
    status TEXT,
    updated DOUBLE PRECISION NOT NULL DEFAULT 0
);
ALTER TABLE printers ADD COLUMN IF NOT EXISTS busy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE printers ADD COLUMN IF NOT EXISTS offered TEXT;
CREATE TABLE IF NOT EXISTS instances (
    name TEXT PRIMARY KEY,
    expires DOUBLE PRECISION NOT NULL,
    printers TEXT NOT NULL DEFAULT '[]',
    targets TEXT NOT NULL DEFAULT '{}',
    started DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
    id BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    printer TEXT,
    owner TEXT,
    t DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS edges_job ON edges(job_id);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
"""
NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
CHANNEL = "hcs"
SCHEMA_LOCK = 0x4843_5331  # "HCS1": one instance creates the tables at a time


def _placeholders(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresSpool(SqlSpool):
    """The spool in a PostgreSQL database shared by a group of servers."""

    backend = "postgresql"
    shared = True
    LOCK = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        root: Path,
        url: str,
        instance: str,
        connect_options: dict[str, Any] | None = None,
        max_bytes: float = 2 << 30,
        reserve_bytes: float = 64 << 20,
        retention: float = 86400.0,
        timeout: float = 5.0,
    ):
        super().__init__(root, max_bytes, reserve_bytes, retention)
        self.url = url
        self.instance = instance
        self.timeout = timeout
        # statement_timeout: the server ends a statement that runs or waits for a lock
        # longer than this (a hung database is detected, not waited for)
        self.options = {
            "connect_timeout": max(1, round(min(3.0, timeout))),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
            **(connect_options or {}),
        }
        self.conn: Any = None
        self.error: str | None = None  # why the database cannot be reached, or None
        self._retry_after = 0.0
        self._hung: str | None = None  # why the call in hand was interrupted
        self._listener: threading.Thread | None = None
        self._closing = threading.Event()
        self._sql: dict[str, str] = {}
        self._status_told: dict[str, str] = {}  # printer -> the status last announced

    # ------------------------------------------------------------------ connection
    def _connect(self) -> Any:
        import psycopg
        from psycopg.rows import dict_row

        return psycopg.connect(
            self.url,
            autocommit=True,
            row_factory=dict_row,
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=2,
            application_name=f"hcs {self.instance}"[:63],
            **self.options,
        )

    def _connection(self) -> Any:
        if self.conn is not None and not self.conn.closed:
            return self.conn
        if time.monotonic() < self._retry_after:
            raise SpoolUnavailable(self.error or "the database is unreachable")
        try:
            self.conn = self._connect()
        except Exception as error:
            self._down(error)
        if self.error is not None:
            log.warning("the spool's database is back: taking work again")
        self.error = None
        return self.conn

    def _down(self, error: BaseException) -> None:
        first = (str(error).strip().splitlines() or [""])[0]
        text = f"{type(error).__name__}: {first}"
        if self._hung is not None:
            text, self._hung = self._hung, None
        if self.error is None:
            log.warning(
                "the spool's database is unreachable (%s): no new work until it is back",
                text,
            )
        self.error = text
        self._retry_after = time.monotonic() + 0.5
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None
        raise SpoolUnavailable(text) from None

    @property
    def available(self) -> bool:
        return self.error is None

    def interrupt(self, reason: str) -> None:
        """Shut the connection's socket down under the call blocked on it (this runs in
        another thread): its read ends with an error at once, and :meth:`_down` marks
        the database unreachable with ``reason``. Nothing else of the connection is
        touched here; the thread that owns it closes it."""
        if self.error is None:
            log.warning("the spool's database is hung (%s): no new work until it answers", reason)
        self.error = reason
        self._hung = reason
        conn = self.conn
        with contextlib.suppress(Exception):
            fd = conn.pgconn.socket
            with socket.socket(fileno=os.dup(fd)) as sock:
                sock.shutdown(socket.SHUT_RDWR)

    def ping(self) -> bool:
        with contextlib.suppress(SpoolUnavailable):
            self._one("SELECT 1 AS one")
        return self.error is None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        import psycopg

        conn = self._connection()
        try:
            with conn.transaction():
                yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            self._down(error)

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return self._read(sql, args).fetchall()

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self._read(sql, args).fetchone()

    def _read(self, sql: str, args: Sequence[Any]) -> Any:
        """One statement in autocommit: a single round trip."""
        import psycopg

        conn = self._connection()
        try:
            return self._execute(conn, sql, args)
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            self._down(error)

    def _execute(self, db: Any, sql: str, args: Sequence[Any] = ()) -> Any:
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = _placeholders(sql)
        return db.execute(text, tuple(args))

    def _executemany(self, db: Any, sql: str, rows: list[Sequence[Any]]) -> None:
        if rows:
            with db.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    def _next_seq(self, db: Any) -> int:
        return int(self._execute(db, "SELECT nextval('job_seq') AS n").fetchone()["n"])

    def _notify(self, db: Any, payload: str) -> None:
        self._execute(db, "SELECT pg_notify(?, ?)", (CHANNEL, payload))

    def _announce(self, db: Any, text: str) -> None:
        self._notify(db, text)

    # ------------------------------------------------------------------ open / close
    def open(self) -> None:
        for sub in ("incoming", "jobs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        with self.transaction() as db:
            self._execute(db, f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            self._start_counters(db)
        self._sweep_folders()

    def close(self) -> None:
        self._closing.set()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None

    def listen(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(note)`` (from a thread) for every ``NOTIFY hcs``, whichever
        instance sent it; it reconnects by itself after the database comes back (and
        calls ``callback("")``: whatever happened meanwhile was missed)."""

        def run() -> None:
            while not self._closing.is_set():
                try:
                    with self._connect() as conn:
                        conn.execute(f"LISTEN {CHANNEL}")
                        callback("")  # (re)connected: whatever happened meanwhile
                        while not self._closing.is_set():
                            for message in conn.notifies(timeout=1.0):
                                callback(message.payload)
                except Exception:
                    self._closing.wait(0.5)

        self._listener = threading.Thread(target=run, name="hcs-listen", daemon=True)
        self._listener.start()

    # ------------------------------------------------------------------ images
    def _store_images(self, db: Any, job_id: str, folder: Path, incoming: Incoming) -> None:
        for image in incoming.images:
            data = (folder / image.file).read_bytes()
            self._execute(
                db,
                "INSERT INTO image_data (job_id, file, data) VALUES (?, ?, ?)",
                (job_id, image.file, data),
            )

    def _fetch_images(self, job_id: str) -> None:
        folder = self.job_dir(job_id)
        files = self._query("SELECT file FROM images WHERE job_id = ?", (job_id,))
        if all((folder / row["file"]).is_file() for row in files):
            return
        rows = self._query("SELECT file, data FROM image_data WHERE job_id = ?", (job_id,))
        for row in rows:
            target = folder / row["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(".part")
            temporary.write_bytes(bytes(row["data"]))
            temporary.replace(target)

    def store_preview(self, job_id: str, idx: int, png: bytes) -> None:
        super().store_preview(job_id, idx, png)
        with self.transaction() as db:
            self._execute(
                db,
                "INSERT INTO previews (job_id, idx, png) VALUES (?, ?, ?)"
                " ON CONFLICT (job_id, idx) DO UPDATE SET png = EXCLUDED.png",
                (job_id, idx, png),
            )

    def preview_file(self, job_id: str, idx: int) -> Path | None:
        path = self.preview_path(job_id, idx)
        if not path.is_file():
            row = self._one("SELECT png FROM previews WHERE job_id = ? AND idx = ?", (job_id, idx))
            if row is None:
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(row["png"]))
        return path

    # ------------------------------------------------------------------ jobs
    def _note_film(self, db: Any, row: Any) -> None:
        super()._note_film(db, row)
        if row["state"] != "sending":
            return
        self._execute(
            db,
            "INSERT INTO edges (job_id, idx, printer, owner, t) VALUES (?, ?, ?, ?, ?)",
            (row["job_id"], row["idx"], None, self.instance, time.time()),
        )

    def _count_edges(self, db: Any) -> int:
        return int(self._execute(db, "SELECT COUNT(*) AS n FROM edges").fetchone()["n"])

    def _purge_rows(self, db: Any, job_id: str) -> None:
        """The job's edge rows (who sent which film again, and when) go with it; the
        ``edges`` counter keeps counting them. Image bytes and previews would go by
        ``ON DELETE CASCADE``; they are deleted here too, so no purge depends on it."""
        for table in ("edges", "image_data", "previews"):
            self._execute(db, f"DELETE FROM {table} WHERE job_id = ?", (job_id,))

    def _claim_guard(self, printer: str, owner: str) -> tuple[str, tuple]:
        return (
            " AND EXISTS (SELECT 1 FROM printers"
            f" WHERE name = ? AND owner = ? AND expires > {NOW})",
            (printer, owner),
        )

    # ------------------------------------------------------------------ printers
    def acquire_printer(
        self,
        name: str,
        owner: str,
        lease: float,
        status: dict[str, Any] | None = None,
        busy: bool = False,
    ) -> bool:
        """Take or renew ``name``'s lease; the instance's heartbeat is renewed in the
        same statement. A printer released *to* another instance (a hand-over) is only
        that instance's to take, until the offer is a lease time old or that instance
        is gone (stopped, or its heartbeat lapsed)."""
        row = self._one(
            f"WITH beat AS (UPDATE instances SET expires = {NOW} + ? WHERE name = ?)"
            " INSERT INTO printers (name, owner, expires, status, busy, updated)"
            f" VALUES (?, ?, {NOW} + ?, ?, ?, {NOW})"
            " ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner,"
            " expires = EXCLUDED.expires, status = EXCLUDED.status,"
            " busy = CASE WHEN printers.offered = EXCLUDED.owner THEN 1 ELSE EXCLUDED.busy END,"
            " offered = NULL, updated = EXCLUDED.updated"
            " WHERE printers.owner = EXCLUDED.owner"
            " OR ((printers.owner IS NULL OR printers.expires < EXCLUDED.updated)"
            "     AND (printers.offered IS NULL OR printers.offered = EXCLUDED.owner"
            "          OR printers.updated < EXCLUDED.updated - ?"
            "          OR NOT EXISTS (SELECT 1 FROM instances WHERE name = printers.offered"
            "                         AND expires > EXCLUDED.updated)))"
            " RETURNING owner",
            (
                lease,
                owner,
                name,
                owner,
                lease,
                json.dumps(status or {}, default=str),
                int(busy),
                lease,
            ),
        )
        self._tell_printer(name, row is not None, status)
        return row is not None

    def _tell_printer(self, name: str, held: bool, status: dict[str, Any] | None) -> None:
        """Announce a printer taken, or its status changed, to the group's consoles
        (a lease renewal with the same status says nothing)."""
        if not held:
            self._status_told.pop(name, None)
            return
        text = json.dumps(status or {}, default=str, sort_keys=True)
        if self._status_told.get(name) != text:
            self._status_told[name] = text
            self._one("SELECT pg_notify(?, ?) AS told", (CHANNEL, note("printer", name)))

    def release_printer(self, name: str, owner: str, to: str | None = None) -> None:
        with self.transaction() as db:
            self._execute(
                db,
                f"UPDATE printers SET owner = NULL, expires = 0, busy = 0, offered = ?,"
                f" updated = {NOW} WHERE name = ? AND owner = ?",
                (to, name, owner),
            )
            self._notify(db, note("printer", name))
        self._status_told.pop(name, None)

    def _claimed(self, db: Any, printer: str, owner: str) -> None:
        self._execute(
            db, "UPDATE printers SET busy = 1 WHERE name = ? AND owner = ?", (printer, owner)
        )

    # ------------------------------------------------------------------ the group
    def announce(self, instance: str, targets: dict[str, list[str]], lease: float) -> None:
        printers = sorted({p for members in targets.values() for p in members})
        self._read(
            "INSERT INTO instances (name, expires, printers, targets, started, updated)"
            f" VALUES (?, {NOW} + ?, ?, ?, {NOW}, {NOW})"
            " ON CONFLICT (name) DO UPDATE SET expires = EXCLUDED.expires,"
            " printers = EXCLUDED.printers, targets = EXCLUDED.targets,"
            " updated = EXCLUDED.updated",
            (instance, lease, json.dumps(printers), json.dumps(targets, sort_keys=True)),
        )

    def retire(self, instance: str) -> None:
        self._read("DELETE FROM instances WHERE name = ?", (instance,))

    def members(self, lease: float = 5.0) -> list[dict[str, Any]]:
        """The live instances: name, the printers and targets each serves, and how
        many busy printers each holds or is being handed (an offer younger than
        ``lease``, not yet taken)."""
        rows = self._query(
            "SELECT i.name, i.printers, i.targets, i.started,"
            " (SELECT COUNT(*) FROM printers p WHERE (p.owner = i.name AND p.busy = 1"
            f"   AND p.expires > {NOW}) OR (p.owner IS NULL AND p.offered = i.name"
            f"   AND p.updated > {NOW} - ?)) AS busy,"
            f" (SELECT COUNT(*) FROM printers p WHERE p.owner = i.name AND p.expires > {NOW})"
            " AS held"
            f" FROM instances i WHERE i.expires > {NOW} ORDER BY i.name",
            (lease,),
        )
        return [
            {
                "name": r["name"],
                "printers": json.loads(r["printers"]),
                "targets": json.loads(r["targets"]),
                "started": r["started"],
                "busy": int(r["busy"]),
                "held": int(r["held"]),
            }
            for r in rows
        ]

    def printer_holders(self) -> dict[str, dict[str, Any]]:
        rows = self._query(
            f"SELECT name, owner, expires - {NOW} AS remaining, status FROM printers ORDER BY name"
        )
        out = {}
        for row in rows:
            live = row["owner"] is not None and row["remaining"] > 0
            out[row["name"]] = {
                "instance": row["owner"] if live else None,
                "lease_remaining": max(0.0, float(row["remaining"])) if live else 0.0,
                "status": json.loads(row["status"] or "{}"),
            }
        return out
