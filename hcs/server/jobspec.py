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

from dataclasses import dataclass, field
from typing import Any

from hcs.driver.datasets import film_box_dataset, film_session_dataset
from hcs.errors import HcsError
from hcs.job import fields as job_fields
from hcs.job import terms
from hcs.server.config import Config

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
    """A checked job: where to print (``printer``), its images, and its job options
    (``options``: by the names of :data:`hcs.job.fields.FIELDS`, only those given)."""

    printer: str
    options: dict[str, Any] = field(default_factory=dict)
    images: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @property
    def priority(self) -> str:
        """The queue's priority, which is also the Print Priority sent (default MED)."""
        return self.options.get("priority") or "MED"

    @property
    def color(self) -> bool:
        return bool(self.options.get("color"))

    def as_json(self) -> dict[str, Any]:
        """Flat, as the client sent it: ``printer``, every option, ``images``/``paths``."""
        data: dict[str, Any] = {"printer": self.printer, "priority": self.priority}
        for name, value in self.options.items():
            data[name] = list(value) if isinstance(value, tuple) else value
        data["images"], data["paths"] = list(self.images), list(self.paths)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobSpec:
        """A spec as :meth:`as_json` stored it (checked when it was submitted; ``None``
        values, which older spools stored for absent options, are dropped)."""
        options = {
            name: tuple(value) if name in ("window", "roi") else value
            for name, value in data.items()
            if name in job_fields.BY_NAME and value is not None
        }
        return cls(
            data["printer"],
            options,
            tuple(data.get("images", ())),
            tuple(data.get("paths", ())),
        )

    def options_for_formatter(self, profile=None):
        """The formatter's :class:`~hcs.formatter.JobOptions` for this job on the printer
        of ``profile`` (its defaults where the job names nothing)."""
        from hcs.formatter.request import JobOptions

        values = {"priority": self.priority, **self.options}
        options = JobOptions(**job_fields.job_options_arguments(values))
        return options.with_printer_defaults(profile)


def parse(data: Any, config: Config, uploads: bool) -> JobSpec:
    """Check a job's JSON against ``config``; ``uploads`` says whether images come as
    multipart parts (``images``) or as server-side ``paths``. Raises :class:`JobError`.

    The job options are parsed by :func:`hcs.job.fields.parse`: the same table makes
    ``hcs print``'s and ``hcs submit``'s options and the OpenAPI schema."""
    if not isinstance(data, dict):
        raise JobError("job", "must be a JSON object")
    known = {"printer", "images", "paths", *job_fields.BY_NAME}
    unknown = sorted(set(data) - known)
    if unknown:
        raise JobError(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    printer = data.get("printer")
    if printer is None:
        raise JobError("printer", "is required: a printer or group name")
    if not isinstance(printer, str) or not printer:
        raise JobError("printer", "must be a non-empty string")
    if printer not in config.targets():
        raise JobError(
            "printer",
            f"no printer or group named {printer!r} "
            f"(known: {', '.join(sorted(config.targets())) or 'none'})",
            404,
        )
    try:
        options = job_fields.parse(data)
    except job_fields.FieldError as error:
        raise JobError(error.field, error.reason) from None
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
    spec = JobSpec(printer, options, **{images_field: tuple(names)})
    check_against_printers(spec, config)
    return spec


# Which job option each DICOM attribute comes from, to name it when a driver check fails.
_FIELD_OF_ATTRIBUTE = {f.keyword: f.name for f in job_fields.FIELDS if f.keyword}


def check_against_printers(spec: JobSpec, config: Config) -> None:
    """Run the driver's value checks for every printer the job may use."""
    for name in config.printers_for(spec.printer):
        profile = config.printers[name]
        try:
            options = spec.options_for_formatter(profile)
            film_session_dataset(profile, options.session(), None)
            film_box_dataset(profile, options.film_box(), "1.2.3.4", None)
        except terms.InvalidAttribute as error:
            option = _FIELD_OF_ATTRIBUTE.get(error.attribute, error.attribute)
            reason = str(error).split(": ", 1)[1] if ": " in str(error) else str(error)
            raise JobError(option, f"{reason} (printer {name})") from None
        if spec.color and not profile.color:
            raise JobError("color", f"printer {name} prints grayscale only")
        if spec.options.get("collate") and not profile.session_print:
            raise JobError(
                "collate",
                f"printer {name} is not configured to print a Film Session (N-ACTION on"
                f" the session): set session_print = true in [printers.{name}] if it can",
            )
