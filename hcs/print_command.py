"""``hcs print``: format one job and print it, or with ``--dry-run`` only format and check it.

    hcs print FILE... (--printer NAME | --host H --port P [--called-ae AE]) [job options]
              [--preview out.png] [--json] [--dry-run]

The files fill the boxes of ``--format`` in order, as many films as it takes. Formatting
runs on worker threads (the kernels release the GIL); printing runs on an event loop
that only waits for them. ``--dry-run`` needs no printer: without ``--printer`` it
formats for the documented defaults (300 dpi, 8-bit gray; ``--dpi`` changes the
resolution), validates every value the driver would send, writes the preview and
prints a summary. Exit codes (DESIGN.md): 0 every film printed (or, dry, the job is
valid), 1 the printer failed or refused a film, 2 bad usage or bad input, 3 network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from hcs.commandline import EXIT_OK, EXIT_PEER, EXIT_USAGE
from hcs.commandline import ae_title as _ae_title
from hcs.commandline import port as _port
from hcs.commandline import positive_float as _positive_float
from hcs.commandline import positive_int as _positive_int
from hcs.defaults import CALLING_AE_TITLE, DEFAULT_CALLED_AE
from hcs.errors import HcsError
from hcs.job import fields as job_fields
from hcs.job import frames as job_frames


class UsageError(HcsError):
    """Bad arguments or input: exit 2 with this sentence."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``print`` command to ``hcs``'s sub-command parsers."""
    p = subparsers.add_parser(
        "print",
        help="format images onto film and print them (one job, no server)",
        description="Format images onto film and print them on a DICOM printer; "
        "--dry-run formats and validates without a printer.",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="DICOM files (every frame), PNG or JPEG images, in box order; - leaves a box "
        "empty (with --frame/--frames: the images the frames name by index)",
    )
    where = p.add_argument_group("printer")
    where.add_argument("--printer", metavar="NAME", help="a [printers.NAME] of the configuration")
    where.add_argument(
        "--config",
        metavar="TOML",
        help="configuration file (default: $HCS_CONFIG, else ./hcs.toml)",
    )
    where.add_argument("--host", help="the printer's host (instead of --printer)")
    where.add_argument("--port", type=_port, help="the printer's TCP port")
    where.add_argument(
        "--called-ae",
        type=_ae_title,
        default=DEFAULT_CALLED_AE,
        help=f"the printer's AE title (default {DEFAULT_CALLED_AE})",
    )
    where.add_argument(
        "--calling-ae",
        type=_ae_title,
        default=None,
        help=f"our AE title (default {CALLING_AE_TITLE})",
    )
    where.add_argument(
        "--dpi",
        type=_positive_float,
        help="printer resolution in dots per inch (default: the printer profile's, else 300)",
    )
    job_fields.add_arguments(p)  # the job options, from the one table (hcs.job.fields)
    job_frames.add_arguments(p)  # --frame / --frames: box by box
    out = p.add_argument_group("output")
    out.add_argument(
        "--preview", metavar="PNG", help="write a preview of the film (film N>1: NAME-N.png)"
    )
    out.add_argument("--preview-width", type=_positive_int, default=800, metavar="PX")
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument(
        "--dry-run", action="store_true", help="format and validate only; no printer is contacted"
    )
    return p


# -- the printer -------------------------------------------------------------------------


def _config_path(args: argparse.Namespace) -> Path:
    if args.config:
        return Path(args.config)
    if os.environ.get("HCS_CONFIG"):
        return Path(os.environ["HCS_CONFIG"])
    return Path("hcs.toml")


def _profile_from_config(args: argparse.Namespace):
    """``--printer NAME``: the profile from the same hcs.toml ``hcs serve`` reads, checked
    by the same loader (errors name the line and key)."""
    from hcs.server.config import ConfigError, load

    path = _config_path(args)
    if not path.exists():
        raise UsageError(f"--printer {args.printer}: no configuration at {path}")
    try:
        config = load(path)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if args.printer not in config.printers:
        known = ", ".join(sorted(config.printers)) or "none"
        raise UsageError(f"{path}: no [printers.{args.printer}] (printers: {known})")
    return config.printers[args.printer]


def resolve_profile(args: argparse.Namespace):
    """The printer profile: from the configuration, from --host/--port, or (dry run
    without a printer) the defaults."""
    from hcs.driver.profile import PrinterProfile
    from hcs.film import DEFAULT_DPI

    if args.printer and args.host:
        raise UsageError("give --printer NAME or --host/--port, not both")
    if args.printer:
        profile = _profile_from_config(args)
    elif args.host:
        if args.port is None:
            raise UsageError("--host needs --port")
        profile = PrinterProfile(
            name=f"{args.called_ae}@{args.host}:{args.port}",
            host=args.host,
            port=args.port,
            ae_title=args.called_ae,
            color=bool(args.color),
            **({"calling_ae_title": args.calling_ae} if args.calling_ae else {}),
        )
    elif args.dry_run:
        profile = PrinterProfile(
            name="dry-run",
            host="localhost",
            port=104,
            color=bool(args.color),
            resolution_dpi=DEFAULT_DPI,
        )
    else:
        raise UsageError("name a printer: --printer NAME, or --host H --port P (or --dry-run)")
    if args.dpi is not None:
        profile = replace(profile, resolution_dpi=float(args.dpi))
    return profile


def job_options(args: argparse.Namespace):
    from hcs.formatter import JobOptions

    return JobOptions(**job_fields.job_options_arguments(job_fields.from_args(args)))


def job_items(args: argparse.Namespace) -> list[Any]:
    """What fills the boxes: the files in order, or the frames of ``--frame``/``--frames``
    (each a :class:`~hcs.formatter.JobFrame` with its place and its own values)."""
    from hcs.formatter import JobFrame

    try:
        frames, files = job_frames.from_args(args)
    except (OSError, ValueError) as error:
        raise UsageError(str(error)) from None
    if frames is None:
        if not files:
            raise UsageError("name the images: FILE..., or --frame/--frames")
        return files
    specs = job_frames.parse(frames, files)
    unused = [f for i, f in enumerate(files) if all(s.image != i for s in specs)]
    if unused:
        raise UsageError(f"{unused[0]} is in no frame (leave it out, or add a --frame)")
    return [
        JobFrame(
            None if spec.image is None else files[spec.image],
            spec.frame,
            spec.box,
            spec.film,
            spec.options,
        )
        for spec in specs
    ]


# -- output ----------------------------------------------------------------------------


def preview_paths(path: str, films: int) -> list[Path]:
    """``out.png`` for film 1, ``out-2.png`` ... for the next ones."""
    base = Path(path)
    return [
        base if i == 1 else base.with_name(f"{base.stem}-{i}{base.suffix or '.png'}")
        for i in range(1, films + 1)
    ]


def _summary_lines(films: list[Any]) -> list[str]:
    lines = []
    for number, film in enumerate(films, 1):
        g = film.layout
        kind = "RGB" if film.color else f"{film.bits}-bit gray"
        lines.append(
            f"film {number}: {g.display_format} on {g.film_size_id} {g.orientation}, "
            f"{g.width} x {g.height} px ({g.pixels_per_mm[0] * 25.4:g} dpi), {kind}, "
            f"{film.scaling} scaling"
        )
        for position, box in enumerate(film.boxes, 1):
            rect = g.box(position)
            if box is None:
                lines.append(f"  box {position}: empty ({rect.width} x {rect.height})")
                continue
            rows, columns = box.pixels.shape[:2]
            p = box.placement
            lines.append(
                f"  box {position}: {box.source} {box.image_size[1]}x{box.image_size[0]} -> "
                f"{columns}x{rows} (image {p.width}x{p.height} at {p.x},{p.y}), {box.voi}"
                + (f", {box.view_text()}" if box.view_text() else "")
            )
    return lines


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload))


# -- run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Run ``hcs print``; returns the exit code."""
    from hcs.formatter import FormatError, SourceError
    from hcs.job import terms

    try:
        profile = resolve_profile(args)
        options = job_options(args)
        args.items = job_items(args)
        if args.dry_run:
            return _dry_run(args, options, profile)
        return asyncio.run(_print(args, options, profile))
    except UsageError as error:
        return _fail(args, str(error), EXIT_USAGE)
    except (FormatError, SourceError, terms.InvalidAttribute, job_fields.FieldError) as error:
        return _fail(args, str(error), EXIT_USAGE)


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    if getattr(args, "json", False):
        _print_json({"command": "print", "ok": False, "error": message, "exit_code": code})
    else:
        print(f"hcs print: {message}", file=sys.stderr)
    return code


def _format_and_check(args: argparse.Namespace, options: Any, profile: Any):
    from hcs.driver import validate_request
    from hcs.formatter import build_print_request

    request, films = build_print_request(options, args.items, profile)
    validate_request(request, profile)
    previews: list[str] = []
    if args.preview:
        from hcs.preview import film_png  # Pillow: the images extra, only for --preview

        for path, film in zip(preview_paths(args.preview, len(films)), films, strict=True):
            path.write_bytes(film_png(film, args.preview_width))
            previews.append(str(path))
    return request, films, previews


def _payload(args, films, profile, previews) -> dict[str, Any]:
    return {
        "command": "print",
        "dry_run": bool(args.dry_run),
        "printer": profile.name,
        "films": [film.as_json() for film in films],
        "images": sum(1 for film in films for box in film.boxes if box is not None),
        "previews": previews,
    }


def _dry_run(args: argparse.Namespace, options: Any, profile: Any) -> int:
    _request, films, previews = _format_and_check(args, options, profile)
    if args.json:
        _print_json({**_payload(args, films, profile, previews), "ok": True, "valid": True})
        return EXIT_OK
    for line in _summary_lines(films):
        print(line)
    images = sum(1 for film in films for box in film.boxes if box is not None)
    tail = f"; preview in {', '.join(previews)}" if previews else ""
    print(f"dry run: {len(films)} film(s), {images} image(s), valid for {profile.name}{tail}")
    return EXIT_OK


async def _print(args: argparse.Namespace, options: Any, profile: Any) -> int:
    from hcs.driver import PrinterDriver

    # Formatting (and the PNG previews) on threads: the loop never runs a kernel.
    request, films, previews = await asyncio.to_thread(_format_and_check, args, options, profile)
    driver = PrinterDriver(profile)
    try:
        outcome = await driver.print(request)
    finally:
        await driver.close()
    code = EXIT_OK if outcome.printed else EXIT_PEER
    if args.json:
        _print_json(
            {
                **_payload(args, films, profile, previews),
                "ok": outcome.printed,
                "outcome": outcome.as_json(),
            }
        )
        return code
    for line in _summary_lines(films):
        print(line)
    for film in outcome.films:
        text = f"film {film.index + 1}: {film.state}"
        if film.reason:
            text += f" ({film.reason})"
        print(text)
    for warning in outcome.warnings:
        print(f"warning: {warning}")
    for note in outcome.notes:  # what hcs tolerated in the printer's answers
        print(f"note: {note}")
    printed = sum(1 for f in outcome.films if f.state == "printed")
    print(f"printed {printed} of {len(outcome.films)} film(s) on {profile.name}")
    return code
