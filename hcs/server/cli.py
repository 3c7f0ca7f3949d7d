"""``hcs serve``, ``hcs submit``, ``hcs jobs``, ``hcs printers``, ``hcs cancel``, ``hcs hold``,
``hcs release``, ``hcs priority``, ``hcs reprint``.

``hcs/cli.py`` calls :func:`add_parsers` and takes :data:`RUNNERS`; nothing else of it
changes. The client commands talk to a running server (``--server URL`` or
``HCS_SERVER``; ``--token`` or ``HCS_TOKEN``). Exit codes as everywhere in hcs: 0 ok,
1 the job failed or the server refused it for a printer's reason, 2 bad usage or a job
the server refused as invalid, 3 the server cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from hcs.commandline import EXIT_NETWORK, EXIT_OK, EXIT_PEER, EXIT_USAGE
from hcs.job import fields as job_fields
from hcs.job import frames as job_frames

FINAL = ("done", "failed", "cancelled")


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=None,
        help="the server: URL or unix:/path (default $HCS_SERVER or http://127.0.0.1:8631)",
    )
    parser.add_argument("--token", default=None, help="the server's token (default $HCS_TOKEN)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_job_options(parser: argparse.ArgumentParser) -> None:
    """``--printer`` and the job options, from the table ``hcs print`` uses too."""
    parser.add_argument(
        "--printer", help="printer or group name (as the server's configuration names it)"
    )
    job_fields.add_arguments(parser)


def job_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The job's JSON: the printer and the options given (lists for JSON)."""
    job = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in job_fields.from_args(args).items()
    }
    if args.printer is not None:
        job["printer"] = args.printer
    return job


def add_parsers(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the hardcopy server",
        description="The hardcopy server: HTTP/JSON API, durable spool, one worker per "
        "printer. Its configuration keys, API and guarantees are in docs/server.md.",
    )
    serve.add_argument(
        "--config",
        default=None,
        help="the TOML configuration: [printers.NAME] tables and the server's settings, "
        "described in docs/server.md (default: built-in defaults, no printers)",
    )

    submit = commands.add_parser("submit", help="submit a job to a running server")
    submit.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="DICOM images, in box order (with --frame/--frames: the images the frames "
        "name by index)",
    )
    add_job_options(submit)
    job_frames.add_arguments(submit)
    submit.add_argument(
        "--paths",
        action="store_true",
        help="send the files' paths instead of uploading them (the server "
        "must be on this machine and allow their directory)",
    )
    submit.add_argument(
        "--wait",
        action="store_true",
        help="wait for the job to finish, with a progress bar per film",
    )
    _client_options(submit)

    jobs = commands.add_parser("jobs", help="list a running server's jobs")
    jobs.add_argument("--state", default=None, help="comma-separated states to show")
    jobs.add_argument("--limit", type=int, default=50)
    _client_options(jobs)

    printers = commands.add_parser("printers", help="list a running server's printers")
    _client_options(printers)

    cancel = commands.add_parser("cancel", help="cancel a job on a running server")
    cancel.add_argument("job", metavar="JOB")
    _client_options(cancel)

    for name, text in (
        ("hold", "hold a waiting job until it is released"),
        ("release", "let a held job go on"),
        ("priority", "change a waiting job's priority (its queue place and Print Priority)"),
        ("reprint", "print a job again: a new job with the same options and images"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("job", metavar="JOB")
        if name == "priority":
            command.add_argument("priority", type=str.upper, choices=("HIGH", "MED", "LOW"))
        _client_options(command)


def _client(args: argparse.Namespace):
    from hcs.client import Client

    return Client(args.server, args.token)


def _fail(command: str, error) -> int:
    print(f"hcs {command}: {error}", file=sys.stderr)
    if error.status == 0:
        return EXIT_NETWORK
    return EXIT_USAGE if 400 <= error.status < 500 else EXIT_PEER


def _run_serve(args: argparse.Namespace) -> int:
    from hcs.server.app import run

    return run(args.config)


def _run_submit(args: argparse.Namespace) -> int:
    from hcs.client import ServerError

    try:
        job = job_from_args(args)
        frames, files = job_frames.from_args(args)
    except (job_fields.FieldError, OSError, ValueError) as error:
        print(f"hcs submit: {error}", file=sys.stderr)
        return EXIT_USAGE
    if frames is not None:
        job["frames"] = frames  # images as indexes into files: the server names them
    if not files:
        print("hcs submit: name the images: FILE..., or --frame/--frames", file=sys.stderr)
        return EXIT_USAGE
    if "printer" not in job:
        print("hcs submit: --printer is required (hcs printers lists them)", file=sys.stderr)
        return EXIT_USAGE

    async def go() -> int:
        async with _client(args) as client:
            if args.paths:
                created = await client.submit_paths(job, files)
            else:
                created = await client.submit(job, files)
            if not args.wait:
                if args.json:
                    print(json.dumps(created))
                else:
                    print(
                        f"job {created['id']} queued: {created['film_count']} film(s) for "
                        f"{created['target']}, priority {created['priority']}"
                    )
                return EXIT_OK
            final = await wait_for(client, created["id"], quiet=args.json)
            if args.json:
                print(json.dumps(final))
            return EXIT_OK if final["state"] == "done" else EXIT_PEER

    try:
        return asyncio.run(go())
    except ServerError as error:
        return _fail("submit", error)
    except OSError as error:
        print(f"hcs submit: {error.filename}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE


def _bar(done: float, width: int = 20) -> str:
    filled = round(done * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


_FILM_PROGRESS = {
    "pending": 0.0,
    "formatting": 0.3,
    "staged": 0.45,
    "sending": 0.6,
    "printed": 1.0,
    "failed": 1.0,
}


def render_progress(job: dict[str, Any]) -> list[str]:
    """One line per film: a bar, its state, its printer and its DICOM status."""
    lines = [f"job {job['id']} {job['state']}" + (f": {job['reason']}" if job["reason"] else "")]
    for film in job["films"]:
        status = ""
        operations = film.get("operations") or []
        if operations:
            shown = next(
                (op for op in operations if op["operation"].startswith("N-ACTION")), operations[-1]
            )
            status = f" {shown['operation']} {shown['status_hex'] or 'no answer'}"
        warn = f" ({len(film['warnings'])} warning(s))" if film["warnings"] else ""
        lines.append(
            f"  film {film['index'] + 1:>3} {_bar(_FILM_PROGRESS.get(film['state'], 0))}"
            f" {film['state']:<10}{' on ' + film['printer'] if film['printer'] else ''}"
            f"{status}{warn}"
        )
    return lines


async def wait_for(
    client, job_id: str, quiet: bool = False, interval: float = 0.25, out=None
) -> dict[str, Any]:
    """Follow a job until it is finished, drawing its films' progress on ``out``: the
    job is fetched when the server's event stream (``GET /events``) announces a change
    of it, and once per (re)connection. A server without the stream is polled every
    ``interval`` seconds."""
    out = out or sys.stderr
    tty = hasattr(out, "isatty") and out.isatty()
    drawn = 0
    last: list[str] = []

    def draw(job: dict[str, Any]) -> None:
        nonlocal drawn, last
        lines = render_progress(job)
        if not quiet and lines != last:
            if tty and drawn:
                out.write(f"\x1b[{drawn}F\x1b[J")
            out.write("\n".join(lines) + "\n")
            out.flush()
            drawn, last = len(lines), lines

    from hcs.client import ServerError

    streamed = True
    while True:
        if streamed:
            try:
                async with contextlib.aclosing(client.changes()) as changes:
                    async for change in changes:
                        if change.get("id") in (job_id, None):  # its own, hello, resync
                            job = await client.job(job_id)
                            draw(job)
                            if job["state"] in FINAL:
                                return job
            except ServerError as error:
                if error.status not in (404, 405):
                    raise
                streamed = False  # an older server: poll
            continue  # the stream ended (the server restarts): connect again
        job = await client.job(job_id)
        draw(job)
        if job["state"] in FINAL:
            return job
        await asyncio.sleep(interval)


def _run_jobs(args: argparse.Namespace) -> int:
    from hcs.client import ServerError

    async def go() -> int:
        async with _client(args) as client:
            jobs = await client.jobs(args.state, args.limit)
        if args.json:
            print(json.dumps(jobs))
            return EXIT_OK
        print(f"{'JOB':<13} {'PRI':<4} {'TARGET':<14} {'STATE':<10} {'FILMS':>7}  SUBMITTED")
        for job in jobs:
            printed = job["film_states"].get("printed", 0)
            when = time.strftime("%H:%M:%S", time.localtime(job["created"]))
            print(
                f"{job['id']:<13} {job['priority']:<4} {job['target']:<14} {job['state']:<10}"
                f" {printed:>3}/{job['film_count']:<3}  {when}"
                + (f"  {job['reason']}" if job["reason"] else "")
            )
        return EXIT_OK

    try:
        return asyncio.run(go())
    except ServerError as error:
        return _fail("jobs", error)


def _run_printers(args: argparse.Namespace) -> int:
    from hcs.client import ServerError

    async def go() -> int:
        async with _client(args) as client:
            data = await client.printers()
        if args.json:
            print(json.dumps(data))
            return EXIT_OK
        print(f"{'PRINTER':<16} {'AE TITLE':<16} {'ADDRESS':<22} {'STATUS':<12} NOW")
        for p in data["printers"]:
            status = p["status"] or "unknown"
            if p["status_info"] and p["status_info"] != p["status"]:
                status += f" ({p['status_info']})"
            now = f"job {p['current_job']}" if p["busy"] else f"idle, {p['queued']} queued"
            if p.get("instance"):
                now += f", on server {p['instance']}"
            print(
                f"{p['name']:<16} {p['ae_title']:<16} {p['host'] + ':' + str(p['port']):<22}"
                f" {status:<12} {now}"
            )
        for group, members in data["groups"].items():
            print(f"group {group}: {', '.join(members)}")
        return EXIT_OK

    try:
        return asyncio.run(go())
    except ServerError as error:
        return _fail("printers", error)


def _run_cancel(args: argparse.Namespace) -> int:
    from hcs.client import ServerError

    async def go() -> int:
        async with _client(args) as client:
            result = await client.cancel(args.job)
        print(json.dumps(result) if args.json else f"job {result['id']}: {result['state']}")
        return EXIT_OK

    try:
        return asyncio.run(go())
    except ServerError as error:
        return _fail("cancel", error)


def _run_job_action(args: argparse.Namespace) -> int:
    """hcs hold / release / priority / reprint JOB."""
    from hcs.client import ServerError

    async def go() -> int:
        async with _client(args) as client:
            if args.command == "hold":
                result = await client.hold(args.job)
            elif args.command == "release":
                result = await client.release(args.job)
            elif args.command == "priority":
                result = await client.set_priority(args.job, args.priority)
            else:
                result = await client.reprint(args.job)
        if args.json:
            print(json.dumps(result))
        elif args.command == "priority":
            print(f"job {result['id']}: priority {result['priority']}")
        elif args.command == "reprint":
            print(f"job {result['id']}: {result['state']} (reprint of {args.job})")
        else:
            print(f"job {result['id']}: {result['state']}")
        return EXIT_OK

    try:
        return asyncio.run(go())
    except ServerError as error:
        return _fail(args.command, error)


RUNNERS = {
    "serve": _run_serve,
    "submit": _run_submit,
    "jobs": _run_jobs,
    "printers": _run_printers,
    "cancel": _run_cancel,
    "hold": _run_job_action,
    "release": _run_job_action,
    "priority": _run_job_action,
    "reprint": _run_job_action,
}
