"""A print job's images -> films -> image boxes: the PrintRequest the driver sends.

The job's files fill the boxes of its display format in order (every frame of a
multi-frame file, one per box); when a film is full the next one starts with the same
layout. Reading, decoding and formatting all run on the Formatter's worker threads.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hcs.formatter.engine import FormatError, Formatter
from hcs.formatter.job import FilmJob, FormattedFilm, Frame, PrinterSettings
from hcs.formatter.overlay import Overlay
from hcs.formatter.source import PILLOW_SUFFIXES, SourceError, number_of_frames, read_dataset
from hcs.job.model import FilmBoxSpec, FilmSessionSpec, PrintRequest

DEFAULT_FILM_SIZE = "14INX17IN"


@dataclass
class JobOptions:
    """The job options of ``hcs print`` (DESIGN.md), as the Python API takes them.

    ``None`` means "not sent: the printer's default"; film size and orientation are
    always sent, because the formatter lays the film out for them: a job that names no
    film size takes its printer's (:meth:`with_printer_defaults`: the first of the
    profile's ``film_sizes``), else :data:`DEFAULT_FILM_SIZE`.
    """

    display_format: str = "STANDARD\\1,1"
    film_size: str | None = None
    orientation: str = "PORTRAIT"
    magnification: str | None = None
    smoothing: str | None = None
    copies: int = 1
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
    color: bool = False
    border_density: str | None = None
    empty_image_density: str | None = None
    min_density: int | None = None
    max_density: int | None = None
    trim: str | None = None
    configuration_information: str | None = None
    requested_resolution_id: str | None = None
    requested_image_size: float | None = None
    overlays: tuple[Overlay, ...] = ()
    text: dict[str, str] | None = None  # corner -> template, drawn on every box
    overlay_planes: bool = False  # burn in each image's overlay planes
    scale_bar: float | None = None  # mm
    roi: tuple[int, int, int, int] | None = None  # column, row, width, height
    rotate: int | None = None  # degrees clockwise (0, 90, 180, 270)
    flip: str | None = None  # HORIZONTAL or VERTICAL, after the rotation
    zoom: float | None = None  # times the size that fits the box
    collate: bool = False

    def with_printer_defaults(self, profile: Any | None) -> JobOptions:
        """These options with the printer's defaults where the job names nothing."""
        if self.film_size is not None:
            return self
        sizes = getattr(profile, "film_sizes", None) or (DEFAULT_FILM_SIZE,)
        return replace(self, film_size=sizes[0])

    def film_box(self) -> FilmBoxSpec:
        return FilmBoxSpec(
            image_display_format=self.display_format,
            film_orientation=self.orientation,
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
        )

    def session(self) -> FilmSessionSpec:
        return FilmSessionSpec(
            number_of_copies=self.copies,
            print_priority=self.priority,
            medium_type=self.medium,
            film_destination=self.destination,
            film_session_label=self.label,
            memory_allocation=self.memory_allocation,
            owner_id=self.owner_id,
        )

    def frame(self, source: Any, index: int = 0) -> Frame:
        return Frame(
            source,
            index,
            window=self.window,
            voi_function=self.voi_function,
            voi_explanation=self.voi_explanation,
            image_box_polarity=self.polarity,
            requested_image_size=self.requested_image_size,
            overlays=self.all_overlays(),
            rotate=self.rotate or 0,
            flip=self.flip,
            zoom=1.0 if self.zoom is None else self.zoom,
            roi=tuple(self.roi) if self.roi is not None else None,  # type: ignore[arg-type]
        )

    def all_overlays(self) -> tuple[Overlay, ...]:
        """``overlays`` plus the ones the job options name (text, planes, scale bar)."""
        from hcs.formatter.overlay import OverlayPlanes, ScaleBar, Text

        extra: list[Overlay] = [
            Text(template, corner=corner) for corner, template in (self.text or {}).items()
        ]
        if self.overlay_planes:
            extra.append(OverlayPlanes())
        if self.scale_bar:
            extra.append(ScaleBar(self.scale_bar))
        return (*self.overlays, *extra)


EMPTY_BOX = "-"
"""On the command line (and as a job item) an empty image box: ``hcs print a.dcm - b.dcm``."""


def _expand(options: JobOptions, item: Any) -> list[Frame | None]:
    """One job item -> its frames (runs on a worker: it reads the file); ``None`` or
    :data:`EMPTY_BOX` -> one empty box (Empty Image Density)."""
    if item is None or (isinstance(item, str) and item == EMPTY_BOX):
        return [None]
    if isinstance(item, Frame):
        return [item]
    if isinstance(item, str | os.PathLike) and Path(item).suffix.lower() not in PILLOW_SUFFIXES:
        ds = read_dataset(item)
        if "PixelData" not in ds:
            raise SourceError(f"{item}: has no Pixel Data (7FE0,0010)")
        return [options.frame(ds, i) for i in range(number_of_frames(ds))]
    return [options.frame(item)]


def settings_for(profile: Any | None, options: JobOptions) -> PrinterSettings:
    """The formatter settings of a printer profile, or the documented defaults."""
    if profile is None:
        return PrinterSettings(color=options.color)
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
        frames: list[Frame | None] = []
        for future in futures:
            try:
                frames += future.result()
            except (SourceError, ValueError) as error:
                raise FormatError(str(error)) from None
        box = options.film_box()
        per_film = len(formatter.layout(box).boxes)
        films = [
            formatter.submit(_film(box, frames[i : i + per_film], options))
            for i in range(0, len(frames), per_film)
        ]
        formatted = [pending.result() for pending in films]
    finally:
        if own:
            formatter.close()
    request = PrintRequest(
        session=options.session(),
        films=[film.film_spec() for film in formatted],
        color=options.color,
        collate=options.collate,
    )
    return request, formatted


def _film(box: FilmBoxSpec, frames: list[Frame | None], options: JobOptions) -> FilmJob:
    return FilmJob(box=box, frames=list(frames), color=options.color)


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
