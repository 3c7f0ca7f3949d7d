"""The Formatter: films in, image box pixels out, every frame on a worker thread.

A Formatter belongs to a printer (its resolution, bits, colour, scaling mode) and keeps
a thread pool. Each frame is one task: read, decode, LUTs, magnification, overlays;
the kernels release the GIL, so frames (and two printers' Formatters) run on as many
cores as there are workers. The asyncio side only awaits futures: the event loop never
runs a kernel. Working buffers are per worker thread and reused (``scratch``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from hcs.errors import HcsError
from hcs.extras import missing_extra
from hcs.film import FilmGeometryError, FilmLayout, layout
from hcs.formatter.density import density_to_pvalue
from hcs.formatter.frame import BoxTarget, format_frame
from hcs.formatter.job import FilmJob, FormattedBox, FormattedFilm, PrinterSettings
from hcs.job.model import FilmBoxSpec

T = TypeVar("T")


class FormatError(HcsError, ValueError):
    """A film or frame that cannot be formatted; the message names the box and source."""


class Formatter:
    """Formats films for one printer on a pool of ``workers`` threads.

    ``workers=None`` uses every core (one job at a time, as ``hcs print`` does); a
    server gives each printer's Formatter one or two workers so printers share the
    machine. Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        settings: PrinterSettings | None = None,
        *,
        workers: int | None = None,
        executor: ThreadPoolExecutor | None = None,
    ):
        self.settings = settings or PrinterSettings()
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 1, thread_name_prefix="hcs-format"
        )

    def __enter__(self) -> Formatter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_executor:
            self._executor.shutdown(wait=True)

    def run(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run other work of a job (reading files) on the formatter's threads."""
        return self._executor.submit(fn, *args)

    # -- geometry -------------------------------------------------------------------

    def layout(self, box: FilmBoxSpec) -> FilmLayout:
        s = self.settings
        try:
            return layout(
                box.image_display_format,
                box.film_size_id or "14INX17IN",
                box.film_orientation or "PORTRAIT",
                s.resolution,
                margin_mm=s.margin_mm,
                gap_mm=s.gap_mm,
                custom_formats=s.custom_formats,
            )
        except FilmGeometryError as error:
            raise FormatError(str(error)) from None

    def _targets(self, film: FilmJob, geometry: FilmLayout) -> tuple[list[BoxTarget], int, int]:
        s = self.settings
        bits = 8 if film.color else s.bits
        box = film.box
        try:
            empty = density_to_pvalue(
                box.empty_image_density,
                bits,
                min_density=box.min_density,
                max_density=box.max_density,
            )
        except ValueError as error:
            raise FormatError(f"EmptyImageDensity: {error}") from None
        try:
            border = density_to_pvalue(
                box.border_density, bits, min_density=box.min_density, max_density=box.max_density
            )
        except ValueError as error:
            raise FormatError(f"BorderDensity: {error}") from None
        method = (box.magnification_type or s.magnification).upper()
        targets = [
            BoxTarget(
                i,
                r.width,
                r.height,
                geometry.pixels_per_mm,
                bits,
                film.color,
                s.scaling,
                method,
                empty,
            )
            for i, r in enumerate(geometry.boxes, 1)
        ]
        return targets, border, empty

    # -- formatting -----------------------------------------------------------------

    def submit(self, film: FilmJob) -> _PendingFilm:
        """Start formatting a film: its frames are queued on the pool at once."""
        if film.color and not self.settings.color:
            raise FormatError("a colour film was asked of a grayscale printer")
        geometry = self.layout(film.box)
        if len(film.frames) > len(geometry.boxes):
            raise FormatError(
                f"{len(film.frames)} images for {film.box.image_display_format}, which has "
                f"{len(geometry.boxes)} image boxes"
            )
        targets, border, empty = self._targets(film, geometry)
        futures: list[Future[FormattedBox] | None] = [
            self._executor.submit(format_frame, frame, targets[i]) if frame is not None else None
            for i, frame in enumerate(film.frames)
        ]
        return _PendingFilm(self, film, geometry, futures, border, empty, targets)

    def format_film(self, film: FilmJob) -> FormattedFilm:
        """Format one film, waiting for its frames (never call this on an event loop)."""
        return self.submit(film).result()

    def format_films(self, films: Iterable[FilmJob]) -> list[FormattedFilm]:
        """Format several films with all their frames in flight together."""
        pending = [self.submit(film) for film in films]
        return [p.result() for p in pending]

    async def format_film_async(self, film: FilmJob) -> FormattedFilm:
        """Format one film from a coroutine: the work runs on the pool, the loop awaits."""
        loop = asyncio.get_running_loop()
        pending = await loop.run_in_executor(self._executor, self.submit, film)
        futures = [asyncio.wrap_future(f) for f in pending.futures if f is not None]
        if futures:
            await asyncio.wait(futures)
        return pending.result()


class _PendingFilm:
    def __init__(
        self,
        formatter: Formatter,
        film: FilmJob,
        geometry: FilmLayout,
        futures: list[Future[FormattedBox] | None],
        border: int,
        empty: int,
        targets: list[BoxTarget],
    ):
        self.formatter = formatter
        self.film = film
        self.geometry = geometry
        self.futures = futures
        self.border = border
        self.empty = empty
        self.targets = targets

    def result(self) -> FormattedFilm:
        boxes: list[FormattedBox | None] = [None] * len(self.geometry.boxes)
        for i, future in enumerate(self.futures):
            if future is None:
                continue
            try:
                boxes[i] = future.result()
            except Exception as error:  # a frame's bad input fails the film, named
                if missing_extra(error) is not None:
                    raise  # Pillow is not installed: not the frame's fault (hcs.extras)
                frame = self.film.frames[i]
                what = frame.describe() if frame is not None else "?"
                text = str(error)
                if not isinstance(error, ValueError | OSError):
                    text = f"{type(error).__name__}: {text}"
                prefix = f"image box {i + 1}" if what in text else f"image box {i + 1} ({what})"
                raise FormatError(f"{prefix}: {text}") from error
        settings = self.formatter.settings
        return FormattedFilm(
            layout=self.geometry,
            box=self.film.box,
            boxes=boxes,
            bits=8 if self.film.color else settings.bits,
            color=self.film.color,
            scaling=settings.scaling,
            magnification=self.targets[0].magnification if self.targets else "BILINEAR",
            border_pvalue=self.border,
            empty_pvalue=self.empty,
            annotations=dict(self.film.annotations),
        )
