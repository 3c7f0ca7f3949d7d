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

from hcs.driver.profile import PrinterProfile
from hcs.film import FilmGeometryError, layout
from hcs.formatter import FilmJob, FormatError, FormattedFilm, Formatter, JobOptions
from hcs.formatter.job import PrinterSettings
from hcs.job.model import PrintRequest
from hcs.server.jobspec import JobSpec

PREVIEW_MAX = 2048

__all__ = ["PREVIEW_MAX", "FilmFormatter", "FormatError", "boxes_per_film", "job_options"]


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

    async def format(self, spec: JobSpec, frames: Sequence[tuple[Path, int]]) -> Formatted:
        """The film made of ``frames`` ((file, frame index), one per box, in order)."""
        import asyncio

        options = job_options(spec, self.profile)
        film_job = FilmJob(
            box=options.film_box(),
            frames=[options.frame(str(path), index) for path, index in frames],
            color=options.color,
        )
        film = await self.formatter.format_film_async(film_job)
        request = PrintRequest(
            session=options.session(), films=[film.film_spec()], color=options.color
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
