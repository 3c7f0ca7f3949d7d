"""pynetdicom as an independent print SCU for the virtual printer's tests.

Until the project's own print driver exists, this is the SCU that exercises every
feature and every fault end to end: a third-party stack that shares no code with the
printer, so what passes here is not an agreement of one author with himself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, evt
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
from tests.hcs.vprinter.helpers import image_box_dataset, reference

logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)

GRAY_META = BasicGrayscalePrintManagementMeta
COLOR_META = BasicColorPrintManagementMeta


@dataclass
class Received:
    """N-EVENT-REPORTs the printer sent us: (SOP class, event type, event information)."""

    events: list[tuple[str, int, Dataset | None]] = field(default_factory=list)

    def handler(self, event):
        request = event.request
        self.events.append(
            (str(request.AffectedSOPClassUID), int(request.EventTypeID), event.event_information)
        )
        return 0x0000, None


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
    handlers = [(evt.EVT_N_EVENT_REPORT, (received or Received()).handler)]
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
    **associate_options,
) -> dict:
    """A complete grayscale job: N-GET Printer, session, film box, image boxes, print,
    delete, release. Returns what happened for the test to check."""
    received = associate_options.pop("received", None) or Received()
    assoc = associate(port, received=received, **associate_options)
    assert assoc.is_established, "association not established"
    result: dict = {"received": received}
    try:
        status, printer = assoc.send_n_get(
            [0x21100010], uids.PRINTER, uids.PRINTER_INSTANCE, meta_uid=GRAY_META
        )
        result["printer_status"] = printer.PrinterStatus if printer is not None else None
        session = film_session(assoc, FilmSessionLabel="PYNETDICOM JOB")
        box_uid, out = film_box(assoc, session, display_format, FilmSizeID="8INX10IN")
        statuses = []
        for position, (item, value) in enumerate(
            zip(out.ReferencedImageBoxSequence, values, strict=False), 1
        ):
            statuses.append(set_box(assoc, item, position, np.full(size, value, np.uint8)).Status)
        result["n_set"] = statuses
        status, reply = print_film(assoc, box_uid)
        result["n_action"] = status.Status
        result["reply"] = reply
        status = assoc.send_n_delete(uids.BASIC_FILM_BOX, box_uid, meta_uid=GRAY_META)
        result["n_delete"] = status.Status
    finally:
        if assoc.is_established:
            assoc.release()
    return result


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
