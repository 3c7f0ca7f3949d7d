"""Print from Python in one call: images in, the printer's answer out (docs/api.md).

    import hcs
    result = hcs.print_images(["ct1.dcm", dataset, array], host="printer-3", port=104,
                              called_ae="DRYVIEW", display_format="STANDARD\\2,2")
    result.printed            # every film printed
    result.outcome.films      # per film: state, reason, Print Job, warnings

This is the stable surface for programs: ``print_images`` (blocking) and
``print_images_async`` (its twin for a running event loop), ``PrintResult``, and the
names re-exported here from the formatter and the driver. It does what ``hcs print``
does: formats on worker threads (the kernels release the GIL), checks every value
before an association is opened, prints with the driver (one association, retries by
the profile's policy), releases, and returns. A printer's refusal or failure is in the
result, never raised; a bad job raises :class:`PrintInputError` (a ``ValueError``)
naming the field or file, before anything is sent.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from hcs.defaults import DEFAULT_CALLED_AE
from hcs.driver import JobOutcome, PrinterDriver, PrinterProfile, validate_request
from hcs.formatter import FormatError, FormattedFilm, Frame, JobFrame, JobOptions, SourceError
from hcs.formatter.request import build_print_request_async

__all__ = [
    "Frame",
    "JobFrame",
    "JobOptions",
    "PrintInputError",
    "PrintResult",
    "PrinterProfile",
    "print_images",
    "print_images_async",
]

_JOB_FIELDS = frozenset(f.name for f in fields(JobOptions))


class PrintInputError(ValueError):
    """The job cannot be printed as given (a file, a value, the printer's choice); nothing
    was sent. The message names what is wrong."""


@dataclass(frozen=True)
class PrintResult:
    """What happened to a job: the driver's outcome and the films as formatted."""

    printer: str
    outcome: JobOutcome
    films: list[FormattedFilm]

    @property
    def printed(self) -> bool:
        """True when every film was printed."""
        return self.outcome.printed

    def preview_png(self, film: int = 0, width: int = 800) -> bytes:
        """A PNG of film ``film`` as formatted (what the printer was sent)."""
        from hcs.preview import film_png

        return film_png(self.films[film], width)

    def as_json(self) -> dict[str, Any]:
        return {
            "printer": self.printer,
            "printed": self.printed,
            "films": [film.as_json() for film in self.films],
            "outcome": self.outcome.as_json(),
        }


def _profile(
    printer: str | PrinterProfile | None,
    host: str | None,
    port: int | None,
    called_ae: str,
    calling_ae: str | None,
    config: str | os.PathLike[str] | None,
    color: bool,
) -> PrinterProfile:
    if isinstance(printer, PrinterProfile):
        if host is not None or port is not None:
            raise PrintInputError("give a printer profile or host and port, not both")
        return printer
    if printer is not None:
        if host is not None or port is not None:
            raise PrintInputError(f"give printer={printer!r} or host and port, not both")
        return _named_profile(printer, config)
    if host is None or port is None:
        raise PrintInputError("name the printer: printer=NAME or a profile, or host= and port=")
    extra = {"calling_ae_title": calling_ae} if calling_ae else {}
    try:
        return PrinterProfile(
            name=f"{called_ae}@{host}:{port}",
            host=host,
            port=int(port),
            ae_title=called_ae,
            color=color,
            **extra,
        )
    except ValueError as error:
        raise PrintInputError(str(error)) from None


def _named_profile(name: str, config: str | os.PathLike[str] | None) -> PrinterProfile:
    """``[printers.NAME]`` of the same hcs.toml that ``hcs print`` and ``hcs serve`` read."""
    from hcs.server.config import ConfigError, load

    path = Path(config or os.environ.get("HCS_CONFIG") or "hcs.toml")
    if not path.exists():
        raise PrintInputError(f"printer {name!r}: no configuration at {path}")
    try:
        printers = load(path).printers
    except ConfigError as error:
        raise PrintInputError(str(error)) from None
    if name not in printers:
        known = ", ".join(sorted(printers)) or "none"
        raise PrintInputError(f"{path}: no [printers.{name}] (printers: {known})")
    return printers[name]


def _options(options: JobOptions | None, job: dict[str, Any], color: bool) -> JobOptions:
    unknown = set(job) - _JOB_FIELDS
    if unknown:
        raise PrintInputError(
            f"unknown job option(s) {', '.join(sorted(unknown))}; "
            f"the options are {', '.join(sorted(_JOB_FIELDS))}"
        )
    base = options if options is not None else JobOptions()
    values = {f.name: getattr(base, f.name) for f in fields(JobOptions)}
    values.update(job)
    if color:
        values["color"] = True
    if isinstance(values.get("overlays"), list):
        values["overlays"] = tuple(values["overlays"])
    return JobOptions(**values)


def _images(images: Any) -> list[Any]:
    """One image or many: a path, a pydicom Dataset, a numpy array, a :class:`Frame`."""
    if isinstance(images, str | os.PathLike | Frame | JobFrame) or hasattr(
        images, "__array_interface__"
    ):
        return [images]
    if hasattr(images, "PixelData") or hasattr(images, "file_meta"):  # a pydicom Dataset
        return [images]
    if isinstance(images, Iterable):
        return list(images)
    raise PrintInputError(
        f"images must be a path, a pydicom Dataset, a numpy array, a Frame or a list of "
        f"them, not {type(images).__name__}"
    )


async def print_images_async(
    images: Any,
    *,
    printer: str | PrinterProfile | None = None,
    host: str | None = None,
    port: int | None = None,
    called_ae: str = DEFAULT_CALLED_AE,
    calling_ae: str | None = None,
    config: str | os.PathLike[str] | None = None,
    options: JobOptions | None = None,
    color: bool = False,
    **job: Any,
) -> PrintResult:
    """Format ``images`` onto film and print them; the twin of :func:`print_images` for
    code that runs an event loop (formatting happens on worker threads, not the loop)."""
    profile = _profile(printer, host, port, called_ae, calling_ae, config, color)
    job_options = _options(options, job, color)
    sources: Sequence[Any] = _images(images)
    try:
        request, films = await build_print_request_async(job_options, sources, profile)
        validate_request(request, profile)
    except (FormatError, SourceError, ValueError) as error:
        raise PrintInputError(str(error)) from None
    driver = PrinterDriver(profile)
    try:
        outcome = await driver.print(request)
    finally:
        await driver.close()
    return PrintResult(printer=profile.name, outcome=outcome, films=films)


def print_images(images: Any, **arguments: Any) -> PrintResult:
    """Format ``images`` onto film and print them; returns when the printer has answered.

    ``images``: a path (DICOM, PNG, JPEG), a pydicom ``Dataset``, a numpy array (gray
    ``[rows, columns]`` integers or RGB ``uint8 [rows, columns, 3]``), a :class:`Frame`,
    a :class:`JobFrame` (an image with its place and its own job option values, as a
    job's ``frames[i]``; ``JobFrame(None, box=N)`` leaves box N empty), ``None`` (an
    empty box), or a list of them; they fill the boxes of ``display_format`` in order, as
    many films as it takes, and a frame that names its ``box`` goes there.
    The printer: ``printer=NAME`` (a ``[printers.NAME]`` of ``config`` or
    ``$HCS_CONFIG`` or ``./hcs.toml``), ``printer=PrinterProfile(...)``, or ``host=``,
    ``port=`` and ``called_ae=``. Job options are the fields of :class:`JobOptions`
    (``display_format``, ``film_size``, ``orientation``, ``magnification``, ``copies``,
    ``priority``, ``medium``, ``destination``, ``window``, ``polarity``, ``color`` ...),
    as keywords or as ``options=JobOptions(...)``; what neither names comes from the
    printer profile's ``defaults``, then the built-in defaults.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(print_images_async(images, **arguments))
    raise RuntimeError(
        "print_images() blocks; inside a running event loop use `await print_images_async(...)`"
    )
