"""A job as a client sends it (JSON), checked against the configuration before anything
is stored.

The server refuses a bad job with a 4xx whose body names the field and the reason, and
queues nothing. So every value a job will later send to a printer is checked here, with
the driver's own checks (``hcs.driver``'s data set builders) against every printer the
job may land on: a job for a group must be printable on each of its printers.

The same option names as ``hcs print`` (DESIGN.md's command line), in snake case::

    {"printer": "dryview", "priority": "HIGH", "copies": 2, "format": "STANDARD\\\\2,2",
     "film_size": "14INX17IN", "orientation": "PORTRAIT", "magnification": "BILINEAR",
     "medium": "BLUE FILM", "destination": "PROCESSOR", "label": "ward 3",
     "window": [40, 400], "polarity": "NORMAL", "color": false,
     "images": ["a.dcm", "b.dcm"]}            # multipart part names, or
     "paths": ["/data/images/a.dcm"]}         # files on the server, in allowed_dirs only
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from hcs.driver.datasets import film_box_dataset, film_session_dataset
from hcs.errors import HcsError
from hcs.job import terms
from hcs.server.config import Config
from hcs.server.states import Priority

MAX_IMAGES = 1000


class JobError(HcsError, ValueError):
    """A job the server refuses; ``field`` is the JSON field at fault."""

    def __init__(self, field: str, reason: str, status: int = 400):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status

    def as_json(self) -> dict[str, Any]:
        return {"error": str(self), "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class JobSpec:
    """A checked job: what to print, where, and how."""

    printer: str
    priority: str = "MED"
    copies: int = 1
    format: str = "STANDARD\\1,1"
    film_size: str | None = None
    orientation: str | None = None
    magnification: str | None = None
    smoothing: str | None = None
    trim: str | None = None
    border_density: str | None = None
    empty_image_density: str | None = None
    min_density: int | None = None
    max_density: int | None = None
    configuration_information: str | None = None
    medium: str | None = None
    destination: str | None = None
    label: str | None = None
    window: tuple[float, float] | None = None
    polarity: str | None = None
    color: bool = False
    images: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["window"] = list(self.window) if self.window else None
        data["images"], data["paths"] = list(self.images), list(self.paths)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobSpec:
        """A spec as :meth:`as_json` stored it (already checked when it was submitted)."""
        window = data.get("window")
        return cls(
            **{
                **data,
                "window": tuple(window) if window else None,
                "images": tuple(data.get("images", ())),
                "paths": tuple(data.get("paths", ())),
            }
        )

    def options(self):
        """The formatter's :class:`~hcs.formatter.JobOptions` for this job (film size and
        orientation are always sent: the formatter lays the film out for them)."""
        from hcs.formatter.request import JobOptions

        return JobOptions(
            display_format=self.format,
            film_size=self.film_size or "14INX17IN",
            orientation=self.orientation or "PORTRAIT",
            magnification=self.magnification,
            smoothing=self.smoothing,
            copies=self.copies,
            priority=self.priority,
            medium=self.medium,
            destination=self.destination,
            label=self.label,
            window=self.window,
            polarity=self.polarity or "NORMAL",
            color=self.color,
            border_density=self.border_density,
            empty_image_density=self.empty_image_density,
            min_density=self.min_density,
            max_density=self.max_density,
            trim=self.trim,
            configuration_information=self.configuration_information,
        )


_STRINGS = (
    "printer",
    "priority",
    "format",
    "film_size",
    "orientation",
    "magnification",
    "smoothing",
    "trim",
    "border_density",
    "empty_image_density",
    "configuration_information",
    "medium",
    "destination",
    "label",
    "polarity",
)
# Which DICOM attribute each field becomes, to name the field when the driver's check fails.
_ATTRIBUTE_FIELD = {
    "NumberOfCopies": "copies",
    "PrintPriority": "priority",
    "MediumType": "medium",
    "FilmDestination": "destination",
    "FilmSessionLabel": "label",
    "ImageDisplayFormat": "format",
    "FilmOrientation": "orientation",
    "FilmSizeID": "film_size",
    "MagnificationType": "magnification",
    "SmoothingType": "smoothing",
    "Trim": "trim",
    "BorderDensity": "border_density",
    "EmptyImageDensity": "empty_image_density",
    "MinDensity": "min_density",
    "MaxDensity": "max_density",
    "ConfigurationInformation": "configuration_information",
    "Polarity": "polarity",
}


def parse(data: Any, config: Config, uploads: bool) -> JobSpec:
    """Check a job's JSON against ``config``; ``uploads`` says whether images come as
    multipart parts (``images``) or as server-side ``paths``. Raises :class:`JobError`."""
    if not isinstance(data, dict):
        raise JobError("job", "must be a JSON object")
    known = {f.name for f in fields(JobSpec)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise JobError(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key in _STRINGS:
        if data.get(key) is not None:
            if not isinstance(data[key], str) or not data[key]:
                raise JobError(key, "must be a non-empty string")
            values[key] = data[key]
    if "printer" not in values:
        raise JobError("printer", "is required: a printer or group name")
    if values["printer"] not in config.targets():
        raise JobError(
            "printer",
            f"no printer or group named {values['printer']!r} "
            f"(known: {', '.join(sorted(config.targets())) or 'none'})",
            404,
        )
    if "priority" in values:
        try:
            values["priority"] = Priority.parse(values["priority"]).name
        except ValueError as error:
            raise JobError("priority", str(error)) from None
    for key in ("copies", "min_density", "max_density"):
        if data.get(key) is not None:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise JobError(key, f"{value!r} must be a non-negative integer")
            values[key] = value
    if "copies" in values and not 1 <= values["copies"] <= 99:
        raise JobError("copies", f"{values['copies']} must be from 1 to 99")
    if data.get("window") is not None:
        window = data["window"]
        if (
            not isinstance(window, list)
            or len(window) != 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in window
            )
            or window[1] <= 0
        ):
            raise JobError("window", "must be [center, width] with a positive width")
        values["window"] = (float(window[0]), float(window[1]))
    if data.get("color") is not None:
        if not isinstance(data["color"], bool):
            raise JobError("color", "must be true or false")
        values["color"] = data["color"]
    if values.get("polarity") is not None:
        try:
            terms.one_of("Polarity", values["polarity"], terms.POLARITIES)
        except terms.InvalidAttribute as error:
            raise JobError("polarity", str(error).split(": ", 1)[1]) from None
    images_field = "images" if uploads else "paths"
    other = "paths" if uploads else "images"
    if data.get(other):
        raise JobError(
            other,
            "images come as multipart uploads (images) or as server-side "
            "paths (paths) in a JSON body, not both"
            if uploads
            else "names uploads, but this request has no multipart parts",
        )
    names = data.get(images_field)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise JobError(
            images_field,
            "must be a non-empty list of " + ("upload part names" if uploads else "file paths"),
        )
    if len(names) > MAX_IMAGES:
        raise JobError(images_field, f"{len(names)} images, more than {MAX_IMAGES}")
    if uploads and len(set(names)) != len(names):
        raise JobError("images", "names an upload twice")
    values[images_field] = tuple(names)
    spec = JobSpec(**values)
    check_against_printers(spec, config)
    return spec


def check_against_printers(spec: JobSpec, config: Config) -> None:
    """Run the driver's value checks for every printer the job may use."""
    for name in config.printers_for(spec.printer):
        profile = config.printers[name]
        try:
            options = spec.options()
            film_session_dataset(profile, options.session(), None)
            film_box_dataset(profile, options.film_box(), "1.2.3.4", None)
        except terms.InvalidAttribute as error:
            field = _ATTRIBUTE_FIELD.get(error.attribute, error.attribute)
            reason = str(error).split(": ", 1)[1] if ": " in str(error) else str(error)
            raise JobError(field, f"{reason} (printer {name})") from None
        if spec.color and not profile.color:
            raise JobError("color", f"printer {name} prints grayscale only")
