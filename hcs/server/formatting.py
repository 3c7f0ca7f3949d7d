"""One film of a job -> what the driver sends, and its preview, with ``hcs.formatter``.

The server formats a job film by film, when a printer's worker takes the film: only
then is the printer known (a job for a group learns its printer when one is free), and
with it the resolution and bit depth the boxes are made for. Each film becomes a
one-film :class:`~hcs.driver.PrintRequest` that carries the job's session attributes
(copies, priority, medium, ...), so the worker can interleave films of different jobs.

The work runs on the server's formatter thread pool (the kernels release the GIL); the
event loop only waits. The preview is the formatter's own rendering of the film
(``hcs.preview``), drawn at the film's pixel size up to ``PREVIEW_MAX`` pixels wide, so
at test resolutions each box of the preview holds exactly the pixels the printer got.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcs.driver.profile import PrinterProfile
from hcs.film import FilmGeometryError, layout
from hcs.formatter import FilmJob, FormatError, FormattedFilm, Formatter, JobOptions
from hcs.formatter.job import PrinterSettings
from hcs.job import frames as job_frames
from hcs.job.model import PrintRequest

if TYPE_CHECKING:  # jobspec checks a job with boxes_per_film: no import back at run time
    from hcs.server.jobspec import JobSpec

PREVIEW_MAX = 2048

__all__ = [
    "PREVIEW_MAX",
    "FilmFormatter",
    "FormatError",
    "boxes_per_film",
    "film_boxes",
    "job_film_count",
    "job_options",
]


def job_options(spec: JobSpec, profile: PrinterProfile) -> JobOptions:
    return spec.options_for_formatter(profile)


def boxes_per_film(spec: JobSpec, profile: PrinterProfile) -> int:
    """How many image boxes one film of this job has on this printer."""
    settings = PrinterSettings.from_profile(profile)
    options = job_options(spec, profile)
    try:
        geometry = layout(
            options.display_format,
            options.film_size,
            options.orientation,
            settings.resolution,
            margin_mm=settings.margin_mm,
            gap_mm=settings.gap_mm,
            custom_formats=settings.custom_formats,
        )
    except FilmGeometryError as error:
        raise FormatError(str(error)) from None
    return len(geometry.boxes)


def film_count(frames: int, per_film: int) -> int:
    return max(1, math.ceil(frames / per_film))


def job_film_count(spec: JobSpec, frames: int, per_film: int) -> int:
    """How many films the job prints: its frames' films, else its images in order."""
    if spec.frames:
        return len(job_frames.arrange([(f.film, f.box) for f in spec.frames], per_film))
    return film_count(frames, per_film)


# One box of a film as the worker hands it to the formatter: (file, frame index, the
# frame's own option values), or None for an empty box.
BoxContent = tuple[Path, int, dict[str, Any]] | None


def film_boxes(
    spec: JobSpec, frames: Sequence[tuple[Path, int]], per_film: int, index: int
) -> list[BoxContent]:
    """The boxes of film ``index`` (0-based) of the job; ``frames`` are the spool's
    (file, frame) of every image in order. Without ``spec.frames`` the images fill the
    boxes in order; with them, each goes to its box and the others stay empty."""
    if not spec.frames:
        return [(path, i, {}) for path, i in frames[index * per_film : (index + 1) * per_film]]
    files = [path for path, i in frames if i == 0]  # each image's file, in the job's order
    films = job_frames.arrange([(f.film, f.box) for f in spec.frames], per_film)
    if index >= len(films):
        return []
    placed = films[index]
    boxes: list[BoxContent] = []
    for position in range(1, max(placed, default=0) + 1):
        item = placed.get(position)
        frame = None if item is None else spec.frames[item]
        if frame is None or frame.image is None:
            boxes.append(None)
        else:
            boxes.append((files[frame.image], frame.frame, frame.options))
    return boxes


@dataclass
class Formatted:
    request: PrintRequest
    film: FormattedFilm
    preview_png: bytes


class FilmFormatter:
    """The formatter for one printer, on the server's shared thread pool."""

    def __init__(self, profile: PrinterProfile, executor: Executor):
        self.profile = profile
        self.executor = executor
        self.formatter = Formatter(PrinterSettings.from_profile(profile), executor=executor)

    async def format(self, spec: JobSpec, boxes: Sequence[BoxContent], index: int = 0) -> Formatted:
        """Film ``index`` (0-based) of the job, made of ``boxes`` (:func:`film_boxes`)."""
        import asyncio

        options = job_options(spec, self.profile)
        film_job = FilmJob(
            box=options.film_box(),
            frames=[
                None if box is None else options.frame(str(box[0]), box[1], box[2]) for box in boxes
            ],
            color=bool(options.color),
            annotations=options.film_annotations(index + 1),
        )
        film = await self.formatter.format_film_async(film_job)
        request = PrintRequest(
            session=options.session(), films=[film.film_spec()], color=bool(options.color)
        )
        width = min(film.layout.width, PREVIEW_MAX)
        loop = asyncio.get_running_loop()
        png = await loop.run_in_executor(self.executor, preview_png, film, width)
        return Formatted(request, film, png)


def preview_png(film: FormattedFilm, width: int) -> bytes:
    """The formatter's rendering of the film, encoded for speed: ``hcs.preview``'s own
    encoder compresses at level 9 (0.4 s for a 420 x 510 film here), the server
    encodes every film it prints and keeps the files only until retention ends."""
    import io

    from PIL import Image as PILImage

    from hcs.preview import render_film

    buffer = io.BytesIO()
    PILImage.fromarray(render_film(film, width)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()
