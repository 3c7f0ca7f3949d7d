"""A print job's images -> films -> image boxes: the PrintRequest the driver sends.

The job's files fill the boxes of its display format in order (every frame of a
multi-frame file, one per box); when a film is full the next one starts with the same
layout. Reading, decoding and formatting all run on the Formatter's worker threads.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hcs.formatter.engine import FormatError, Formatter
from hcs.formatter.job import FilmJob, FormattedFilm, Frame, PrinterSettings
from hcs.formatter.overlay import Overlay
from hcs.formatter.source import PILLOW_SUFFIXES, SourceError, number_of_frames, read_dataset
from hcs.job.model import FilmBoxSpec, FilmSessionSpec, PrintRequest

DEFAULT_FILM_SIZE = "14INX17IN"


BUILT_IN = {
    "display_format": "STANDARD\\1,1",
    "orientation": "PORTRAIT",
    "copies": 1,
    "color": False,
    "overlay_planes": False,
    "collate": False,
}
"""What an option no job and no printer names is (film size: :data:`DEFAULT_FILM_SIZE`)."""


@dataclass
class JobOptions:
    """The job options of ``hcs print`` (DESIGN.md), as the Python API takes them.

    ``None`` means "not given": :meth:`with_printer_defaults` fills it from the printer
    profile's ``defaults`` (then its first film size), then from :data:`BUILT_IN`, so a
    job's value beats the printer's default, which beats ours. An option still ``None``
    after that is not sent (the printer's own default). Film size and orientation are
    always sent, because the formatter lays the film out for them.
    """

    display_format: str | None = None
    film_size: str | None = None
    orientation: str | None = None
    magnification: str | None = None
    smoothing: str | None = None
    copies: int | None = None
    priority: str | None = None
    medium: str | None = None
    destination: str | None = None
    label: str | None = None
    memory_allocation: int | None = None
    owner_id: str | None = None
    window: tuple[float, float] | None = None
    voi_function: str | None = None
    voi_explanation: str | None = None
    polarity: str | None = None  # sent as the Image Box's Polarity; None: not sent
    color: bool | None = None
    border_density: str | None = None
    empty_image_density: str | None = None
    min_density: int | None = None
    max_density: int | None = None
    trim: str | None = None
    configuration_information: str | None = None
    requested_resolution_id: str | None = None
    annotation_format: str | None = None  # Annotation Display Format ID
    annotations: list[str] | None = None  # each film's annotation boxes; {film}: its number
    requested_image_size: float | None = None
    presentation_shape: str | None = None
    overlays: tuple[Overlay | dict[str, Any], ...] | None = None  # drawings (or their JSON)
    text: dict[str, str] | None = None  # corner -> template, drawn on every box
    overlay_planes: bool | None = None  # burn in each image's overlay planes
    scale_bar: float | None = None  # mm
    roi: tuple[int, int, int, int] | None = None  # column, row, width, height
    rotate: int | None = None  # degrees clockwise (0, 90, 180, 270)
    flip: str | None = None  # HORIZONTAL or VERTICAL, after the rotation
    zoom: float | None = None  # times the size that fits the box
    collate: bool | None = None

    def with_printer_defaults(self, profile: Any | None) -> JobOptions:
        """These options with the printer's defaults where the job names nothing (the
        profile's ``job_defaults()``: its ``defaults`` and its first film size), then
        the built-in ones."""
        from hcs.job import fields as job_fields

        values: dict[str, Any] = {}
        job_defaults = getattr(profile, "job_defaults", None)
        if callable(job_defaults):
            values.update(job_fields.job_options_arguments(job_defaults()))
        elif getattr(profile, "film_sizes", None):  # a profile-like object of the tests
            values["film_size"] = profile.film_sizes[0]
        for name, value in BUILT_IN.items():
            values.setdefault(name, value)
        values.setdefault("film_size", DEFAULT_FILM_SIZE)
        missing = {k: v for k, v in values.items() if getattr(self, k) is None}
        return replace(self, **missing) if missing else self

    def film_box(self) -> FilmBoxSpec:
        return FilmBoxSpec(
            image_display_format=self.display_format or BUILT_IN["display_format"],
            film_orientation=self.orientation or BUILT_IN["orientation"],
            film_size_id=self.film_size or DEFAULT_FILM_SIZE,
            magnification_type=self.magnification,
            smoothing_type=self.smoothing,
            border_density=self.border_density,
            empty_image_density=self.empty_image_density,
            min_density=self.min_density,
            max_density=self.max_density,
            trim=self.trim,
            configuration_information=self.configuration_information,
            requested_resolution_id=self.requested_resolution_id,
            annotation_display_format_id=self.annotation_format,
        )

    def session(self) -> FilmSessionSpec:
        return FilmSessionSpec(
            number_of_copies=self.copies if self.copies is not None else BUILT_IN["copies"],
            print_priority=self.priority,
            medium_type=self.medium,
            film_destination=self.destination,
            film_session_label=self.label,
            memory_allocation=self.memory_allocation,
            owner_id=self.owner_id,
        )

    def film_annotations(self, number: int) -> dict[int, str]:
        """The annotation boxes of film ``number`` (1-based): position -> text."""
        return {
            position: text.replace("{film}", str(number))
            for position, text in enumerate(self.annotations or (), 1)
        }

    def frame(self, source: Any, index: int = 0, own: dict[str, Any] | None = None) -> Frame:
        """The :class:`Frame` of one box; ``own``: that frame's values by job option
        name (a job's ``frames[i]``), which replace the job's. A frame's magnification
        goes to its Image Box (the film's stays the job's)."""
        options, magnification = self, None
        if own:
            from hcs.job import fields as job_fields

            values = job_fields.job_options_arguments(own)
            magnification = values.pop("magnification", None)
            options = replace(self, **values)
        return Frame(
            source,
            index,
            window=options.window,
            voi_function=options.voi_function,
            voi_explanation=options.voi_explanation,
            image_box_polarity=options.polarity,
            requested_image_size=options.requested_image_size,
            presentation_shape=options.presentation_shape,
            magnification=magnification,
            overlays=options.all_overlays(),
            rotate=options.rotate or 0,
            flip=options.flip,
            zoom=1.0 if options.zoom is None else options.zoom,
            roi=tuple(options.roi) if options.roi is not None else None,  # type: ignore[arg-type]
        )

    def all_overlays(self) -> tuple[Overlay, ...]:
        """``overlays`` (drawings, or their JSON) plus the ones the job options name
        (text, planes, scale bar)."""
        from hcs.formatter.overlay import OverlayPlanes, ScaleBar, Text, from_json

        drawings = [from_json(o) if isinstance(o, dict) else o for o in self.overlays or ()]
        extra: list[Overlay] = [
            Text(template, corner=corner) for corner, template in (self.text or {}).items()
        ]
        if self.overlay_planes:
            extra.append(OverlayPlanes())
        if self.scale_bar:
            extra.append(ScaleBar(self.scale_bar))
        return (*drawings, *extra)


EMPTY_BOX = "-"
"""On the command line (and as a job item) an empty image box: ``hcs print a.dcm - b.dcm``."""


@dataclass(frozen=True)
class JobFrame:
    """A frame as a job gives it (a job's ``frames[i]``, ``--frame``): the image, its
    frame, where it goes and its own option values by job option name, made into a
    :class:`Frame` with the job's options (after the printer's defaults) when the job
    is formatted. ``source=None`` is a box left empty (at ``box``, or the next one)."""

    source: Any
    frame: int = 0
    box: int | None = None
    film: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


Item = Frame | JobFrame | None  # a box of a job once its files are read: None is empty


def _expand(options: JobOptions, item: Any) -> list[Item]:
    """One job item -> its frames (runs on a worker: it reads the file); ``None`` or
    :data:`EMPTY_BOX` -> one empty box (Empty Image Density)."""
    if item is None or (isinstance(item, str) and item == EMPTY_BOX):
        return [None]
    if isinstance(item, Frame):
        return [item]
    if isinstance(item, JobFrame):
        if item.source is None:
            return [item]  # an empty box with a place
        frame = options.frame(item.source, item.frame, item.values)
        return [replace(frame, box=item.box, film=item.film)]
    if isinstance(item, str | os.PathLike) and Path(item).suffix.lower() not in PILLOW_SUFFIXES:
        ds = read_dataset(item)
        if "PixelData" not in ds:
            raise SourceError(f"{item}: has no Pixel Data (7FE0,0010)")
        return [options.frame(ds, i) for i in range(number_of_frames(ds))]
    return [options.frame(item)]


def settings_for(profile: Any | None, options: JobOptions) -> PrinterSettings:
    """The formatter settings of a printer profile, or the documented defaults."""
    if profile is None:
        return PrinterSettings(color=bool(options.color))
    return PrinterSettings.from_profile(profile)


def build_print_request(
    options: JobOptions,
    files: Sequence[Any],
    profile: Any | None = None,
    *,
    formatter: Formatter | None = None,
) -> tuple[PrintRequest, list[FormattedFilm]]:
    """Format a job: files (paths, data sets, arrays or :class:`Frame`s, and ``None`` or
    ``"-"`` for an empty box) -> films.

    Returns the driver's :class:`PrintRequest` and, per film, the
    :class:`FormattedFilm` (its layout and boxes; ``hcs.preview.film_png(film, width)`` draws it).
    Blocks until formatting is done: from a coroutine use
    :func:`build_print_request_async`. Raises :class:`FormatError` naming the file.
    """
    if not files:
        raise FormatError("a print job needs at least one image")
    options = options.with_printer_defaults(profile)
    own = formatter is None
    if formatter is None:
        formatter = Formatter(settings_for(profile, options))
    try:
        if options.color and not formatter.settings.color:
            name = getattr(profile, "name", "the printer")
            raise FormatError(f"{name} is a grayscale printer; it cannot print a colour job")
        futures = [formatter.run(_expand, options, item) for item in files]
        frames: list[Item] = []
        for future in futures:
            try:
                frames += future.result()
            except (SourceError, ValueError) as error:
                raise FormatError(str(error)) from None
        box = options.film_box()
        per_film = len(formatter.layout(box).boxes)
        films = [
            formatter.submit(_film(box, boxes, options, number))
            for number, boxes in enumerate(_films(frames, per_film), 1)
        ]
        formatted = [pending.result() for pending in films]
    finally:
        if own:
            formatter.close()
    request = PrintRequest(
        session=options.session(),
        films=[film.film_spec() for film in formatted],
        color=bool(options.color),
        collate=bool(options.collate),
    )
    return request, formatted


def _films(items: list[Item], per_film: int) -> list[list[Frame | None]]:
    """The frames as films: in order, or by their ``box``/``film`` where they name one
    (:func:`hcs.job.frames.arrange`: a box at or before the previous one starts a film)."""
    frames = [item if isinstance(item, Frame) else None for item in items]
    if not any(item is not None and (item.box or item.film) for item in items):
        return [frames[i : i + per_film] for i in range(0, len(frames), per_film)]
    from hcs.job import fields as job_fields
    from hcs.job import frames as job_frames

    places = [(None, None) if item is None else (item.film, item.box) for item in items]
    try:
        arranged = job_frames.arrange(places, per_film, what="frames")
    except job_fields.FieldError as error:
        raise FormatError(str(error)) from None
    return [
        [frames[film[p]] if p in film else None for p in range(1, max(film, default=0) + 1)]
        for film in arranged
    ]


def _film(
    box: FilmBoxSpec, frames: list[Frame | None], options: JobOptions, number: int
) -> FilmJob:
    return FilmJob(
        box=box,
        frames=list(frames),
        color=bool(options.color),
        annotations=options.film_annotations(number),
    )


async def build_print_request_async(
    options: JobOptions,
    files: Sequence[Any],
    profile: Any | None = None,
    *,
    formatter: Formatter | None = None,
) -> tuple[PrintRequest, list[FormattedFilm]]:
    """:func:`build_print_request` from a coroutine: the waiting happens on a thread,
    the work on the Formatter's pool; the event loop stays free."""
    return await asyncio.to_thread(
        build_print_request, options, files, profile, formatter=formatter
    )
