"""pynetdicom as an independent print SCU for the virtual printer's tests.

Until the project's own print driver exists, this is the SCU that exercises every
feature and every fault end to end: a third-party stack that shares no code with the
printer, so what passes here is not an agreement of one author with himself.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, evt
from pynetdicom.association import Association as PynetdicomAssociation
from pynetdicom.sop_class import (
    BasicAnnotationBox,
    BasicColorPrintManagementMeta,
    BasicGrayscalePrintManagementMeta,
    PresentationLUT,
    Printer,
    PrinterConfigurationRetrieval,
    PrintJob,
    Verification,
)

from dimse import uids
from dimse.status import StatusCategory, status_category
from tests.hcs.vprinter.helpers import image_box_dataset, reference

logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)


def release(assoc: PynetdicomAssociation, timeout: float = 20.0) -> None:
    """``assoc.release()``, guarded against a hang of pynetdicom 3.0.4's own.

    ``release()`` first spins until its reactor thread says it is paused; once in a few
    hundred runs on a loaded machine that flag never comes (seen: the reactor parked on
    its checkpoint, the flag still False) and the call spins for ever. Then we abort, as
    pynetdicom's ``kill()`` would. A printer that does not answer the A-RELEASE-RQ is
    another matter: pynetdicom is past its spin then (the flag is True), and that fails.
    """
    worker = threading.Thread(target=assoc.release, daemon=True)
    worker.start()
    worker.join(timeout)
    if not worker.is_alive():
        return
    spinning = not assoc._is_paused
    assoc.abort()
    worker.join(5)
    assert spinning, "the printer did not answer the A-RELEASE-RQ"
    logging.getLogger(__name__).warning("pynetdicom's release() hung before sending; aborted")


def _keep_stolen_responses() -> None:
    """Work around a race in pynetdicom 3.0.4's requestor.

    A ``send_n_*`` call pauses the reactor thread by clearing an event and waiting for
    a flag the reactor sets just *before* it waits on that event; if the reactor has
    already passed the wait, it goes on to take one message off the queue the caller
    is about to read. When the printer answers within that moment (ours answers in
    well under a millisecond, and a loaded two-core machine stretches the moment), the
    reactor takes the response, logs "unexpected ... message" and drops it, and the
    caller times out. Here a response the reactor takes goes back on the queue.
    """
    original = PynetdicomAssociation._serve_request
    if getattr(original, "_keeps_responses", False):
        return

    def serve_request(self, msg, context_id):
        if not msg.is_valid_request and msg.is_valid_response:
            self.dimse.msg_queue.put((context_id, msg))
            return None
        return original(self, msg, context_id)

    serve_request._keeps_responses = True
    PynetdicomAssociation._serve_request = serve_request


_keep_stolen_responses()

GRAY_META = BasicGrayscalePrintManagementMeta
COLOR_META = BasicColorPrintManagementMeta


@dataclass
class Received:
    """N-EVENT-REPORTs the printer sent us: (SOP class, event type, event information)."""

    events: list[tuple[str, int, Dataset | None]] = field(default_factory=list)
    aborted: int = 0

    def handler(self, event):
        request = event.request
        self.events.append(
            (str(request.AffectedSOPClassUID), int(request.EventTypeID), event.event_information)
        )
        return 0x0000, None

    def on_abort(self, event):
        self.aborted += 1


def associate(
    port: int,
    *,
    color: bool = False,
    grayscale: bool = True,
    extra=(PrintJob, Printer, PresentationLUT, BasicAnnotationBox, Verification),
    received: Received | None = None,
    max_pdu: int = 16382,
    dimse_timeout: float = 10,
    calling_ae: str = "PYNETDICOM",
):
    """Open a pynetdicom association to the virtual printer (the caller releases it)."""
    ae = AE(ae_title=calling_ae)
    ae.acse_timeout = 10
    ae.dimse_timeout = dimse_timeout
    ae.network_timeout = 10
    if grayscale:
        ae.add_requested_context(GRAY_META)
    if color:
        ae.add_requested_context(COLOR_META)
    for sop_class in extra:
        ae.add_requested_context(sop_class)
    received = received or Received()
    handlers = [
        (evt.EVT_N_EVENT_REPORT, received.handler),
        (evt.EVT_ABORTED, received.on_abort),
    ]
    return ae.associate(
        "127.0.0.1", port, ae_title="VPRINTER", max_pdu=max_pdu, evt_handlers=handlers
    )


def film_session(assoc, meta=GRAY_META, **attributes) -> str:
    dataset = Dataset()
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    uid = generate_uid()  # pynetdicom does not hand back the UID an SCP assigns
    # An empty Dataset makes pynetdicom announce a data set and send none: pass None.
    status, _ = assoc.send_n_create(
        dataset if len(dataset) else None, uids.BASIC_FILM_SESSION, uid, meta_uid=meta
    )
    assert status.Status == 0, status
    return uid


def film_box(assoc, session: str, display_format: str, meta=GRAY_META, **attributes):
    dataset = Dataset()
    dataset.ImageDisplayFormat = display_format
    dataset.ReferencedFilmSessionSequence = [reference(uids.BASIC_FILM_SESSION, session)]
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    uid = generate_uid()
    status, out = assoc.send_n_create(dataset, uids.BASIC_FILM_BOX, uid, meta_uid=meta)
    assert status.Status == 0, status
    return uid, out


def set_box(assoc, item: Dataset, position: int, pixels: np.ndarray, meta=GRAY_META, **attributes):
    color = item.ReferencedSOPClassUID == uids.BASIC_COLOR_IMAGE_BOX
    dataset = image_box_dataset(position, pixels, color=color, **attributes)
    status, _ = assoc.send_n_set(
        dataset, item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID, meta_uid=meta
    )
    return status


def print_film(assoc, film_box_uid: str, meta=GRAY_META):
    return assoc.send_n_action(None, 1, uids.BASIC_FILM_BOX, film_box_uid, meta_uid=meta)


def print_job(
    port: int,
    values=(30, 90, 150, 210),
    display_format="STANDARD\\2,2",
    *,
    size=(32, 32),
    wait_job: bool = True,
    **associate_options,
) -> dict:
    """A complete grayscale job: N-GET Printer, session, film box, image boxes, print,
    (wait for the Print Job's Done or Failure event, as PS3.4 H.4.5.2.1.2 advises an
    SCU that wants to know), delete, release; stops at the first failure or step
    without an answer (an abort, a dropped connection, a DIMSE timeout). Returns what
    happened: ``steps`` lists (step, status or None, status data set, returned data set)."""
    received = associate_options.pop("received", None) or Received()
    assoc = associate(port, received=received, **associate_options)
    result: dict = {"received": received, "steps": [], "established": assoc.is_established}
    result["rejected"] = assoc.is_rejected
    if assoc.is_rejected:
        primitive = assoc.acceptor.primitive
        result["reject"] = (primitive.result, primitive.result_source, primitive.diagnostic)
    if not assoc.is_established:
        result["aborted"] = assoc.is_aborted
        return result

    def step(name, call):
        status, out = call()
        code = int(status.Status) if status is not None and "Status" in status else None
        result["steps"].append((name, code, status, out))
        if code is None or status_category(code) == StatusCategory.FAILURE:
            raise _Stop(name)
        return out

    try:
        printer = step(
            "N-GET Printer",
            lambda: assoc.send_n_get(
                [0x21100010, 0x21100020], uids.PRINTER, uids.PRINTER_INSTANCE, meta_uid=GRAY_META
            ),
        )
        result["printer_status"] = printer.PrinterStatus if printer is not None else None
        session = generate_uid()
        label = Dataset()
        label.FilmSessionLabel = "PYNETDICOM JOB"
        step(
            "N-CREATE Film Session",
            lambda: assoc.send_n_create(
                label, uids.BASIC_FILM_SESSION, session, meta_uid=GRAY_META
            ),
        )
        box_uid = generate_uid()
        dataset = Dataset()
        dataset.ImageDisplayFormat = display_format
        dataset.FilmSizeID = "8INX10IN"
        dataset.ReferencedFilmSessionSequence = [reference(uids.BASIC_FILM_SESSION, session)]
        out = step(
            "N-CREATE Film Box",
            lambda: assoc.send_n_create(dataset, uids.BASIC_FILM_BOX, box_uid, meta_uid=GRAY_META),
        )
        for position, (item, value) in enumerate(
            zip(out.ReferencedImageBoxSequence, values, strict=False), 1
        ):
            pixels = np.full(size, value, np.uint8)
            step(
                f"N-SET Image Box {position}",
                lambda i=item, p=position, x=pixels: (set_box(assoc, i, p, x), None),
            )
        reply = step("N-ACTION Film Box", lambda: print_film(assoc, box_uid))
        result["reply"] = reply
        if wait_job and reply is not None and "ReferencedPrintJobSequencePullStoredPrint" in reply:
            _wait_for_job_end(received)
        step(
            "N-DELETE Film Box",
            lambda: (assoc.send_n_delete(uids.BASIC_FILM_BOX, box_uid, meta_uid=GRAY_META), None),
        )
    except _Stop as stop:
        result["stopped_at"] = str(stop)
    finally:
        if assoc.is_established:
            release(assoc)
        result["aborted"] = assoc.is_aborted or received.aborted > 0
    result["statuses"] = {name: code for name, code, _, _ in result["steps"]}
    result["n_set"] = [code for name, code, _, _ in result["steps"] if name.startswith("N-SET")]
    result["n_action"] = result["statuses"].get("N-ACTION Film Box")
    result["n_delete"] = result["statuses"].get("N-DELETE Film Box")
    return result


def _wait_for_job_end(received: Received, timeout: float = 10) -> None:
    """Wait for a Print Job Done (3) or Failure (4) event. Releasing before it is a race:
    an event crossing our A-RELEASE-RQ makes pynetdicom answer in Sta7, an invalid event
    that kills its reactor thread (pynetdicom 3.0.4)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(cls == uids.PRINT_JOB and kind in (3, 4) for cls, kind, _ in list(received.events)):
            # pynetdicom answers events on a thread of its own that, when done, clears the
            # flag its next request waits for; a request started meanwhile waits forever
            # (pynetdicom 3.0.4). Let that thread finish first.
            time.sleep(0.05)
            return
        time.sleep(0.005)


class _Stop(Exception):
    """A step failed or went unanswered: the job stops there."""


__all__ = [
    "COLOR_META",
    "GRAY_META",
    "PrinterConfigurationRetrieval",
    "Received",
    "associate",
    "film_box",
    "film_session",
    "print_film",
    "print_job",
    "set_box",
]
