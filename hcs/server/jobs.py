"""The jobs service: the one place where a job or a film changes state.

The worker and the HTTP layer see only this narrow interface (:class:`JobService`):

- HTTP: :meth:`Jobs.submit`, :meth:`Jobs.cancel`, :meth:`Jobs.job`, :meth:`Jobs.jobs`,
  :meth:`Jobs.preview`, plus the spool's ``incoming``/``check_room`` for uploads.
- a printer's worker: :meth:`Jobs.next_film` (a :class:`Turn`: the job's first unprinted
  film, now in this server's hands), :meth:`Jobs.film` (the turn's film moves to a
  :class:`FilmState`), and :meth:`Jobs.apply` with a :class:`FilmOutcome` value when the
  printer has answered. The worker never touches the spool or the server's internals.

Every job change goes through :meth:`Jobs.transition` (checked against
:data:`hcs.server.states.JOB_TRANSITIONS`, written with its event line, logged as one
JSON line on ``hcs.server.jobs``, and the printers that may act on it woken); every film
change through :meth:`Jobs.film` (checked against ``FILM_TRANSITIONS``).

The queue's truth is the spool (:mod:`hcs.server.spool`): with PostgreSQL several servers
share it, so nothing here keeps jobs in memory. :class:`Jobs` is synchronous and runs in
the server's database thread (:mod:`hcs.server.database`), so ``wake`` is called from
that thread.
"""

from __future__ import annotations

import enum
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hcs.server import balance
from hcs.server.config import Config
from hcs.server.jobspec import JobSpec
from hcs.server.metrics import Metrics
from hcs.server.spool import Incoming, SpoolUnavailable, SqlSpool
from hcs.server.states import (
    TERMINAL,
    FilmState,
    Priority,
    State,
    check_film,
    check_job,
)

job_log = logging.getLogger("hcs.server.jobs")
log = logging.getLogger("hcs.server")
REMOVED = "printer removed from the configuration"
CLIENT_HOLD = "held by a client"


class JobConflict(ValueError):
    """A request the job's state does not allow (holding a job whose film is in hand,
    changing a finished job's priority); the HTTP layer answers 409."""


@dataclass
class Turn:
    """One film of one job, in a printer's hands until its outcome is applied; or, for a
    collated job, its whole session: every unprinted film, printed by one N-ACTION."""

    job_id: str
    index: int  # the (first) film, from 0
    printer: str
    spec: JobSpec
    films: int  # the job's film count
    attempts: int
    count: int = 1  # films in this turn
    session: bool = False  # a collated job: one Film Session, one N-ACTION on it
    states: dict[int, FilmState] = field(default_factory=dict)  # each film's, as written

    @property
    def indexes(self) -> range:
        return range(self.index, self.index + self.count)

    @property
    def film_state(self) -> FilmState:
        """The state of the turn's first film (a one-film turn's film)."""
        return self.states.get(self.index, FilmState.PENDING)


class Result(enum.Enum):
    """What became of a film: the printer's answer, as the server acts on it."""

    PRINTED = "printed"  # the job goes on with its next film (or is done)
    HELD = "held"  # the printer was not ready: the job waits and is retried
    FAILED = "failed"  # the job fails; nothing more of it is printed
    ABANDONED = "abandoned"  # not sent: the spool went away; the film waits for a printer


@dataclass(frozen=True)
class FilmOutcome:
    """The worker's report of one film: a value the service applies."""

    turn: Turn
    result: Result
    reason: str | None = None
    record: dict[str, Any] = field(default_factory=dict)  # operations, warnings, uid, time
    # a session turn: each film's own result and record (a film box can fail while the
    # others print); empty: ``result`` and ``record`` hold for every film of the turn
    films: dict[int, tuple[Result, dict[str, Any]]] = field(default_factory=dict)

    def per_film(self) -> dict[int, tuple[Result, dict[str, Any]]]:
        if self.films:
            return self.films
        return {index: (self.result, self.record) for index in self.turn.indexes}


class JobService(Protocol):
    """What the worker and the HTTP layer may ask of the jobs service. They see it
    through :class:`hcs.server.database.OffLoop`: each call is awaited and runs
    :class:`Jobs`'s method of the same name in the server's database thread."""

    def incoming(self) -> Incoming: ...  # a folder for an upload: no row, no await
    async def check_room(self, incoming_bytes: int) -> None: ...
    async def submit(
        self, spec: JobSpec, incoming: Incoming, films: int, check_room: bool = False
    ) -> dict[str, Any]: ...
    async def cancel(self, job_id: str) -> str | None: ...
    async def hold(self, job_id: str) -> str | None: ...
    async def release(self, job_id: str) -> str | None: ...
    async def set_priority(self, job_id: str, priority: str) -> str | None: ...
    async def reprint(self, job_id: str) -> dict[str, Any] | None: ...
    async def job(self, job_id: str) -> dict[str, Any] | None: ...
    async def jobs(self, states: tuple[str, ...] | None, limit: int) -> list[dict[str, Any]]: ...
    async def preview(self, job_id: str, index: int) -> Path | None: ...
    async def next_film(self, printer: str) -> Turn | None: ...
    async def film(
        self, turn: Turn, state: FilmState, only: Iterable[int] | None = None, **values: Any
    ) -> None: ...
    async def frames(self, turn: Turn) -> list[tuple[Path, int]]: ...
    async def store_preview(self, turn: Turn, png: bytes, index: int | None = None) -> None: ...
    async def apply(self, outcome: FilmOutcome) -> None: ...
    async def retry_at(self, printer: str) -> float | None: ...
    async def hold_printer(
        self, printer: str, status: dict[str, Any], busy: bool = False
    ) -> bool: ...
    async def release_printer(self, printer: str, to: str | None = None) -> None: ...
    async def take_over(self, printer: str) -> int: ...
    async def hand_over(self, printer: str) -> str | None: ...
    async def served_by(self, target: str) -> list[str]: ...

    @property
    def shared(self) -> bool: ...

    @property
    def lease(self) -> float: ...


def instance_name() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:6]}"


class Jobs:
    """Jobs and films over a spool; see the module's docstring."""

    def __init__(
        self,
        spool: SqlSpool,
        config: Config,
        metrics: Metrics,
        wake: Callable[[Iterable[str] | None], None] = lambda printers: None,
        instance: str | None = None,
    ):
        self.spool = spool
        self.config = config
        self.metrics = metrics
        self.wake = wake
        self.instance = instance or instance_name()
        self._handing: dict[str, str] = {}  # printer -> the instance it is being handed to

    # ------------------------------------------------------------------ the one transition
    def transition(
        self,
        job: dict[str, Any],
        new: State,
        reason: str | None = None,
        event: str | None = None,
        log: str | None = None,
        printer: str | None = None,
        only_owner: str | None = None,
        details: dict[str, Any] | None = None,
        only_waiting: bool = False,
        **columns: Any,
    ) -> bool:
        """Move ``job`` (a row as the spool returns it) to ``new``: checked, written with
        its event, logged (as ``log``, default the state's name), printers woken.
        ``only_waiting``: only if the job is still as read, with no film in hand."""
        check_job(job["state"], new)
        written = self.spool.set_job(
            job["id"],
            new.value,
            reason,
            printer,
            event,
            only_owner=only_owner,
            only_waiting=job["state"] if only_waiting else None,
            **columns,
        )
        if not written:
            return False
        job["state"], job["reason"] = new.value, reason
        if log != "":
            self.log(job["id"], log or new.value, **(details or {}))
        self.wake(self.candidates(job["target"]))
        return True

    def log(self, job_id: str, event: str, **details: Any) -> None:
        """One structured log line per job event."""
        job_log.info(json.dumps({"event": event, "job": job_id, **details}, default=str))

    def film(
        self, turn: Turn, state: FilmState, only: Iterable[int] | None = None, **values: Any
    ) -> None:
        """Move the turn's films (or those of ``only``) to ``state``, writing ``values``."""
        indexes = turn.indexes if only is None else only
        self.films(turn, [(index, state, values) for index in indexes])

    def films(self, turn: Turn, changes: Iterable[tuple[int, FilmState, dict[str, Any]]]) -> None:
        """Several of the turn's films, each to its state with its values, in one spool
        transaction: a collated session's films are never left half recorded."""
        rows = []
        for index, state, values in changes:
            current = turn.states.get(index, FilmState.PENDING)
            if current is not state:
                check_film(current, state)
            elif not values:
                continue  # applied already (an outcome retried after the database came back)
            rows.append((index, state, {"state": state.value, **values}))
        if not rows:
            return
        self.spool.set_films(turn.job_id, [(index, values) for index, _, values in rows])
        for index, state, _ in rows:
            turn.states[index] = state

    # ------------------------------------------------------------------ HTTP
    def incoming(self) -> Incoming:
        return self.spool.incoming()

    def check_room(self, incoming_bytes: int) -> None:
        self.spool.check_room(incoming_bytes)

    def submit(
        self, spec: JobSpec, incoming: Incoming, films: int, check_room: bool = False
    ) -> dict[str, Any]:
        """Make the job durable (the caller answers 201 after this returns) and queue it
        (``check_room``: refuse it first if the spool has no room for it: one call)."""
        if check_room:
            self.spool.check_room(incoming.bytes)
        job_id = uuid.uuid4().hex[:12]
        self.spool.commit_job(
            job_id, None, spec.as_json(), spec.priority, spec.printer, films, incoming
        )
        self.metrics.inc("hcs_jobs_submitted_total")
        self.log(job_id, "queued", priority=spec.priority, target=spec.printer, films=films)
        self.wake(self.candidates(spec.printer))
        job = self.spool.job(job_id)
        assert job is not None
        return job

    def cancel(self, job_id: str) -> str | None:
        """Cancel a job; returns its state afterwards, or None if it is unknown.
        Now if no film of it is in hand, else after that film (``cancelling``)."""
        job = self.spool.job(job_id, detail=False)
        if job is None or State(job["state"]) in TERMINAL:
            return None if job is None else job["state"]
        if job["owner"] is None:
            self.transition(job, State.CANCELLED, "cancelled by a client")
            return "cancelled"
        self.spool.request_cancel(job_id, "cancel requested: stops after the film being printed")
        self.log(job_id, "cancel_requested")
        return "cancelling"

    def _waiting(self, job_id: str, what: str) -> dict[str, Any] | None:
        """The unfinished job ``job_id``; None if there is no such job; JobConflict if
        it is finished."""
        rows = [r for r in self.spool.unfinished_rows() if r["id"] == job_id]
        if rows:
            return rows[0]
        job = self.spool.job(job_id, detail=False)
        if job is None:
            return None
        raise JobConflict(f"job {job_id} is {job['state']}: it cannot be {what}")

    def hold(self, job_id: str) -> str | None:
        """Hold a waiting job until a client releases it (it is never retried by
        itself); None if there is no such job."""
        job = self._waiting(job_id, "held")
        if job is None:
            return None
        if job["owner"] is not None:
            raise JobConflict(f"job {job_id} has a film being printed: hold it after that film")
        if job["state"] == State.HELD.value and job["reason"] == CLIENT_HOLD:
            return State.HELD.value
        self.transition(job, State.HELD, CLIENT_HOLD, retry_at=None, event=CLIENT_HOLD)
        return State.HELD.value

    def release(self, job_id: str) -> str | None:
        """Let a held job go on (a client's hold, or a not-ready hold retried now)."""
        job = self._waiting(job_id, "released")
        if job is None:
            return None
        if job["state"] != State.HELD.value:
            return job["state"]
        started = self.spool.next_film(job_id) > 0
        new = State.PREEMPTED if started else State.QUEUED
        self.transition(job, new, event="released by a client", retry_at=None)
        return new.value

    def set_priority(self, job_id: str, priority: str) -> str | None:
        """Change a waiting job's priority: its place in the queue and the Print Priority
        its next films are sent with. Returns the priority, None if no such job."""
        priority = Priority.parse(priority).name
        job = self._waiting(job_id, "given another priority")
        if job is None:
            return None
        spec = {**job["spec"], "priority": priority}
        self.spool.set_columns(job_id, priority=priority, spec=json.dumps(spec))
        self.spool.add_event(job_id, f"priority {job['priority']} -> {priority}")
        self.log(job_id, "priority", priority=priority)
        self.wake(self.candidates(job["target"]))
        return priority

    def reprint(self, job_id: str) -> dict[str, Any] | None:
        """A new job with the same options and images as ``job_id`` (printed, failed
        or cancelled): it is queued like a new submission. None if no such job."""
        source = self.spool.job(job_id, detail=False)
        if source is None:
            return None
        spec = JobSpec.from_json(source["spec"])
        frames: dict[Path, int] = {}
        for path, _ in self.spool.frames(job_id):
            frames[path] = frames.get(path, 0) + 1
        incoming = self.spool.incoming()
        try:
            for path, count in frames.items():
                incoming.copy_from(path.name, path)
                incoming.images[-1].frames = count
            job = self.submit(spec, incoming, source["film_count"])
        except BaseException:
            incoming.discard()
            raise
        self.spool.add_event(job["id"], f"reprint of job {job_id}")
        self.spool.add_event(job_id, f"reprinted as job {job['id']}")
        return self.spool.job(job["id"])

    def job(self, job_id: str) -> dict[str, Any] | None:
        job = self.spool.job(job_id)
        if job is not None:
            for film in job["films"]:
                if film["preview"]:
                    film["preview_url"] = f"/jobs/{job['id']}/films/{film['index']}/preview.png"
        return job

    def jobs(self, states: tuple[str, ...] | None = None, limit: int = 200) -> list[dict]:
        jobs = self.spool.jobs(states, limit)
        order = {job_id: i for i, job_id in enumerate(self.spool.waiting_order())}
        for job in jobs:
            job["queue_position"] = order.get(job["id"])
        return jobs

    def preview(self, job_id: str, index: int) -> Path | None:
        if not job_id.isalnum():
            return None
        return self.spool.preview_file(job_id, index)

    def waiting(self) -> int:
        return len(self.spool.waiting_order())

    # ------------------------------------------------------------------ a printer's turn
    def targets(self, printer: str) -> list[str]:
        """The names a job may target to be printed on ``printer``: itself, its groups."""
        return sorted(t for t in self.config.targets() if printer in self.config.printers_for(t))

    def candidates(self, target: str) -> tuple[str, ...]:
        """The printers a job for ``target`` may print on; none if the name is gone."""
        if target not in self.config.targets():
            return ()
        return self.config.printers_for(target)

    def next_film(self, printer: str) -> Turn | None:
        """Take the best job's next film for ``printer``, or None if nothing waits."""
        while True:
            claimed = self.spool.claim(printer, self.targets(printer), self.instance)
            if claimed is None:
                return None
            job, index = claimed
            if index < job["film_count"]:
                break
            # Every film is recorded printed, the job not yet done: the server stopped
            # between the two writes. Printing "film N+1" would print a blank film that
            # belongs to no film of the job (a 2-film job came out 3 times, no note). It
            # is done; the printer takes the next job at once (nothing else wakes it).
            if State(job["state"]) is not State.PRINTING:
                self.transition(job, State.PRINTING, printer=printer, log="")
            self.transition(
                job,
                State.DONE,
                printer=printer,
                event="done: every film was printed before the restart",
                owner=None,
                details={"printer": printer},
            )
        was = State(job["state"])
        if was is State.HELD:
            self.spool.add_event(job["id"], "retrying after hold")
        if was is not State.PRINTING:
            self.transition(
                job,
                State.PRINTING,
                printer=printer,
                event=f"printing on {printer} from film {index + 1}",
                details={"printer": printer, "film": index + 1},
            )
        spec = JobSpec.from_json(job["spec"])
        session = bool(spec.options.get("collate"))
        count = job["film_count"] - index if session else 1
        turn = Turn(job["id"], index, printer, spec, job["film_count"], 0, count, session)
        for number in turn.indexes:
            film = self.spool.film(job["id"], number) or {}
            turn.states[number] = FilmState(film.get("state", "pending"))
            if number == index:
                turn.attempts = film.get("attempts", 0)
        self.film(turn, FilmState.FORMATTING, printer=printer)
        return turn

    def frames(self, turn: Turn) -> list[tuple[Path, int]]:
        return self.spool.frames(turn.job_id)

    def store_preview(self, turn: Turn, png: bytes, index: int | None = None) -> None:
        self.spool.store_preview(turn.job_id, turn.index if index is None else index, png)

    def retry_at(self, printer: str) -> float | None:
        return self.spool.next_retry(self.targets(printer))

    # ------------------------------------------------------------------ printers in a group
    @property
    def shared(self) -> bool:
        return self.spool.shared

    @property
    def lease(self) -> float:
        return self.config.spool.lease

    def hold_printer(self, printer: str, status: dict[str, Any], busy: bool = False) -> bool:
        """Hold (or renew) this server's lease on ``printer`` (``busy``: it has work for
        it); False if another has it. Renews this server's heartbeat too."""
        return self.spool.acquire_printer(printer, self.instance, self.lease, status, busy)

    def release_printer(self, printer: str, to: str | None = None) -> None:
        """Give ``printer`` up (to the group, or handed ``to`` one instance)."""
        try:
            self.spool.release_printer(printer, self.instance, to)
        finally:
            self._handing.pop(printer, None)

    def announce(self) -> None:
        """The group's heartbeat of this server, with the targets its configuration
        serves (each with its printers)."""
        targets = {t: list(self.config.printers_for(t)) for t in self.config.targets()}
        self.spool.announce(self.instance, targets, self.lease)

    def hand_over(self, printer: str) -> str | None:
        """At a film boundary on ``printer`` (this server holds it): the instance to give
        it to, so that the group's busy printers are spread fairly
        (:mod:`hcs.server.balance`); None: keep printing. The worker closes its
        association, then calls :meth:`release_printer` with the answer."""
        if not self.shared:
            return None
        members = self.spool.members(self.lease)
        if not members:
            return None
        group = [balance.Member(m["name"], frozenset(m["printers"]), m["busy"]) for m in members]
        pending: dict[str, int] = {}
        for to in self._handing.values():
            pending[to] = pending.get(to, 0) + 1
        to = balance.hand_over_to(printer, self.instance, group, pending)
        if to is not None:
            self._handing[printer] = to
            log.info(
                json.dumps(
                    {
                        "event": "printer_handed_over",
                        "printer": printer,
                        "to": to,
                        "load": {m.name: m.busy for m in group},
                    }
                )
            )
        return to

    def take_over(self, printer: str) -> int:
        """This server now holds ``printer``: jobs whose film was in another's hands
        there go back in the queue at their first unprinted film."""
        if not self.shared:
            return 0
        count = self.resume(printer, f"on {self.instance}, which took printer {printer} over")
        if count:
            self.metrics.inc("hcs_takeovers_total", printer=printer)
        return count

    def apply(self, outcome: FilmOutcome) -> None:
        """Apply a film's outcome: the film's row, then the job's next state."""
        turn = outcome.turn
        job = self.spool.job(turn.job_id, detail=False)
        if job is None or State(job["state"]) in TERMINAL:
            return
        # the turn's last film, from 1 (a session's films end together)
        printer, number = turn.printer, turn.index + turn.count
        mine = self.instance
        if job["owner"] != mine:
            # another server took the printer over while this one could not reach the
            # database: it resumed the job and will print this film again (its note says so)
            log.warning(
                "film %d of job %s: %s not recorded, %s holds the job now",
                number,
                turn.job_id,
                outcome.result.value,
                job["owner"] or "no server",
            )
            return
        if outcome.result is Result.ABANDONED:
            self.film(turn, FilmState.PENDING)
            self.transition(
                job,
                State.PRINTING,
                event=f"film {number} not sent: {outcome.reason}",
                log="abandoned",
                only_owner=mine,
                owner=None,
            )
        elif outcome.result is Result.PRINTED:
            printed = outcome.per_film()
            self.films(turn, [(i, FilmState.PRINTED, r) for i, (_, r) in printed.items()])
            for index, (_, record) in printed.items():
                self.log(
                    turn.job_id,
                    "film_printed",
                    printer=printer,
                    film=index + 1,
                    warnings=len(record.get("warnings", ())),
                )
            if number >= turn.films:
                self.transition(
                    job,
                    State.DONE,
                    printer=printer,
                    only_owner=mine,
                    owner=None,
                    details={"printer": printer},
                )
            elif self.spool.cancel_requested(turn.job_id):
                self.transition(
                    job, State.CANCELLED, "cancelled by a client", only_owner=mine, owner=None
                )
            elif self.transition(
                job,
                State.PRINTING,
                event=f"film {number} printed on {printer}",
                log="",
                only_owner=mine,
                owner=None,
            ):
                best = self.spool.best(printer, self.targets(printer))
                if best is not None and best != turn.job_id:
                    other = self.spool.job(best, detail=False) or {"priority": "?"}
                    self.metrics.inc("hcs_preemptions_total")
                    self.transition(
                        job,
                        State.PREEMPTED,
                        f"pre-empted by job {best} ({other['priority']})",
                        log="preempted",
                        details={"by": best},
                    )
        elif outcome.result is Result.HELD:
            held = outcome.per_film().items()
            self.films(turn, [(i, FilmState.PENDING, record) for i, (_, record) in held])
            reason = f"printer {printer} not ready: {outcome.reason}"
            unpin = {"pinned": None} if turn.index == 0 else {}
            self.transition(
                job,
                State.HELD,
                reason,
                only_owner=mine,
                owner=None,
                retry_at=time.time() + self.config.server.hold_retry,
                details={"reason": reason},
                **unpin,
            )
        else:
            failed = [
                i for i, (result, _) in outcome.per_film().items() if result is not Result.PRINTED
            ]
            first = failed[0] + 1 if failed else number
            reason = f"film {first}: {outcome.reason or 'failed'}"
            changes = []
            for index, (result, record) in outcome.per_film().items():
                if result is Result.PRINTED:  # a session's other films: printed all the same
                    changes.append((index, FilmState.PRINTED, record))
                else:
                    changes.append((index, FilmState.FAILED, {"reason": outcome.reason, **record}))
            self.films(turn, changes)
            self.transition(
                job, State.FAILED, reason, only_owner=mine, owner=None, details={"reason": reason}
            )

    # ------------------------------------------------------------------ restart, reload
    def resume(self, pinned: str | None = None, why: str = "after a restart") -> int:
        """Put jobs whose film was in hand back in the queue, each at its first
        unprinted film (at start: all; on taking over a printer: its jobs)."""
        recovered = self.spool.recover(pinned)
        for job, next_film, state in recovered:
            if state == State.PRINTING.value:
                new = State.PREEMPTED if next_film else State.QUEUED
                self.transition(
                    job,
                    new,
                    event=f"resumed {why} at film {next_film + 1}",
                    log="resumed",
                    details={"film": next_film + 1},
                )
            else:
                self.log(job["id"], "resumed", film=next_film + 1)
        return len(recovered)

    def resume_all(self) -> int:
        """At the start of a lone server: every unfinished job goes on from its first
        unprinted film (films caught in hand get the at-least-once note), and holds
        for a printer that was not ready are retried now."""
        self.spool.recover()
        unfinished = self.spool.unfinished_rows()
        for job in unfinished:
            next_film = self.spool.next_film(job["id"])
            if job["state"] == State.PRINTING.value:
                new = State.PREEMPTED if next_film else State.QUEUED
                self.transition(
                    job,
                    new,
                    event=f"resumed after a restart at film {next_film + 1}",
                    log="resumed",
                    details={"film": next_film + 1},
                )
            else:
                self.log(job["id"], "resumed", film=next_film + 1)
            if job["state"] == State.HELD.value and not (job["reason"] or "").startswith(REMOVED):
                self.spool.set_columns(job["id"], retry_at=time.time())
        return len(unfinished)

    def served_by(self, target: str) -> list[str]:
        """The group's other live instances whose configuration serves ``target`` (a
        printer or group this server does not know); [] for a lone server."""
        try:
            members = self.spool.members(self.lease) or []
        except SpoolUnavailable:
            return []
        return [m["name"] for m in members if m["name"] != self.instance and target in m["targets"]]

    def retarget_group(self) -> None:
        """:meth:`retarget` for a group: a waiting job whose target no live instance
        serves (removed from every instance's configuration) is held, its reason naming
        the target; it goes on as soon as any instance serves it again. A job pinned to
        a printer no instance serves may go to another printer of its group."""
        members = self.spool.members(self.lease)
        if not members or self.instance not in {m["name"] for m in members}:
            return  # not announced: no view of the group to act on
        served: dict[str, set[str]] = {}
        for member in members:
            for target, printers in member["targets"].items():
                served.setdefault(target, set()).update(printers)
        printers = {p for member in members for p in member["printers"]}
        for job in self.spool.unfinished_rows():
            if job["owner"] is not None:
                continue
            target = job["target"]
            if job["pinned"] is not None and job["pinned"] not in printers:
                self.spool.set_columns(job["id"], pinned=None)
            state, reason = State(job["state"]), job["reason"] or ""
            if not served.get(target):
                if state is State.HELD and (reason.startswith(REMOVED) or reason == CLIENT_HOLD):
                    continue
                why = f"{REMOVED} of every instance: no instance serves {target}"
                self.transition(
                    job, State.HELD, why, retry_at=None, only_waiting=True, details={"reason": why}
                )
            elif state is State.HELD and reason.startswith(REMOVED):
                started = self.spool.next_film(job["id"]) > 0
                self.transition(
                    job,
                    State.PREEMPTED if started else State.QUEUED,
                    event=f"{target} is served again",
                    only_waiting=True,
                )

    def retarget(self) -> None:
        """Apply the configuration's printers and groups to the waiting jobs: a job whose
        target is gone is held (``printer removed ...``); one whose target is back goes
        on; a job pinned to a removed printer may go to another of its group."""
        for job in self.spool.unfinished_rows():
            candidates = self.candidates(job["target"])
            if job["pinned"] is not None and job["pinned"] not in candidates:
                self.spool.set_columns(job["id"], pinned=None)
            state, reason = State(job["state"]), job["reason"] or ""
            if not candidates and job["owner"] is None:
                if state is not State.HELD or not reason.startswith(REMOVED):
                    why = f"{REMOVED}: {job['target']}"
                    self.transition(job, State.HELD, why, retry_at=None, details={"reason": why})
            elif candidates and state is State.HELD and reason.startswith(REMOVED):
                started = self.spool.next_film(job["id"]) > 0
                self.transition(job, State.PREEMPTED if started else State.QUEUED)
