"""A print SCP on pynetdicom's event handlers: an Upper Layer and DIMSE nobody here wrote.

It takes Basic Grayscale and Basic Color Print Management (the meta SOP classes), Basic
Annotation Box and Presentation LUT, answers N-GET Printer, N-CREATE Film Session and
Film Box (STANDARD, ROW and COL formats), N-SET Image Box and Annotation Box, N-ACTION
print and N-DELETE, and keeps every printed film as plain values (format, image box
pixels by position, annotations) for the tests to read back. It is deliberately small:
what it checks is what a printer built on pynetdicom would check.
"""

from __future__ import annotations

import re
import threading
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
    Verification,
)

from dimse import uids

SUCCESS, NO_SUCH_INSTANCE, INVALID_VALUE, PROCESSING_FAILURE = 0x0000, 0x0112, 0x0106, 0x0110
_STANDARD = re.compile(r"STANDARD\\(\d+),(\d+)$")
_ROW_COL = re.compile(r"(ROW|COL)\\(\d+(?:,\d+)*)$")


def box_count(display_format: str) -> int | None:
    if (match := _STANDARD.match(display_format)) is not None:
        return int(match.group(1)) * int(match.group(2))
    if (match := _ROW_COL.match(display_format)) is not None:
        return sum(int(n) for n in match.group(2).split(","))
    return None


@dataclass
class Film:
    """One printed film as the SCP received it."""

    display_format: str
    color: bool
    boxes: dict[int, np.ndarray] = field(default_factory=dict)
    annotations: dict[int, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class _FilmBox:
    film: Film
    image_boxes: dict[str, int]  # image box UID -> position
    annotation_boxes: dict[str, int]


def _pixels(item: Dataset, color: bool) -> np.ndarray:
    dtype = np.uint16 if int(item.BitsAllocated) == 16 else np.uint8
    data = np.frombuffer(item.PixelData, dtype)
    rows, columns = int(item.Rows), int(item.Columns)
    if color:  # Planar Configuration 1 (PS3.3 C.13-5): the planes one after another
        return data[: 3 * rows * columns].reshape(3, rows, columns).transpose(1, 2, 0).copy()
    return data[: rows * columns].reshape(rows, columns).copy()


class PynetdicomPrintSCP:
    """The SCP, listening on 127.0.0.1:``port`` in pynetdicom's own threads."""

    def __init__(self, ae_title: str = "PYPRINTER", color: bool = True, ssl_context=None):
        self.films: list[Film] = []
        self.operations: list[str] = []
        self._lock = threading.Lock()
        self._film_boxes: dict[str, _FilmBox] = {}
        self._sessions: set[str] = set()
        ae = AE(ae_title)
        syntaxes = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]
        ae.add_supported_context(BasicGrayscalePrintManagementMeta, syntaxes)
        if color:
            ae.add_supported_context(BasicColorPrintManagementMeta, syntaxes)
        ae.add_supported_context(BasicAnnotationBox, syntaxes)
        ae.add_supported_context(PresentationLUT, syntaxes)
        ae.add_supported_context(Verification, syntaxes)
        self._ae = ae
        handlers = [
            (evt.EVT_N_GET, self._get),
            (evt.EVT_N_CREATE, self._create),
            (evt.EVT_N_SET, self._set),
            (evt.EVT_N_ACTION, self._action),
            (evt.EVT_N_DELETE, self._delete),
        ]
        self._server = ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=handlers, ssl_context=ssl_context
        )
        self.port = self._server.server_address[1]

    def close(self) -> None:
        self._server.shutdown()

    def __enter__(self) -> PynetdicomPrintSCP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ handlers
    def _note(self, event, what: str) -> None:
        with self._lock:
            self.operations.append(what)

    def _get(self, event):
        request = event.request
        self._note(event, f"N-GET {request.RequestedSOPClassUID}")
        if request.RequestedSOPClassUID != uids.PRINTER:
            return NO_SUCH_INSTANCE, None
        ds = Dataset()
        ds.PrinterStatus = "NORMAL"
        ds.PrinterStatusInfo = "NORMAL"
        ds.PrinterName = "PYNETDICOM"
        ds.Manufacturer = "pynetdicom test SCP"
        return SUCCESS, ds

    def _create(self, event):
        request = event.request
        sop_class = request.AffectedSOPClassUID
        self._note(event, f"N-CREATE {sop_class}")
        uid = request.AffectedSOPInstanceUID or generate_uid()
        attributes = event.attribute_list
        out = Dataset()
        out.AffectedSOPInstanceUID = uid
        if sop_class == uids.BASIC_FILM_SESSION:
            self._sessions.add(str(uid))
            return SUCCESS, out
        if sop_class == uids.PRESENTATION_LUT:
            return SUCCESS, out
        if sop_class != uids.BASIC_FILM_BOX:
            return PROCESSING_FAILURE, None
        reference = attributes.get("ReferencedFilmSessionSequence")
        if not reference or str(reference[0].ReferencedSOPInstanceUID) not in self._sessions:
            return INVALID_VALUE, None
        display_format = str(attributes.get("ImageDisplayFormat", ""))
        count = box_count(display_format)
        if count is None:
            return INVALID_VALUE, None
        color = event.context.abstract_syntax == uids.BASIC_COLOR_PRINT_MANAGEMENT_META
        box_class = uids.BASIC_COLOR_IMAGE_BOX if color else uids.BASIC_GRAYSCALE_IMAGE_BOX
        film = Film(display_format, color)
        for keyword in ("FilmSizeID", "FilmOrientation", "MagnificationType"):
            if keyword in attributes:
                film.attributes[keyword] = str(attributes.get(keyword))
        image_boxes = {generate_uid(): position for position in range(1, count + 1)}
        annotation_boxes = {generate_uid(): position for position in (1, 2)}
        with self._lock:
            self._film_boxes[str(uid)] = _FilmBox(film, image_boxes, annotation_boxes)
        out.ImageDisplayFormat = display_format
        out.ReferencedImageBoxSequence = [_reference(box_class, u) for u in image_boxes]
        out.ReferencedBasicAnnotationBoxSequence = [
            _reference(uids.BASIC_ANNOTATION_BOX, u) for u in annotation_boxes
        ]
        return SUCCESS, out

    def _set(self, event):
        request = event.request
        sop_class, uid = request.RequestedSOPClassUID, str(request.RequestedSOPInstanceUID)
        self._note(event, f"N-SET {sop_class}")
        attributes = event.attribute_list
        with self._lock:
            for film_box in self._film_boxes.values():
                if uid in film_box.image_boxes:
                    color = sop_class == uids.BASIC_COLOR_IMAGE_BOX
                    if color != film_box.film.color:
                        return 0x0119, None  # class-instance conflict
                    keyword = "BasicColorImageSequence" if color else "BasicGrayscaleImageSequence"
                    position = film_box.image_boxes[uid]
                    if int(attributes.ImageBoxPosition) != position:
                        return INVALID_VALUE, None
                    film_box.film.boxes[position] = _pixels(attributes[keyword][0], color)
                    return SUCCESS, None
                if uid in film_box.annotation_boxes:
                    position = film_box.annotation_boxes[uid]
                    film_box.film.annotations[position] = str(attributes.get("TextString", ""))
                    return SUCCESS, None
        return NO_SUCH_INSTANCE, None

    def _action(self, event):
        request = event.request
        self._note(event, f"N-ACTION {request.RequestedSOPClassUID}")
        uid = str(request.RequestedSOPInstanceUID)
        with self._lock:
            if request.RequestedSOPClassUID == uids.BASIC_FILM_BOX and uid in self._film_boxes:
                self.films.append(self._film_boxes[uid].film)
                return SUCCESS, None
            if request.RequestedSOPClassUID == uids.BASIC_FILM_SESSION:
                self.films += [f.film for f in self._film_boxes.values()]
                return SUCCESS, None
        return NO_SUCH_INSTANCE, None

    def _delete(self, event):
        request = event.request
        self._note(event, f"N-DELETE {request.RequestedSOPClassUID}")
        uid = str(request.RequestedSOPInstanceUID)
        with self._lock:
            self._film_boxes.pop(uid, None)
            self._sessions.discard(uid)
        return SUCCESS


def _reference(sop_class: str, sop_instance: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = sop_instance
    return item
