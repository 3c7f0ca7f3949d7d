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

and, optionally, ``frames``: box by box, which image goes where with its own values
(:mod:`hcs.job.frames`; without it the images fill the boxes in order)::

    "frames": [{"image": "a.dcm", "box": 2, "window": [40, 400]}, {"empty": true},
               {"image": 1, "graphics": [{"type": "line", "points": [[0, 0], [9, 9]]}]}]

A job whose images are named only in its frames need not list them in ``images``.
Options the job leaves out take the printer's ``defaults`` (its profile's
``[printers.NAME.defaults]``), then the built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hcs.driver.datasets import film_box_dataset, film_session_dataset
from hcs.errors import HcsError
from hcs.formatter import FormatError
from hcs.job import fields as job_fields
from hcs.job import frames as job_frames
from hcs.job import terms
from hcs.server.config import Config
from hcs.server.formatting import boxes_per_film

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
    frames: tuple[job_frames.FrameSpec, ...] = ()  # box by box; () = images in order

    @property
    def priority(self) -> str:
        """The queue's priority, which is also the Print Priority sent (default MED)."""
        return self.options.get("priority") or "MED"

    @property
    def color(self) -> bool:
        return bool(self.options.get("color"))

    def as_json(self) -> dict[str, Any]:
        """Flat, as the client sent it: ``printer``, every option given, ``images``/``paths``
        (a priority the job did not name is left out: the Print Priority sent is then
        the printer's default, else MED; the queue's is the job's row's)."""
        data: dict[str, Any] = {"printer": self.printer}
        for name, value in self.options.items():
            data[name] = list(value) if isinstance(value, tuple) else value
        data["images"], data["paths"] = list(self.images), list(self.paths)
        if self.frames:
            data["frames"] = [frame.as_json() for frame in self.frames]
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
            tuple(job_frames.FrameSpec.from_json(f) for f in data.get("frames") or ()),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The job's images as it names them (upload names or server paths), in order."""
        return self.images or self.paths

    def options_for_formatter(self, profile=None):
        """The formatter's :class:`~hcs.formatter.JobOptions` for this job on the printer
        of ``profile``: the job's values, then the printer's defaults, then the built-in
        ones; the Print Priority is always sent (the queue's, MED when none is named)."""
        from dataclasses import replace

        from hcs.formatter.request import JobOptions

        options = JobOptions(**job_fields.job_options_arguments(self.options))
        options = options.with_printer_defaults(profile)
        if options.priority is None:
            options = replace(options, priority=self.priority)
        return options


def parse(data: Any, config: Config, uploads: bool) -> JobSpec:
    """Check a job's JSON against ``config``; ``uploads`` says whether images come as
    multipart parts (``images``) or as server-side ``paths``. Raises :class:`JobError`.

    The job options are parsed by :func:`hcs.job.fields.parse`: the same table makes
    ``hcs print``'s and ``hcs submit``'s options and the OpenAPI schema."""
    if not isinstance(data, dict):
        raise JobError("job", "must be a JSON object")
    known = {"printer", "images", "paths", "frames", *job_fields.BY_NAME}
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
    if names is None and data.get("frames") is not None:
        names = job_frames.image_names(data["frames"])  # the images only in the frames
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise JobError(
            images_field,
            "must be a non-empty list of " + ("upload part names" if uploads else "file paths"),
        )
    if len(names) > MAX_IMAGES:
        raise JobError(images_field, f"{len(names)} images, more than {MAX_IMAGES}")
    if uploads and len(set(names)) != len(names):
        raise JobError("images", "names an upload twice")
    frames: tuple[job_frames.FrameSpec, ...] = ()
    if data.get("frames") is not None:
        try:
            frames = job_frames.parse(data["frames"], names)
        except job_fields.FieldError as error:
            raise JobError(error.field, error.reason) from None
    spec = JobSpec(printer, options, frames=frames, **{images_field: tuple(names)})
    check_against_printers(spec, config)
    return spec


# Which job option each DICOM attribute comes from, to name it when a driver check fails.
_FIELD_OF_ATTRIBUTE = {f.keyword: f.name for f in job_fields.FIELDS if f.keyword}


def check_against_printers(spec: JobSpec, config: Config) -> None:
    """Run the driver's value checks for every printer the job may use (with that
    printer's defaults), place the job's frames on its films, and make sure the printers
    of a group lay the job out alike (the film count is fixed when the job is queued)."""
    boxes: dict[str, int] = {}
    for name in config.printers_for(spec.printer):
        profile = config.printers[name]
        try:
            options = spec.options_for_formatter(profile)
            film_session_dataset(profile, options.session(), None)
            film_box_dataset(profile, options.film_box(), "1.2.3.4", None)
            for index, frame in enumerate(spec.frames):
                for field_name, value in frame.options.items():
                    _check_frame_value(profile, index, field_name, value)
        except terms.InvalidAttribute as error:
            option = _FIELD_OF_ATTRIBUTE.get(error.attribute, error.attribute)
            if getattr(error, "frame", None) is not None:
                option = f"frames[{error.frame}].{option}"
            reason = str(error).split(": ", 1)[1] if ": " in str(error) else str(error)
            raise JobError(option, f"{reason} (printer {name})") from None
        if options.color and not profile.color:
            raise JobError("color", f"printer {name} prints grayscale only")
        if spec.options.get("collate") and not profile.session_print:
            raise JobError(
                "collate",
                f"printer {name} is not configured to print a Film Session (N-ACTION on"
                f" the session): set session_print = true in [printers.{name}] if it can",
            )
        try:
            boxes[name] = boxes_per_film(spec, profile)
        except FormatError as error:
            raise JobError("format", f"{error} (printer {name})") from None
        if spec.frames:
            try:
                job_frames.arrange([(f.film, f.box) for f in spec.frames], boxes[name])
            except job_fields.FieldError as error:
                raise JobError(error.field, f"{error.reason} (printer {name})") from None
    if len(set(boxes.values())) > 1:
        counts = ", ".join(f"{name}: {count}" for name, count in boxes.items())
        raise JobError(
            "format",
            f"the printers of {spec.printer} lay this job out with different numbers of "
            f"image boxes per film ({counts}); name the format and film size in the job",
        )


def _check_frame_value(profile, index: int, name: str, value) -> None:
    """A frame's own magnification must be one the printer takes (as the film's is)."""
    if name == "magnification":
        try:
            profile.check_value("MagnificationType", value, profile.magnification_types)
        except terms.InvalidAttribute as error:
            error.frame = index
            raise
