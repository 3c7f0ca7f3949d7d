"""One worker per printer: ask the queue for a film, format it, print it, record it.

The worker prints one film per turn and asks the queue again before the next one; that
is where a HIGH job pre-empts a lower one (``hcs.server.queue``). Each turn writes the
film's state to the spool before and after the DIMSE exchange (``sending``, then
``printed``/``failed`` with every status), which is what lets a restarted server resume
from the last completed film.

A collated job (``collate``, on a printer whose profile has ``session_print``) is one
turn: all its films are formatted, made as Film Boxes of one Film Session and printed by
one N-ACTION on the session, so a HIGH job waits for the session to end. Its films are
``staged`` until just before that N-ACTION and ``sending`` from then on.

A film's outcome from the driver decides the job: printed -> next film; held (the
printer said FAILURE before printing) -> the job waits ``hold_retry`` seconds and may
go to another printer of its group; failed (a DICOM failure status, or the network gave
up after the driver's retries) -> the job fails with the status and reason, and nothing
more of it is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hcs.driver import PrinterDriver, PrinterProfile
from hcs.errors import HcsError
from hcs.job.terms import InvalidAttribute
from hcs.server.formatting import FilmFormatter, boxes_per_film, film_boxes
from hcs.server.jobs import FilmOutcome, JobService, Result, Turn
from hcs.server.metrics import Metrics
from hcs.server.spool import SpoolUnavailable
from hcs.server.states import FilmState

if TYPE_CHECKING:
    from concurrent.futures import Executor

log = logging.getLogger("hcs.server.worker")
dimse_log = logging.getLogger("hcs.server.dimse")


class PrinterWorker:
    """The loop that feeds one printer."""

    def __init__(
        self,
        jobs: JobService,
        profile: PrinterProfile,
        executor: Executor,
        metrics: Metrics,
        status_poll: float = 30.0,
    ):
        self.jobs = jobs
        self.metrics = metrics
        self.executor = executor
        self.status_poll = status_poll
        self.profile = profile
        self.name = profile.name
        self.driver = PrinterDriver(profile)
        self.formatter = FilmFormatter(profile, executor)
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.current: Turn | None = None
        self.current_film: int | None = None
        self.stopping = False
        self.polled_status: str | None = None
        self.polled_info: str | None = None
        self.polled_at: float | None = None
        self.status_error: str | None = None
        self.films_printed = 0
        self.holding = not jobs.shared  # a lone server always holds its printers
        self.working = False  # the last look at the queue found a film for this printer
        self._new_profile: PrinterProfile | None = None
        # told when what only this server knows of the printer changes (the consoles)
        self.on_change: Callable[[str], None] = lambda name: None
        self._associations_seen = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name=f"worker-{self.name}")

    async def stop(self, grace: float = 30.0) -> None:
        """Stop after the film in hand (or cancel it after ``grace`` seconds)."""
        self.stopping = True
        self.wake.set()
        if self.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.task), grace)
            except (TimeoutError, asyncio.CancelledError):
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self.task
        with contextlib.suppress(Exception):
            await self.driver.close()

    def update(self, profile: PrinterProfile) -> None:
        """Use a changed profile from the next film on."""
        if profile != self.profile:
            self._new_profile = profile
            self.wake.set()

    async def _swap_profile(self) -> None:
        profile, self._new_profile = self._new_profile, None
        if profile is None:
            return
        with contextlib.suppress(Exception):
            await self.driver.close()
        self.profile, self.driver = profile, PrinterDriver(profile)
        self.formatter = FilmFormatter(profile, self.executor)
        self._associations_seen = 0
        log.info(json.dumps({"event": "printer_reconfigured", "printer": self.name}))

    # ------------------------------------------------------------------ status
    @property
    def status(self) -> dict[str, Any]:
        state = self.driver.state
        status = state.status or self.polled_status
        return {
            "name": self.name,
            "ae_title": self.profile.ae_title,
            "host": self.profile.host,
            "port": self.profile.port,
            "color": self.profile.color,
            "resolution_dpi": self.profile.resolution_dpi,
            "film_sizes": list(self.profile.film_sizes or ()),
            "display_formats": list(self.profile.display_formats or ()),
            "status": status,
            "status_info": state.status_info or self.polled_info,
            "status_error": self.status_error,
            "status_checked": self.polled_at,
            "events": state.events[-10:],
            "busy": self.current is not None,
            "current_job": self.current.job_id if self.current else None,
            "current_film": self.current_film,
            "association_open": self.driver.has_open_association,
            "associations_opened": self.driver.associations_opened,
            "films_printed": self.films_printed,
        }

    async def poll_status(self) -> None:
        """Printer N-GET when the printer is idle: on the association the driver holds
        idle, else on a short one of its own (never a second one beside the driver's)."""
        from dul.net import AssociationFailed, NetworkError
        from hcs.scu import Peer, printer_status

        p = self.profile
        try:
            answer = await self.driver.query_status()
            if answer is None:
                peer = Peer(
                    p.host, p.port, p.ae_title, p.calling_ae_title, p.timeouts, p.max_pdu, p.tls
                )
                result = await printer_status(peer)
                answer = (
                    result.attributes.get("PrinterStatus") or None,
                    result.attributes.get("PrinterStatusInfo") or None,
                )
            status, info = answer
        except (AssociationFailed, NetworkError, OSError) as error:
            self.polled_status, self.polled_info = "UNREACHABLE", None
            self.status_error = str(error)
        except Exception as error:  # a peer that answers nonsense must not stop the worker
            self.polled_status, self.status_error = "UNKNOWN", f"{type(error).__name__}: {error}"
        else:
            self.polled_status, self.polled_info = status, info
            self.status_error = None
            self.driver.state.status = None  # the newest answer wins
            self.driver.state.status_info = None
        self.polled_at = time.time()
        self.on_change(self.name)

    # ------------------------------------------------------------------ the loop
    async def run(self) -> None:
        poll = self.status_poll
        if poll > 0 and self.holding:  # in a group, only the printer's holder talks to it
            await self.poll_status()
        last_poll = time.monotonic()
        keeper = None
        if self.jobs.shared:
            keeper = asyncio.get_running_loop().create_task(self._keep_lease())
        try:
            while not self.stopping:
                await self._swap_profile()
                if not self.holding and not await self._take_printer():
                    continue
                try:
                    turn = await self.jobs.next_film(self.name)
                except SpoolUnavailable:
                    await self._spool_away()
                    continue
                self.working = turn is not None
                if turn is None:
                    self.wake.clear()
                    timeout = None if poll <= 0 else max(0.0, poll - (time.monotonic() - last_poll))
                    retry = await self._retry_in()
                    if retry is not None:
                        timeout = retry if timeout is None else min(timeout, retry)
                    try:
                        await asyncio.wait_for(self.wake.wait(), timeout)
                    except TimeoutError:
                        if poll > 0 and time.monotonic() - last_poll >= poll:
                            await self.poll_status()
                            last_poll = time.monotonic()
                    continue
                self.current, self.current_film = turn, turn.index
                self.on_change(self.name)
                try:
                    outcome = await self.print_one(turn)
                except asyncio.CancelledError:
                    raise
                except SpoolUnavailable as error:  # before the film was sent: put it back
                    self.holding = not self.jobs.shared
                    outcome = FilmOutcome(turn, Result.ABANDONED, f"the spool went away ({error})")
                except Exception as error:  # a bug must fail the job, not kill the printer
                    log.exception("%s: internal error on job %s", self.name, turn.job_id)
                    outcome = FilmOutcome(
                        turn, Result.FAILED, f"internal error: {type(error).__name__}: {error}"
                    )
                try:
                    await self._apply(outcome)
                finally:
                    self.current, self.current_film = None, None
                    self.on_change(self.name)
                if self.jobs.shared and self.holding and not self.stopping:
                    await self._hand_over()
        finally:
            if keeper is not None:
                keeper.cancel()
            if self.jobs.shared and self.holding:
                # the association ends before the lease does: one association per
                # printer across the group, even while another instance takes it
                with contextlib.suppress(Exception):
                    await self.driver.close()
                with contextlib.suppress(Exception):
                    await self.jobs.release_printer(self.name)
                self.holding = False

    async def _hand_over(self) -> None:
        """Between films: if this server holds more than its share of the group's busy
        printers, give this one to the instance the jobs service names. The
        association is closed first, then the lease released to that instance."""
        try:
            to = await self.jobs.hand_over(self.name)
        except SpoolUnavailable:
            return
        if to is None:
            return
        self.holding = False  # no claim and no renewal from here on
        self.working = False
        with contextlib.suppress(Exception):
            await self.driver.close()
        with contextlib.suppress(SpoolUnavailable):
            await self.jobs.release_printer(self.name, to)  # else the lease lapses by itself

    async def _spool_away(self) -> None:
        """The database cannot be reached: take no work; a shared spool's printer is
        taken again (and its jobs checked) once it is back."""
        self.holding = not self.jobs.shared
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), 0.5)

    async def _take_printer(self) -> bool:
        """Take this printer's lease (a group of servers); False: another holds it,
        or the database is away, and the worker waited a little."""
        try:
            if await self.jobs.hold_printer(self.name, self.status, self.working):
                self.holding = True
                count = await self.jobs.take_over(self.name)
                log.info(
                    json.dumps(
                        {"event": "printer_taken", "printer": self.name, "jobs_resumed": count}
                    )
                )
                return True
        except SpoolUnavailable:
            self.holding = False
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), max(0.1, self.jobs.lease / 4))
        return False

    async def _keep_lease(self) -> None:
        """Renew the printer's lease while this worker holds it."""
        while True:
            await asyncio.sleep(max(0.1, self.jobs.lease / 3))
            if not self.holding:
                continue
            try:
                if not await self.jobs.hold_printer(self.name, self.status, self.working):
                    log.warning("%s: another server holds this printer now", self.name)
                    self.holding = False
            except SpoolUnavailable:
                pass  # a claim needs the database too; the lease is renewed when it is back
            except Exception:  # pragma: no cover - keep renewing whatever happens
                log.exception("%s: renewing the printer's lease", self.name)

    async def _retry_in(self) -> float | None:
        try:
            when = await self.jobs.retry_at(self.name)
        except SpoolUnavailable:
            return 1.0
        return None if when is None else max(0.05, when - time.time())

    async def _apply(self, outcome: FilmOutcome) -> None:
        """Hand the film's outcome to the jobs service; while the database is away,
        keep it and try again (the film is printed: its record must not be lost)."""
        delay = 0.2
        while True:
            try:
                await self.jobs.apply(outcome)
                return
            except SpoolUnavailable as error:
                self.holding = not self.jobs.shared  # take the printer again when back
                log.warning(
                    "%s: cannot record film %d of job %s yet (%s); retrying",
                    self.name,
                    outcome.turn.index + 1,
                    outcome.turn.job_id,
                    error,
                )
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)

    async def print_one(self, turn: Turn) -> FilmOutcome:
        """Format and print the turn's film (a collated job's turn: every film of its
        session, printed by one Film Session N-ACTION); the outcome is returned, not
        applied."""
        jobs, metrics = self.jobs, self.metrics
        turn_started = time.perf_counter()
        spec = turn.spec
        started = time.perf_counter()
        formatted = []
        try:
            per_film = boxes_per_film(spec, self.profile)
            frames = await jobs.frames(turn)
            for index in turn.indexes:
                boxes = film_boxes(spec, frames, per_film, index)
                film = await self.formatter.format(spec, boxes, index)
                await jobs.store_preview(turn, film.preview_png, index)
                formatted.append(film)
        except (HcsError, OSError) as error:  # bad input; a bug (ValueError...) stays one
            if isinstance(error, SpoolUnavailable):
                raise
            metrics.inc("hcs_films_failed_total", printer=self.name)
            return FilmOutcome(turn, Result.FAILED, str(error))
        format_seconds = time.perf_counter() - started
        metrics.observe("hcs_formatting_seconds", format_seconds)
        request = formatted[0].request
        before_action = None
        # A collated session's films are only staged while their Film Boxes are made:
        # they go to ``sending`` just before the one N-ACTION (a restart before it prints
        # the session again with no note). On a printer whose profile lost session_print
        # since the job was accepted, the driver prints film by film: ``sending`` at once.
        staged = turn.session and self.profile.session_print
        if turn.session:
            request = replace(request, films=[f.request.films[0] for f in formatted], collate=True)
        await jobs.film(
            turn,
            FilmState.STAGED if staged else FilmState.SENDING,
            preview=1,
            attempts=turn.attempts + 1,
            format_seconds=format_seconds / turn.count,
        )
        if staged:

            async def before_action(films: list[int]) -> None:
                await jobs.film(turn, FilmState.SENDING, only=[turn.index + i for i in films])

        started = time.perf_counter()
        try:
            if before_action is None:
                outcome = await self.driver.print(request)
            else:
                outcome = await self.driver.print(request, before_action=before_action)
        except InvalidAttribute as error:
            return FilmOutcome(turn, Result.FAILED, str(error))
        print_seconds = time.perf_counter() - started
        metrics.observe("hcs_transfer_seconds", print_seconds)
        opened = self.driver.associations_opened - self._associations_seen
        if opened:
            metrics.inc("hcs_associations_opened_total", opened, printer=self.name)
            self._associations_seen = self.driver.associations_opened
        operations = [record.as_json() for record in outcome.operations]
        for record in operations:
            metrics.dimse(record["operation"], record["status_hex"], record["seconds"])
            dimse_log.info(
                json.dumps(
                    {
                        "event": "dimse",
                        "printer": self.name,
                        "job": turn.job_id,
                        "film": turn.index + 1,
                        "operation": record["operation"],
                        "status": record["status_hex"],
                        "category": record["category"],
                        "description": record["description"],
                    }
                )
            )
        # The job's notes (what the driver tolerated in the printer's answers) go with
        # the warnings, so the console and the API show them.
        notes = [f"note: {note}" for note in outcome.notes]
        if turn.session and not staged:
            notes.append(
                f"note: collate: printer {self.name} is no longer configured to print a Film"
                " Session (session_print): printed film by film"
            )
        films: dict[int, tuple[Result, dict[str, Any]]] = {}
        for offset, result in enumerate(outcome.films):
            record = dict(
                operations=operations,
                warnings=[*outcome.warnings, *result.warnings, *notes],
                print_job_uid=result.print_job_uid,
                print_seconds=print_seconds,
                reason=result.reason,
            )
            if result.state == "printed":
                metrics.inc("hcs_films_printed_total", printer=self.name)
                self.films_printed += 1
                films[turn.index + offset] = (Result.PRINTED, record)
            elif result.state == "held":
                films[turn.index + offset] = (Result.HELD, record)
            else:
                metrics.inc("hcs_films_failed_total", printer=self.name)
                films[turn.index + offset] = (Result.FAILED, record)
        # The turn's verdict: printed if every film printed, held if every film was held
        # (a session is held as a whole), else failed with the first bad film's reason
        # (a session's printed films are recorded printed all the same).
        results = [result for result, _ in films.values()]
        bad = next((r for r in outcome.films if r.state != "printed"), outcome.films[0])
        first = films[turn.index][1]
        if all(result is Result.PRINTED for result in results):
            verdict = FilmOutcome(turn, Result.PRINTED, None, first, films)
        elif all(result is Result.HELD for result in results):
            verdict = FilmOutcome(turn, Result.HELD, bad.reason, first, films)
        else:
            verdict = FilmOutcome(turn, Result.FAILED, bad.reason or "failed", first, films)
        overhead = time.perf_counter() - turn_started - format_seconds - print_seconds
        metrics.observe("hcs_overhead_seconds", overhead)
        return verdict
