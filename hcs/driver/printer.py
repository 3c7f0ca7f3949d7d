"""One driver per printer: its association, reused across jobs, and the retry policy.

Jobs for one printer run one at a time on one association. The association stays open
after a job and is released when it has been idle for the profile's idle time; the
next job opens a new one. When the association is aborted or the connection drops, the
films not yet printed are retried on a new association (``retries`` times, with
exponential back-off). A film whose N-ACTION was sent but never answered may have
printed: it is printed again (at least once) and the film says so — never silently
lost, never duplicated without a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from dimse.client import DimseConnection
from dul.net import AssociationFailed, NetworkError
from hcs.driver import quirks
from hcs.driver.connect import open_upper_layer
from hcs.driver.datasets import film_box_dataset, film_session_dataset
from hcs.driver.imagebox import check_pixels, optional_attributes
from hcs.driver.profile import PrinterProfile
from hcs.driver.session import (
    BeforeAction,
    FilmFailed,
    PrintAssociation,
    PrinterNotReady,
    PrinterState,
    proposed_contexts,
)
from hcs.job import terms
from hcs.job.model import FilmOutcome, JobOutcome, PrintRequest

log = logging.getLogger("hcs.driver")

_PLACEHOLDER_UID = "1.2.3.4"


def validate_request(request: PrintRequest, profile: PrinterProfile) -> None:
    """Check every value the job would send, before anything is sent.

    Raises :class:`~hcs.job.terms.InvalidAttribute` naming the first wrong attribute.
    """
    if not request.films:
        raise terms.InvalidAttribute("films", "a job needs at least one film")
    film_session_dataset(profile, request.session, None)
    if request.presentation_lut_shape is not None:
        terms.one_of(
            "PresentationLUTShape", request.presentation_lut_shape, terms.PRESENTATION_LUT_SHAPES
        )
    for film in request.films:
        film_box_dataset(profile, film.box, _PLACEHOLDER_UID, None)
        for image in film.images:
            if image is not None:
                color = image.pixels.ndim == 3
                check_pixels(image.pixels, color, 8 if color else profile.bits)
                optional_attributes(image, profile.omit)  # Polarity, densities, size, ...
        for position, text in film.annotations.items():
            terms.unsigned("AnnotationPosition", position, 1)
            terms.text("TextString", text, 64)


class PrinterDriver:
    """The print SCU for one printer."""

    def __init__(self, profile: PrinterProfile):
        self.profile = profile
        self.state = PrinterState()
        self.associations_opened = 0
        self._association: PrintAssociation | None = None
        self._association_color = False
        self._lock = asyncio.Lock()
        self._idle: asyncio.TimerHandle | None = None
        # Set when the printer ended an association on N-GET Printer instead of answering
        # it: later associations print without asking (a note on the job says so).
        self.skip_printer_status = False

    @property
    def has_open_association(self) -> bool:
        return self._association is not None and self._association.dimse.upper_layer.is_established

    async def print(
        self, request: PrintRequest, before_action: BeforeAction | None = None
    ) -> JobOutcome:
        """Print one film session; returns what happened to each film, never raises for
        a printer's answer (only for a job that fails validation).

        ``before_action`` (collated sessions) is awaited with the films' indexes just
        before the Film Session N-ACTION goes out: from then on the printer may have
        printed them, and the server's spool says so before it can happen."""
        validate_request(request, self.profile)
        outcome = JobOutcome(films=[FilmOutcome(i) for i in range(len(request.films))])
        async with self._lock:
            self._cancel_idle()
            try:
                await self._print_with_retries(request, outcome, before_action)
            finally:
                self._schedule_idle_release()
        return outcome

    async def _print_with_retries(
        self, request: PrintRequest, outcome: JobOutcome, before_action: BeforeAction | None
    ) -> None:
        while True:
            outcome.attempts += 1
            remaining = [
                f.index for f in outcome.films if f.state != "printed" and f.state != "failed"
            ]
            for film in outcome.films:
                if film.index in remaining and film.state == "unknown":
                    film.warnings.append(
                        "N-ACTION was sent but its answer was lost: printed again (at least once)"
                    )
                    film.state = "pending"
            if not remaining:
                return
            try:
                association = await self._open(request.color)
                await association.print_request(request, outcome, remaining, before_action)
                outcome.events += self.state.events
                self.state.events = []
                return
            except PrinterNotReady as error:
                self._hold(outcome, str(error))
                await self._drop(release=True)  # ask afresh, on a new association, next time
                return
            except (AssociationFailed, NetworkError) as error:
                log.warning("%s: %s", self.profile.name, error)
                why = f"{error}; {self._ended_note(error)}"
                self._learn_from_ending(outcome)
                outcome.events.append(f"attempt {outcome.attempts}: {why}")
                await self._drop()
                if outcome.attempts > self.profile.retries:
                    for film in outcome.films:
                        if film.state not in ("printed", "failed"):
                            film.state, film.reason = "failed", why
                    return
                await asyncio.sleep(self.profile.retry_backoff * 2 ** (outcome.attempts - 1))

    def _ended_note(self, error: Exception) -> str:
        """Which request the printer ended the association after (and its data set's
        transfer syntax), or, when it never got that far, what to try in the profile."""
        association = self._association
        if association is None:
            hint = quirks.negotiation_hint(self.profile)
            return hint or "no association was established"
        last = association.last_sent
        return quirks.ended_note(*(last or (None, None)))

    def _learn_from_ending(self, outcome: JobOutcome) -> None:
        """A printer that ends the association on N-GET Printer (instead of answering
        it with an error) is printed on without it from the next attempt on."""
        association = self._association
        last = association.last_sent if association is not None else None
        if last is not None and last[0] == "N-GET Printer" and not self.skip_printer_status:
            self.skip_printer_status = True
            outcome.note(
                "the printer ended the association on N-GET Printer: printing without asking"
                f" for its status (printer_status = false in [printers.{self.profile.name}]"
                " does so from the start)"
            )

    def _hold(self, outcome: JobOutcome, reason: str) -> None:
        outcome.events.append(reason)
        for film in outcome.films:
            if film.state not in ("printed", "failed"):
                film.state, film.reason = "held", reason

    async def _open(self, color: bool) -> PrintAssociation:
        if self.has_open_association and (self._association_color or not color):
            return self._association
        await self._drop(release=True)
        p = self.profile
        upper = await open_upper_layer(p, proposed_contexts(p, color))
        self.associations_opened += 1
        self._association = PrintAssociation(
            DimseConnection(upper), p, self.state, ask_status=not self.skip_printer_status
        )
        self._association_color = color
        return self._association

    async def _drop(self, release: bool = False) -> None:
        association, self._association = self._association, None
        if association is None:
            return
        with contextlib.suppress(Exception):
            if release and association.dimse.upper_layer.is_established:
                await association.dimse.release()
            else:
                association.dimse.abort()
                await association.dimse.close()

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _schedule_idle_release(self) -> None:
        if self._association is None:
            return
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(
            self.profile.timeouts.idle, lambda: loop.create_task(self._release_if_idle())
        )

    async def _release_if_idle(self) -> None:
        if self._lock.locked():
            return
        async with self._lock:
            log.info("%s: idle for %g s, releasing", self.profile.name, self.profile.timeouts.idle)
            await self._drop(release=True)

    async def query_status(self) -> tuple[str | None, str | None] | None:
        """N-GET Printer on the association this driver holds open, so that a status
        poll never opens a second one (a printer allowing one association would refuse
        it). Returns (Printer Status, Printer Status Info), or ``None`` when no
        association is open or a job is printing on it: the caller then asks on a short
        association of its own, so polling never holds a printer's association open.
        The idle release keeps its time."""
        if self._lock.locked() or not self.has_open_association:
            return None
        async with self._lock:
            association = self._association
            if association is None or not self.has_open_association:
                return None
            try:
                with contextlib.suppress(PrinterNotReady, FilmFailed):  # FAILURE answers
                    await association.printer_status(JobOutcome(films=[]))
            except (AssociationFailed, NetworkError):
                await self._drop()
                raise
            finally:
                loop = asyncio.get_running_loop()
                if self._idle is None or self._idle.when() <= loop.time():
                    self._schedule_idle_release()  # it fell due while we asked
            return self.state.status, self.state.status_info

    async def printer_configuration(self):
        """The printer's configuration (Printer Configuration Retrieval N-GET), or ``None``
        when it does not offer the class; the outcome keeps the exchange."""
        outcome = JobOutcome(films=[])
        async with self._lock:
            self._cancel_idle()
            try:
                association = await self._open(False)
                return await association.printer_configuration(outcome)
            finally:
                self._schedule_idle_release()

    async def close(self) -> None:
        """Release the association, if any (call before the event loop ends)."""
        self._cancel_idle()
        async with self._lock:
            await self._drop(release=True)
