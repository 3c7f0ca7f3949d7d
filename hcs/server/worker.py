"""One worker per printer: ask the queue for a film, format it, print it, record it.

The worker prints one film per turn and asks the queue again before the next one; that
is where a HIGH job pre-empts a lower one (``hcs.server.queue``). Each turn writes the
film's state to the spool before and after the DIMSE exchange (``sending``, then
``printed``/``failed`` with every status), which is what lets a restarted server resume
from the last completed film.

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
from typing import TYPE_CHECKING, Any

from hcs.driver import PrinterDriver, PrinterProfile
from hcs.formatter import SourceError
from hcs.job.terms import InvalidAttribute
from hcs.server.formatting import FilmFormatter, FormatError, boxes_per_film
from hcs.server.jobspec import JobSpec
from hcs.server.queue import Entry, State

if TYPE_CHECKING:
    from hcs.server.app import Server

log = logging.getLogger("hcs.server.worker")
dimse_log = logging.getLogger("hcs.server.dimse")


class PrinterWorker:
    """The loop that feeds one printer."""

    def __init__(self, server: Server, profile: PrinterProfile):
        self.server = server
        self.profile = profile
        self.name = profile.name
        self.driver = PrinterDriver(profile)
        self.formatter = FilmFormatter(profile, server.executor)
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.current: Entry | None = None
        self.current_film: int | None = None
        self.stopping = False
        self.polled_status: str | None = None
        self.polled_info: str | None = None
        self.polled_at: float | None = None
        self.status_error: str | None = None
        self.films_printed = 0
        self._new_profile: PrinterProfile | None = None
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
        self.formatter = FilmFormatter(profile, self.server.executor)
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
        """Printer N-GET on its own association, when the printer is idle."""
        from dul.net import AssociationFailed, NetworkError
        from hcs.scu import Peer, printer_status

        p = self.profile
        peer = Peer(p.host, p.port, p.ae_title, p.calling_ae_title, p.timeouts, p.max_pdu, p.tls)
        try:
            result = await printer_status(peer)
        except (AssociationFailed, NetworkError, OSError) as error:
            self.polled_status, self.polled_info = "UNREACHABLE", None
            self.status_error = str(error)
        except Exception as error:  # a peer that answers nonsense must not stop the worker
            self.polled_status, self.status_error = "UNKNOWN", f"{type(error).__name__}: {error}"
        else:
            self.polled_status = result.attributes.get("PrinterStatus") or None
            self.polled_info = result.attributes.get("PrinterStatusInfo") or None
            self.status_error = None
            self.driver.state.status = None  # the newest answer wins
            self.driver.state.status_info = None
        self.polled_at = time.time()

    # ------------------------------------------------------------------ the loop
    async def run(self) -> None:
        poll = self.server.config.server.status_poll
        if poll > 0:
            await self.poll_status()
        last_poll = time.monotonic()
        while not self.stopping:
            await self._swap_profile()
            entry = self.server.queue.next_film(self.name)
            if entry is None:
                self.wake.clear()
                timeout = None if poll <= 0 else max(0.0, poll - (time.monotonic() - last_poll))
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout)
                except TimeoutError:
                    await self.poll_status()
                    last_poll = time.monotonic()
                continue
            try:
                await self.print_one(entry)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a bug must fail the job, not kill the printer
                log.exception("%s: internal error on job %s", self.name, entry.job_id)
                self.server.job_failed(entry, f"internal error: {type(error).__name__}: {error}")
            finally:
                self.current, self.current_film = None, None

    async def print_one(self, entry: Entry) -> None:
        server = self.server
        spool, queue, metrics = server.spool, server.queue, server.metrics
        turn_started = time.perf_counter()
        was = entry.state
        index = queue.start_film(entry, self.name)
        self.current, self.current_film = entry, index
        job = spool.job(entry.job_id, detail=False)
        spec = JobSpec.from_json(job["spec"])
        if was is not State.PRINTING and job["state"] != "printing":
            spool.set_job(
                entry.job_id,
                "printing",
                printer=self.name,
                event=f"printing on {self.name} from film {index + 1}",
            )
            server.job_event(entry, "printing", printer=self.name, film=index + 1)
        film = spool.film(entry.job_id, index) or {}
        spool.set_film(entry.job_id, index, state="formatting", printer=self.name)
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            per_film = boxes_per_film(spec, self.profile)
            frames = spool.frames(entry.job_id)[index * per_film : (index + 1) * per_film]
            formatted = await self.formatter.format(spec, frames)
            preview = spool.preview_path(entry.job_id, index)
            await loop.run_in_executor(server.executor, _write, preview, formatted.preview_png)
        except (FormatError, SourceError, ValueError, OSError, InvalidAttribute) as error:
            reason = f"film {index + 1}: {error}"
            spool.set_film(entry.job_id, index, state="failed", reason=str(error))
            metrics.inc("hcs_films_failed_total", printer=self.name)
            server.job_failed(entry, reason)
            return
        format_seconds = time.perf_counter() - started
        metrics.observe("hcs_formatting_seconds", format_seconds)
        spool.set_film(
            entry.job_id,
            index,
            state="sending",
            preview=1,
            attempts=film.get("attempts", 0) + 1,
            format_seconds=format_seconds,
        )
        started = time.perf_counter()
        try:
            outcome = await self.driver.print(formatted.request)
        except InvalidAttribute as error:
            spool.set_film(entry.job_id, index, state="failed", reason=str(error))
            server.job_failed(entry, f"film {index + 1}: {error}")
            return
        print_seconds = time.perf_counter() - started
        metrics.observe("hcs_transfer_seconds", print_seconds)
        opened = self.driver.associations_opened - self._associations_seen
        if opened:
            metrics.inc("hcs_associations_opened_total", opened, printer=self.name)
            self._associations_seen = self.driver.associations_opened
        operations = [record.as_json() for record in outcome.operations]
        for record in operations:
            metrics.inc(
                "hcs_dimse_responses_total",
                operation=record["operation"],
                status=record["status_hex"] or "none",
            )
            dimse_log.info(
                json.dumps(
                    {
                        "event": "dimse",
                        "printer": self.name,
                        "job": entry.job_id,
                        "film": index + 1,
                        "operation": record["operation"],
                        "status": record["status_hex"],
                        "category": record["category"],
                        "description": record["description"],
                    }
                )
            )
        result = outcome.films[0]
        warnings = [*outcome.warnings, *result.warnings]
        values = dict(
            operations=operations,
            warnings=warnings,
            print_job_uid=result.print_job_uid,
            print_seconds=print_seconds,
            reason=result.reason,
        )
        if result.state == "printed":
            spool.set_film(entry.job_id, index, state="printed", **values)
            metrics.inc("hcs_films_printed_total", printer=self.name)
            self.films_printed += 1
            state = queue.film_done(entry)
            server.job_event(
                entry, "film_printed", printer=self.name, film=index + 1, warnings=len(warnings)
            )
            if state is State.DONE:
                spool.set_job(entry.job_id, "done", printer=self.name)
                server.job_event(entry, "done", printer=self.name)
            elif state is State.CANCELLED:
                spool.set_job(entry.job_id, "cancelled", "cancelled by a client")
                server.job_event(entry, "cancelled")
            else:
                nxt = queue.next_film(self.name)
                if nxt is not None and nxt is not entry:
                    metrics.inc("hcs_preemptions_total")
                    reason = f"pre-empted by job {nxt.job_id} ({nxt.priority.name})"
                    spool.set_job(entry.job_id, "preempted", reason)
                    server.job_event(entry, "preempted", by=nxt.job_id)
        elif result.state == "held":
            spool.set_film(entry.job_id, index, state="pending", **values)
            reason = f"printer {self.name} not ready: {result.reason}"
            queue.hold(entry, reason, unpin=entry.next_film == 0)
            spool.set_job(entry.job_id, "held", reason)
            server.job_event(entry, "held", reason=reason)
            server.release_later(entry, server.config.server.hold_retry)
        else:
            spool.set_film(entry.job_id, index, state="failed", **values)
            metrics.inc("hcs_films_failed_total", printer=self.name)
            server.job_failed(entry, f"film {index + 1}: {result.reason or 'failed'}")
        overhead = time.perf_counter() - turn_started - format_seconds - print_seconds
        metrics.observe("hcs_overhead_seconds", overhead)


def _write(path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
