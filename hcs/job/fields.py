"""The job options, said once: one table that makes the command-line options of ``hcs
print`` and ``hcs submit``, the HTTP job's JSON schema and its parser.

Each :class:`JobField` names an option (``copies``: the JSON key, ``--copies`` on the
command line, ``JobOptions.copies`` in Python), the DICOM attribute it becomes, where it
applies (the film session, each film box, each image box, each frame the formatter
draws, or the job as a whole), its type and the terms it may take. The way
``dimse/command.py`` derives command layouts from one list of fields, the parsers here
derive everything from :data:`FIELDS`, so the interfaces cannot drift apart: an option
added to the table exists on the command line, over HTTP and in the schema at once.

Values are checked against PS3.3's terms here, where the job enters; a printer's own
narrower lists are checked by the driver's data set builders before an association
opens (``docs/conformance.md`` 3.2.3).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hcs.job import graphics, terms

SESSION, FILM_BOX, IMAGE_BOX, FRAME, JOB = "film session", "film box", "image box", "frame", "job"
LEVELS = (SESSION, FILM_BOX, IMAGE_BOX, FRAME, JOB)
WINDOW = "window"  # a [center, width] pair
TEXTS = "texts"  # text at box corners: {corner: template}; --text CORNER=TEMPLATE, repeated
ROI = "roi"  # a region of interest [column, row, width, height]; --roi X,Y,W,H
TEXT_LIST = "text list"  # a list of texts; --OPTION TEXT, repeated
GRAPHICS = "graphics"  # drawings on a box: a list of objects (hcs.job.graphics)
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


class FieldError(ValueError):
    """A job option with a wrong value; ``field`` is the option's name."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class JobField:
    """One job option (see the module docstring)."""

    name: str
    level: str
    kind: Any  # str, int, float, bool or WINDOW
    help: str
    keyword: str | None = None  # the DICOM attribute it is sent as
    terms: tuple[Any, ...] | None = None  # the values it may take (strings upper-cased)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    check: Callable[[Any], Any] | None = None  # a further check from hcs.job.terms
    attribute: str | None = None  # the JobOptions attribute, when not ``name``
    aliases: tuple[str, ...] = ()  # older command-line spellings still taken
    metavar: str | None = None
    default: Any = None  # what an absent option means, for the documentation only
    per_frame: bool | None = None  # also a key of each frame (default: image box, frame)

    @property
    def in_frame(self) -> bool:
        """Whether a job's ``frames[i]`` may set this option for its own box: the image
        box and frame levels, and film-box options a box can override (magnification)."""
        if self.per_frame is not None:
            return self.per_frame
        return self.level in (IMAGE_BOX, FRAME)

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def python(self) -> str:
        return self.attribute or self.name

    # ------------------------------------------------------------------ checking
    def convert(self, value: Any) -> Any:
        """A JSON value (or a Python one) checked and normalised; :class:`FieldError`."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise FieldError(self.name, "must be true or false")
            return value
        if self.kind is TEXTS:
            return _texts(self.name, value)
        if self.kind is ROI:
            return _roi(self.name, value)
        if self.kind is TEXT_LIST:
            return _text_list(self.name, value, self.max_length or 64)
        if self.kind is GRAPHICS:
            try:
                return graphics.parse(self.name, value)
            except graphics.GraphicError as error:
                raise FieldError(error.field, error.reason) from None
        if self.kind is WINDOW:
            if (
                not isinstance(value, list | tuple)
                or len(value) != 2
                or not all(_is_number(v) for v in value)
                or value[1] <= 0
            ):
                raise FieldError(self.name, "must be [center, width] with a positive width")
            return (float(value[0]), float(value[1]))
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise FieldError(self.name, f"{value!r} must be an integer")
            if self.terms is not None and value not in self.terms:
                raise FieldError(
                    self.name, f"{value!r} is not one of {', '.join(map(str, self.terms))}"
                )
            self._bounds(value)
        elif self.kind is float:
            if not _is_number(value):
                raise FieldError(self.name, f"{value!r} must be a number")
            value = float(value)
            self._bounds(value)
        else:
            if not isinstance(value, str) or not value.strip():
                raise FieldError(self.name, "must be a non-empty string")
            if self.terms is not None:
                value = value.strip().upper()
                if value not in self.terms:
                    what = f"a {_words(self.keyword)} ({self.keyword})" if self.keyword else "one"
                    raise FieldError(
                        self.name, f"{value!r} is not {what} of {', '.join(self.terms)}"
                    )
            if self.max_length is not None and len(value) > self.max_length:
                raise FieldError(self.name, f"longer than {self.max_length} characters")
        if self.check is not None:
            try:
                value = self.check(value)
            except terms.InvalidAttribute as error:
                raise FieldError(self.name, str(error)) from None
        return value

    def _bounds(self, value: float) -> None:
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            raise FieldError(
                self.name,
                f"{value!r} must be from {low} to {high}" if high else f"{value!r} must be ≥ {low}",
            )

    def from_text(self, text: str) -> Any:
        """A command-line value as the field's type (argparse's ``type``); its terms and
        bounds are checked by :func:`from_args`, so the command reports them its way."""
        if self.kind is TEXTS:
            corner, sep, template = text.partition("=")
            if not sep:
                raise argparse.ArgumentTypeError(f"{text!r} must be CORNER=TEMPLATE")
            return corner, template.replace("\\n", "\n")
        if self.kind is GRAPHICS:
            try:
                return json.loads(text)
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"{text!r} is not a JSON object (e.g. "
                    '\'{"type": "line", "points": [[0, 0], [50, 50]]}\')'
                ) from None
        try:
            if self.kind is int:
                return int(text)
            if self.kind is float:
                return float(text)
            if self.kind is WINDOW:
                center, width = (float(v) for v in text.split(","))
                return [center, width]
            if self.kind is ROI:
                x, y, w, h = (int(v) for v in text.split(","))
                return [x, y, w, h]
        except ValueError:
            kind = {WINDOW: "CENTER,WIDTH", ROI: "X,Y,WIDTH,HEIGHT (whole pixels)"}.get(
                self.kind
            ) or f"a {self.kind.__name__}"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        return text

    # ------------------------------------------------------------------ schema
    def schema(self) -> dict[str, Any]:
        """This field as a JSON Schema property."""
        if self.kind is WINDOW:
            out: dict[str, Any] = {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 2,
                "maxItems": 2,
            }
        elif self.kind is ROI:
            out = {
                "type": "array",
                "items": {"type": "integer", "minimum": 0},
                "minItems": 4,
                "maxItems": 4,
            }
        elif self.kind is TEXT_LIST:
            out = {"type": "array", "items": {"type": "string", "maxLength": self.max_length}}
        elif self.kind is GRAPHICS:
            out = graphics.schema()
        elif self.kind is TEXTS:
            out = {
                "type": "object",
                "propertyNames": {"enum": list(CORNERS)},
                "additionalProperties": {"type": "string"},
            }
        elif self.terms is not None:
            out = {"enum": list(self.terms)}
        else:
            out = {
                "type": {str: "string", int: "integer", float: "number", bool: "boolean"}[self.kind]
            }
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.max_length is not None and self.kind is not TEXT_LIST:
            out["maxLength"] = self.max_length
        if self.default is not None:
            out["default"] = self.default
        where = f"{self.keyword} ({self.level})" if self.keyword else f"({self.level})"
        out["description"] = f"{self.help} [{where}]"
        return out


def _texts(name: str, value: Any) -> dict[str, str]:
    """Corner texts: a JSON object, or (corner, template) pairs from the command line."""
    pairs = value.items() if isinstance(value, dict) else value
    texts: dict[str, str] = {}
    try:
        for corner, template in pairs:
            if corner not in CORNERS:
                raise FieldError(name, f"corner {corner!r} is not one of {', '.join(CORNERS)}")
            if not isinstance(template, str):
                raise FieldError(name, f"the text at {corner} must be a string")
            texts[corner] = template
    except (TypeError, ValueError) as error:
        if isinstance(error, FieldError):
            raise
        raise FieldError(name, "must be an object of corner: text") from None
    return texts


def _roi(name: str, value: Any) -> tuple[int, int, int, int]:
    """A region of interest: four whole numbers, column and row from 0, width and height
    from 1 (whether it lies inside each image is checked against the image)."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != 4
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise FieldError(name, "must be [column, row, width, height]: four whole numbers")
    x, y, w, h = value
    if x < 0 or y < 0 or w < 1 or h < 1:
        raise FieldError(
            name, f"{list(value)}: column and row must be 0 or more, width and height 1 or more"
        )
    return (x, y, w, h)


def _text_list(name: str, value: Any, max_length: int) -> list[str]:
    """A list of short ASCII texts (annotation boxes)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise FieldError(name, "must be a list of texts")
    for i, text in enumerate(value):
        if len(text) > max_length:
            raise FieldError(f"{name}[{i}]", f"longer than {max_length} characters")
        if not text.isascii() or any(ord(c) < 32 for c in text):
            raise FieldError(f"{name}[{i}]", "must be printable ASCII (no character sets)")
    return list(value)


def _words(keyword: str) -> str:
    """``FilmSizeID`` -> ``Film Size ID``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", keyword)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _format(value: str) -> str:
    """Liberal: spaces around and lower case are taken; the grammar is checked where the
    film is laid out (``hcs.film``), which names what is wrong."""
    return value.strip().upper()


FIELDS: tuple[JobField, ...] = (
    # --- the film session
    JobField(
        "copies",
        SESSION,
        int,
        "number of copies of each film",
        "NumberOfCopies",
        minimum=1,
        maximum=99,
        default=1,
    ),
    JobField(
        "priority",
        SESSION,
        str,
        "print priority; the server's queue serves HIGH first",
        "PrintPriority",
        terms.PRINT_PRIORITIES,
        default="MED",
    ),
    JobField(
        "medium", SESSION, str, "medium type", "MediumType", terms.MEDIUM_TYPES, metavar="TYPE"
    ),
    JobField(
        "destination",
        SESSION,
        str,
        "film destination: MAGAZINE, PROCESSOR or BIN_i",
        "FilmDestination",
        check=lambda v: terms.film_destination(v.strip().upper()),
    ),
    JobField("label", SESSION, str, "film session label", "FilmSessionLabel", max_length=64),
    JobField(
        "memory_allocation",
        SESSION,
        int,
        "memory the printer should set aside for the session, in KB",
        "MemoryAllocation",
        minimum=0,
        maximum=2**31 - 1,
    ),
    JobField("owner_id", SESSION, str, "owner of the film session", "OwnerID", max_length=16),
    # --- each film box
    JobField(
        "format",
        FILM_BOX,
        str,
        "image display format, e.g. 'STANDARD\\2,2', 'ROW\\1,2', SLIDE, CUSTOM\\1",
        "ImageDisplayFormat",
        check=_format,
        attribute="display_format",
        metavar="FORMAT",
        default="STANDARD\\1,1",
    ),
    JobField(
        "film_size",
        FILM_BOX,
        str,
        "film size ID (default: the printer profile's first film size, else 14INX17IN)",
        "FilmSizeID",
        terms.FILM_SIZE_IDS,
        metavar="ID",
    ),
    JobField(
        "orientation", FILM_BOX, str, "film orientation", "FilmOrientation", terms.FILM_ORIENTATIONS
    ),
    JobField(
        "magnification",
        FILM_BOX,
        str,
        "magnification type (the printer's interpolation); a frame's own is the Image "
        "Box's, or the host's interpolation when hcs scales",
        "MagnificationType",
        terms.MAGNIFICATION_TYPES,
        per_frame=True,
    ),
    JobField(
        "smoothing",
        FILM_BOX,
        str,
        "smoothing type, as the printer lists them",
        "SmoothingType",
        max_length=16,
    ),
    JobField(
        "border_density",
        FILM_BOX,
        str,
        "density between and around the images: BLACK, WHITE or hundredths of OD",
        "BorderDensity",
        check=lambda v: terms.density("BorderDensity", v.strip().upper()),
    ),
    JobField(
        "empty_image_density",
        FILM_BOX,
        str,
        "density of empty image boxes: BLACK, WHITE or hundredths of OD",
        "EmptyImageDensity",
        check=lambda v: terms.density("EmptyImageDensity", v.strip().upper()),
        aliases=("--empty-density",),
    ),
    JobField(
        "min_density",
        FILM_BOX,
        int,
        "minimum density, hundredths of OD",
        "MinDensity",
        minimum=0,
        maximum=65535,
    ),
    JobField(
        "max_density",
        FILM_BOX,
        int,
        "maximum density, hundredths of OD",
        "MaxDensity",
        minimum=0,
        maximum=65535,
    ),
    JobField("trim", FILM_BOX, str, "trim box around each image", "Trim", terms.TRIM_VALUES),
    JobField(
        "configuration_information",
        FILM_BOX,
        str,
        "printer-specific configuration string (overrides the profile's)",
        "ConfigurationInformation",
        max_length=1024,
    ),
    JobField(
        "resolution",
        FILM_BOX,
        str,
        "requested resolution ID",
        "RequestedResolutionID",
        terms.RESOLUTION_IDS,
        attribute="requested_resolution_id",
    ),
    JobField(
        "annotation_format",
        FILM_BOX,
        str,
        "annotation display format ID: the printer's layout of annotation boxes",
        "AnnotationDisplayFormatID",
        max_length=16,
    ),
    JobField(
        "annotations",
        FILM_BOX,
        TEXT_LIST,
        "text of each film's annotation boxes (Basic Annotation Box), by position; "
        "{film} is the film's number",
        "TextString",
        max_length=64,
        aliases=("--annotation",),
        metavar="TEXT",
    ),
    # --- each image box
    JobField(
        "polarity", IMAGE_BOX, str, "polarity of every image box", "Polarity", terms.POLARITIES
    ),
    JobField(
        "requested_image_size",
        IMAGE_BOX,
        float,
        "width of each printed image in mm (the printer scales to it)",
        "RequestedImageSize",
        minimum=0.001,
        maximum=10000,
        metavar="MM",
    ),
    # --- each frame (the formatter)
    JobField(
        "window",
        FRAME,
        WINDOW,
        "window centre and width for every image (default: each image's own)",
        metavar="C,W",
    ),
    JobField(
        "text",
        FRAME,
        TEXTS,
        "text at a corner of every box: {Keyword} fields of the image (PatientName, "
        "StudyDate, any DICOM keyword), {Frame}, {Window}; \\n for a new line",
        metavar="CORNER=TEMPLATE",
    ),
    JobField(
        "overlay_planes",
        FRAME,
        bool,
        "burn in each image's own overlay planes (60xx)",
        aliases=("--overlays",),
    ),
    JobField(
        "scale_bar",
        FRAME,
        float,
        "a scale bar this many mm long, on images with Pixel Spacing",
        minimum=0.001,
        maximum=10000,
        metavar="MM",
    ),
    JobField(
        "voi_function",
        FRAME,
        str,
        "VOI LUT function of the window",
        terms=("LINEAR", "LINEAR_EXACT", "SIGMOID"),
    ),
    JobField(
        "roi",
        FRAME,
        ROI,
        "region of interest of every image, in its pixels from the top left (0,0): the box "
        "shows only that region, as if it were the image",
        metavar="X,Y,W,H",
    ),
    JobField(
        "rotate",
        FRAME,
        int,
        "turn every image clockwise by this many degrees",
        terms=terms.ROTATIONS,
        default=0,
    ),
    JobField(
        "flip",
        FRAME,
        str,
        "mirror every image, after the rotation (as DICOM's Image Rotation then Image "
        "Horizontal Flip): HORIZONTAL (left to right) or VERTICAL (top to bottom)",
        terms=terms.FLIPS,
    ),
    JobField(
        "zoom",
        FRAME,
        float,
        "magnify every image this many times the size that fits its box: above 1 the "
        "middle of the image (or region) larger, cut to the box; below 1 smaller",
        minimum=0.01,
        maximum=terms.MAX_ZOOM,
        default=1.0,
        metavar="FACTOR",
    ),
    JobField(
        "presentation_shape",
        FRAME,
        str,
        "IDENTITY or INVERSE: overrides the image's Presentation LUT Shape (applied by hcs)",
        terms=("IDENTITY", "INVERSE"),
    ),
    JobField(
        "graphics",
        FRAME,
        GRAPHICS,
        "drawings on every box: lines, rectangles, ellipses, arrows and text at a point, "
        "in image pixels or mm from the box's top left (docs/server.md); on the command "
        "line one JSON object per option",
        attribute="overlays",
        metavar="JSON",
    ),
    # --- the job
    JobField(
        "color", JOB, bool, "print on the colour meta SOP class (a colour printer)", default=False
    ),
    JobField(
        "collate",
        JOB,
        bool,
        "print all films of the job as one collated session (one Film Session N-ACTION) "
        "on a printer whose profile has session_print (elsewhere hcs print prints film by "
        "film and the server refuses the job)",
    ),
)
BY_NAME = {f.name: f for f in FIELDS}


def add_arguments(parser: argparse.ArgumentParser, exclude: Iterable[str] = ()) -> None:
    """Add every job option to ``parser``, one argument group per level; every default
    is ``None`` (absent: the job model's default)."""
    groups: dict[str, Any] = {}
    for field in FIELDS:
        if field.name in exclude:
            continue
        group = groups.get(field.level)
        if group is None:
            group = groups[field.level] = parser.add_argument_group(field.level)
        help_text = field.help + (f" ({field.keyword})" if field.keyword else "")
        if field.kind is bool:
            group.add_argument(
                field.option,
                *field.aliases,
                dest=field.name,
                action="store_true",
                default=None,
                help=help_text,
            )
            continue
        if field.kind in (TEXTS, GRAPHICS, TEXT_LIST):
            group.add_argument(
                field.option,
                *field.aliases,
                dest=field.name,
                type=field.from_text,
                action="append",
                default=None,
                metavar=field.metavar,
                help=help_text,
            )
            continue
        group.add_argument(
            field.option,
            *field.aliases,
            dest=field.name,
            type=field.from_text,
            default=None,
            metavar=field.metavar
            or ("{" + ",".join(map(str, field.terms)) + "}" if field.terms else None),
            help=help_text,
        )


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The job options given on a command line, checked; :class:`FieldError` names the
    option (``--film-size: ...``)."""
    values = {}
    for field in FIELDS:
        value = getattr(args, field.name, None)
        if value is None:
            continue
        try:
            values[field.name] = field.convert(value)
        except FieldError as error:
            inner = error.field.removeprefix(field.name)  # e.g. [1].points of --graphics
            raise FieldError(field.option + (f" {inner}" if inner else ""), error.reason) from None
    return values


def parse(data: dict[str, Any]) -> dict[str, Any]:
    """The job options of a JSON job, checked; keys not in the table are left alone."""
    return {
        name: BY_NAME[name].convert(value)
        for name, value in data.items()
        if name in BY_NAME and value is not None
    }


def schema_properties() -> dict[str, dict[str, Any]]:
    """Every job option as a JSON Schema property (the HTTP job's schema)."""
    return {f.name: f.schema() for f in FIELDS}


def job_options_arguments(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (by option name) as :class:`~hcs.formatter.JobOptions` arguments."""
    return {BY_NAME[name].python: value for name, value in values.items()}
