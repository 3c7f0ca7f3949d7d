"""A print N-ACTION: the film boxes frozen into a :class:`PrintOrder` and its reply.

Shared by the Film Session and Film Box N-ACTIONs (PS3.4 H.4.1.2.3, H.4.2.2.3): what is
printed is the film box as it is now; later N-SETs do not change a job under way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dimse import messages as m
from dimse import uids
from dimse.status import StatusCode
from hcs.vprinter.instances import (
    BoxToPrint,
    FilmBox,
    FilmSession,
    FilmToPrint,
    ImageBox,
    PrintOrder,
)
from hcs.vprinter.replies import Reply, reference, respond

if TYPE_CHECKING:
    from hcs.vprinter.session import PrintSession


def order(
    session: PrintSession, film_session: FilmSession, film_boxes: list[FilmBox], source: str
) -> PrintOrder:
    films = []
    copies = int(film_session.attrs.get("NumberOfCopies", 1))
    for film_box in film_boxes:
        session.films_printed += 1
        film_box.printed = True
        films.append(
            FilmToPrint(
                film_id=f"a{session.association:04d}-f{session.films_printed:03d}",
                film_box_uid=film_box.uid,
                film_session_uid=film_session.uid,
                color=film_box.color,
                layout=film_box.layout,
                dpi=film_box.dpi,
                attrs=dict(film_box.attrs),
                session_attrs=dict(film_session.attrs),
                boxes=tuple(_box_to_print(session, film_box, b) for b in film_box.image_boxes),
                annotations=tuple(
                    (a.position, a.text) for a in film_box.annotation_boxes if a.text
                ),
                annotation_count=len(film_box.annotation_boxes),
                copies=copies,
            )
        )
    return PrintOrder(
        generate_uid(prefix=None),
        films,
        str(film_session.attrs.get("PrintPriority", "MED")),
        str(film_session.attrs.get("FilmSessionLabel", "")),
        source,
    )


def _box_to_print(session: PrintSession, film_box: FilmBox, box: ImageBox) -> BoxToPrint:
    attrs, film = box.attrs, film_box.attrs
    plut = attrs.get("plut") or film_box.plut
    size = attrs.get("RequestedImageSize")
    return BoxToPrint(
        position=box.position,
        box=box.box,
        uid=box.uid,
        pixels=box.pixels,
        polarity=str(attrs.get("Polarity", "NORMAL")),
        magnification=str(attrs.get("MagnificationType", film["MagnificationType"])),
        smoothing=str(attrs.get("SmoothingType", film["SmoothingType"])),
        requested_size_mm=float(size) if size is not None else None,
        fit=box.fit,
        lut=(plut.shape, plut.lut) if plut is not None else None,
        dataset=box.dataset if session.config.store_dicom else None,
    )


def action_reply(
    session: PrintSession,
    request: m.NActionRQ,
    instance: str,
    order: PrintOrder,
    warning: int | None,
) -> Reply:
    dataset = None
    if session.has_print_job:
        dataset = Dataset()
        dataset.ReferencedPrintJobSequencePullStoredPrint = [
            reference(uids.PRINT_JOB, order.job_uid)
        ]
    status = warning or StatusCode.SUCCESS
    return Reply(respond(request, status, instance=instance, dataset=dataset), order)


def first_box_warning(film_boxes: list[FilmBox]) -> int | None:
    """The warning an image box got when set (e.g. demagnified), which the print repeats."""
    for film_box in film_boxes:
        for box in film_box.image_boxes:
            if box.pixels is not None and box.warning is not None:
                return box.warning
    return None
