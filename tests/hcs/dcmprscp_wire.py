"""What DCMTK's dcmprscp received and kept: its stored objects and its DIMSE log.

A second witness beside the virtual printer's records (``tests/hcs/wire.py``), written
by someone else's code: dcmprscp stores each printed film as a Stored Print object
(``SP_*.dcm``: the Film Box's attributes, each Image Box's, the Presentation LUT) and
each image box as a Hardcopy Grayscale Image (``HG_*.dcm``: the pixels as received).
The Film Session's attributes and the operations themselves (N-ACTION, N-DELETE) are
not in any stored object; with ``log=True`` (``--logfile --dump``) dcmprscp writes
every DIMSE message and its data set to ``spool/PrintSCP_*.log``, which
:func:`received` reads.

The SCP needs a configuration that accepts what we send (Smoothing Type values,
Configuration_n entries: :data:`SETTINGS`); it refuses Min/Max Density on an Image Box
and has no Annotation Box, so those are pinned on the virtual printer only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

# What our every-attribute jobs send that dcmprscp's default configuration refuses.
SETTINGS = {
    "SmoothingType": "NONE\\SHARP\\MEDIUM\\SMOOTH",
    "Configuration_1": "GAMMA 2.2",
    "Configuration_2": "PERBOX",
    "DeletePrintJobs": "false",
}

CLASSES = {
    "PrinterSOPClass": "Printer",
    "BasicFilmSessionSOPClass": "Film Session",
    "BasicFilmBoxSOPClass": "Film Box",
    "BasicGrayscaleImageBoxSOPClass": "Grayscale Image Box",
    "BasicColorImageBoxSOPClass": "Color Image Box",
    "PresentationLUTSOPClass": "Presentation LUT",
    "BasicAnnotationBoxSOPClass": "Annotation Box",
    "PrintJobSOPClass": "Print Job",
}
_ELEMENT = re.compile(
    r"^\((?P<tag>[0-9a-f]{4},[0-9a-f]{4})\) (?P<vr>[A-Za-z]{2}) (?P<value>.*?)\s+#\s*\d+,\s*\d+ "
    r"(?P<keyword>\w+)$"
)


@dataclass
class Message:
    """One DIMSE message in dcmprscp's log: its header and its top-level attributes."""

    direction: str  # "in" (we sent it) or "out" (dcmprscp's answer)
    header: dict[str, str]
    dataset: dict[str, str] = field(default_factory=dict)  # keyword -> the value as dumped

    @property
    def kind(self) -> str:
        return self.header["Message Type"]  # "N-CREATE RQ"

    @property
    def operation(self) -> str:
        """ "N-CREATE Film Session", like :attr:`tests.hcs.wire.Received.operation`."""
        sop_class = self.header.get("Affected SOP Class UID", "none")
        if sop_class == "none":
            sop_class = self.header.get("Requested SOP Class UID", "none")
        name = CLASSES.get(sop_class.lstrip("="), sop_class)
        return f"{self.kind.removesuffix(' RQ').removesuffix(' RSP')} {name}"

    @property
    def instance(self) -> str:
        for key in ("Requested SOP Instance UID", "Affected SOP Instance UID"):
            if self.header.get(key, "none") != "none":
                return self.header[key]
        return "none"


def _value(text: str) -> str:
    """A dumped value as text: ``[CLEAR FILM]`` -> ``CLEAR FILM``, ``15`` -> ``15``."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1]
    return text.lstrip("=")


def messages(directory: Path) -> list[Message]:
    """Every DIMSE message in the logs under ``directory/spool`` (``log=True``), in order."""
    found: list[Message] = []
    for path in sorted((directory / "spool").glob("PrintSCP_*.log")):
        current: Message | None = None
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("=") and "DIMSE MESSAGE" in line and "END" not in line:
                direction = "in" if "INCOMING" in line else "out"
                current = Message(direction, {})
                found.append(current)
            elif line.startswith("=") and "END DIMSE MESSAGE" in line:
                current = None
            elif current is not None:
                element = _ELEMENT.match(line)  # top level only: nested lines are indented
                if element and element["vr"] == "SQ":
                    current.dataset[element["keyword"]] = "SQ"
                elif element and element["vr"] != "na":
                    current.dataset[element["keyword"]] = _value(element["value"])
                elif " : " in line and not line.startswith(("(", " ", "#", "-")):
                    key, _, value = line.partition(" : ")
                    current.header[key.strip()] = value.strip()
    return found


def received(directory: Path) -> list[Message]:
    """The requests dcmprscp received (its answers left out)."""
    return [m for m in messages(directory) if m.direction == "in" and m.kind.endswith("RQ")]


def answer(directory: Path, request: Message) -> Message:
    """dcmprscp's answer to ``request`` (by message ID)."""
    number = request.header["Message ID"]
    for message in messages(directory):
        if (
            message.direction == "out"
            and message.header.get("Message ID Being Responded To") == number
            and message.operation.split(" ", 1)[0] == request.operation.split(" ", 1)[0]
        ):
            return message
    raise AssertionError(f"no answer to {request.operation} (message {number})")


@dataclass
class StoredFilm:
    """One film dcmprscp printed: its Stored Print, and each image box's Hardcopy
    Grayscale Image in position order."""

    stored_print: pydicom.Dataset
    images: list[tuple[pydicom.Dataset, pydicom.Dataset]]  # (image box content, HG image)

    @property
    def film_box(self) -> pydicom.Dataset:
        return self.stored_print.FilmBoxContentSequence[0]


def stored_films(directory: Path) -> list[StoredFilm]:
    """The films dcmprscp printed, oldest first."""
    database = directory / "database"
    hardcopy = {}
    for path in database.glob("HG_*.dcm"):
        image = pydicom.dcmread(path)
        hardcopy[str(image.SOPInstanceUID)] = image
    films = []
    for path in sorted(database.glob("SP_*.dcm"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        sp = pydicom.dcmread(path)
        boxes = sorted(sp.ImageBoxContentSequence, key=lambda item: int(item.ImageBoxPosition))
        images = [
            (box, hardcopy[str(box.ReferencedImageSequence[0].ReferencedSOPInstanceUID)])
            for box in boxes
        ]
        films.append(StoredFilm(sp, images))
    return films


def film_box_attributes(film: StoredFilm) -> dict[str, object]:
    """The Film Box attributes dcmprscp kept (its references left out)."""
    return {
        element.keyword: element.value
        for element in film.film_box
        if element.VR != "SQ" and element.keyword
    }


def image_box_attributes(box: pydicom.Dataset) -> dict[str, object]:
    """An Image Box's attributes as kept (its SOP Instance UID and references left out)."""
    return {
        element.keyword: element.value
        for element in box
        if element.VR != "SQ" and element.keyword not in ("SOPInstanceUID", "")
    }
