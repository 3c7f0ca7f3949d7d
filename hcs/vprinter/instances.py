"""The print management SOP instances one association holds, and what gets printed.

Plain data, no rules: the Film Session, its Film Boxes with their Image and Annotation
Boxes, Presentation LUTs (PS3.4 H.4), the Print Job that outlives the association
(H.4.5), and the frozen picture of a film box that a print order hands to the renderer.
The rules that create and change them are in :mod:`hcs.vprinter.handlers`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset

from dimse import uids
from hcs.vprinter import geometry, rules

# ------------------------------------------------------------------- SOP instances


@dataclass
class PresentationLUT:
    uid: str
    shape: str | None
    lut: Any = None  # (numpy table, bits) for an explicit LUT


@dataclass
class ImageBox:
    uid: str
    sop_class: str
    position: int
    box: geometry.Box
    pixels: rules.Pixels | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    dataset: Dataset | None = None
    fit: str | None = None  # DEMAGNIFY, DECIMATE or CROP when larger than the box
    warning: int | None = None

    @property
    def color(self) -> bool:
        return self.sop_class == uids.BASIC_COLOR_IMAGE_BOX


@dataclass
class AnnotationBox:
    uid: str
    position: int
    text: str = ""


@dataclass
class FilmBox:
    uid: str
    color: bool
    attrs: dict[str, Any]
    layout: geometry.Layout
    dpi: float
    image_boxes: list[ImageBox]
    annotation_boxes: list[AnnotationBox]
    plut: PresentationLUT | None = None
    printed: bool = False


@dataclass
class FilmSession:
    uid: str
    attrs: dict[str, Any]
    film_boxes: list[FilmBox] = field(default_factory=list)


@dataclass
class PrintJob:
    """A Print Job SOP instance (PS3.4 H.4.5): it outlives the association."""

    uid: str
    association: int
    priority: str
    originator: str
    printer_name: str
    label: str
    films: list[FilmToPrint]
    status: str = "PENDING"
    info: str = "NORMAL"
    created: datetime.datetime = field(default_factory=datetime.datetime.now)


# --------------------------------------------------------------- what gets printed


@dataclass(frozen=True)
class BoxToPrint:
    """One image box as it was when the print was ordered (later N-SETs do not change it)."""

    position: int
    box: geometry.Box
    uid: str
    pixels: rules.Pixels | None
    polarity: str
    magnification: str
    smoothing: str
    requested_size_mm: float | None
    fit: str | None
    lut: Any
    dataset: Dataset | None


@dataclass(frozen=True)
class FilmToPrint:
    """A film box frozen at N-ACTION time, with everything the renderer needs."""

    film_id: str
    film_box_uid: str
    film_session_uid: str
    color: bool
    layout: geometry.Layout
    dpi: float
    attrs: dict[str, Any]
    session_attrs: dict[str, Any]
    boxes: tuple[BoxToPrint, ...]
    annotations: tuple[tuple[int, str], ...]
    annotation_count: int
    copies: int


@dataclass
class PrintOrder:
    """What one N-ACTION asks the printer to do: a Print Job over some films."""

    job_uid: str
    films: list[FilmToPrint]
    priority: str
    label: str
    source: str  # "film box" or "film session"
