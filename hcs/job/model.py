"""What a print job is and what printing it did, as plain values.

A :class:`PrintRequest` is one film session: its attributes and its films, each film
its film box attributes and the image box pixels the formatter made. The driver
answers with a :class:`JobOutcome`: every DIMSE operation it sent, with the status and
its meaning, and per film whether it printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dimse.status import StatusCategory, describe_status, status_category

if TYPE_CHECKING:  # an annotation only: hcs echo/status import this module, not numpy
    import numpy as np


@dataclass
class FilmSessionSpec:
    """Basic Film Session N-CREATE attributes (PS3.4 Table H.4-2); ``None`` = not sent."""

    number_of_copies: int | None = 1
    print_priority: str | None = None
    medium_type: str | None = None
    film_destination: str | None = None
    film_session_label: str | None = None
    memory_allocation: int | None = None
    owner_id: str | None = None


@dataclass
class FilmBoxSpec:
    """Basic Film Box N-CREATE attributes (PS3.4 Table H.4-6); ``None`` = not sent."""

    image_display_format: str = "STANDARD\\1,1"
    film_orientation: str | None = None
    film_size_id: str | None = None
    magnification_type: str | None = None
    smoothing_type: str | None = None
    border_density: str | None = None
    empty_image_density: str | None = None
    min_density: int | None = None
    max_density: int | None = None
    trim: str | None = None
    configuration_information: str | None = None
    requested_resolution_id: str | None = None
    illumination: int | None = None
    reflected_ambient_light: int | None = None
    annotation_display_format_id: str | None = None


@dataclass
class ImageBoxSpec:
    """One image box: its pixels as formatted, and its optional N-SET attributes.

    ``pixels`` is uint8 ``[rows, columns]`` (8-bit gray), uint16 ``[rows, columns]`` with
    values below 4096 (12-bit gray, sent as 12 in 16), or uint8 ``[rows, columns, 3]``
    (RGB, sent as planes as PS3.3 C.13-5 requires).
    """

    pixels: np.ndarray
    polarity: str | None = None
    magnification_type: str | None = None
    smoothing_type: str | None = None
    min_density: int | None = None
    max_density: int | None = None
    configuration_information: str | None = None
    requested_image_size: float | None = None
    requested_decimate_crop_behavior: str | None = None
    photometric_interpretation: str = "MONOCHROME2"


@dataclass
class FilmSpec:
    box: FilmBoxSpec
    images: list[ImageBoxSpec | None]
    annotations: dict[int, str] = field(default_factory=dict)


@dataclass
class PrintRequest:
    """One film session for one printer."""

    session: FilmSessionSpec
    films: list[FilmSpec]
    color: bool = False
    presentation_lut_shape: str | None = None
    collate: bool = False  # print all films with one Film Session N-ACTION
    # False: every film box is created, filled and deleted but never printed (no N-ACTION);
    # its film ends "not printed". ``hcs bench --no-print`` measures a printer this way.
    action: bool = True


@dataclass
class OperationRecord:
    """One DIMSE exchange as the job's history keeps it."""

    operation: str
    sop_class_uid: str
    sop_instance_uid: str | None
    status: int | None
    error_comment: str | None = None
    offending_element: tuple[int, ...] | None = None
    detail: str | None = None
    seconds: float | None = None  # from the request sent to its response

    @property
    def category(self) -> str | None:
        return None if self.status is None else status_category(self.status).value

    @property
    def description(self) -> str:
        if self.status is None:
            return f"{self.operation}: no answer ({self.detail or 'association ended'})"
        text = f"{self.operation}: {describe_status(self.status)}"
        if self.error_comment:
            text += f" ({self.error_comment})"
        if self.offending_element:
            tags = ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in self.offending_element)
            text += f" offending element {tags}"
        return text

    @property
    def is_warning(self) -> bool:
        return self.status is not None and status_category(self.status) is StatusCategory.WARNING

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "seconds": self.seconds,
            "sop_class_uid": self.sop_class_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "status": self.status,
            "status_hex": None if self.status is None else f"0x{self.status:04X}",
            "category": self.category,
            "description": self.description,
            "error_comment": self.error_comment,
            "offending_element": list(self.offending_element or ()),
        }


@dataclass
class FilmOutcome:
    index: int
    # pending, printed, failed, unknown (N-ACTION sent, no answer), not printed (no action)
    state: str = "pending"
    reason: str | None = None
    print_job_uid: str | None = None
    print_job_status: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class JobOutcome:
    films: list[FilmOutcome]
    operations: list[OperationRecord] = field(default_factory=list)
    printer_status: str | None = None
    printer_status_info: str | None = None
    events: list[str] = field(default_factory=list)
    attempts: int = 0
    # What hcs tolerated or worked around in the printer's answers (a meta SOP class as
    # an image box's class, more image boxes than the format, a refused N-GET ...).
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Keep ``text`` once (a quirk seen on every film is noted once per job)."""
        if text not in self.notes:
            self.notes.append(text)

    @property
    def printed(self) -> bool:
        return all(f.state == "printed" for f in self.films)

    @property
    def warnings(self) -> list[str]:
        return [r.description for r in self.operations if r.is_warning]

    def as_json(self) -> dict[str, Any]:
        return {
            "printed": self.printed,
            "attempts": self.attempts,
            "printer_status": self.printer_status,
            "printer_status_info": self.printer_status_info,
            "films": [
                {
                    "index": f.index,
                    "state": f.state,
                    "reason": f.reason,
                    "print_job_uid": f.print_job_uid,
                    "print_job_status": f.print_job_status,
                    "warnings": f.warnings,
                }
                for f in self.films
            ],
            "operations": [r.as_json() for r in self.operations],
            "events": self.events,
            "notes": self.notes,
        }
