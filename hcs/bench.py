"""``hcs bench``: load a Print Management SCP with synthetic films and measure it.

    hcs bench HOST PORT --called-ae AE [--films N] [--format F] [--size PX] [--bits 8|12]
              [--color] [--associations K] [--no-print] [--yes] [--json] [--html FILE]

K associations, each a :class:`~hcs.driver.PrinterDriver` (the very sequence ``hcs print``
and the server use: N-GET Printer, N-CREATE Film Session, N-CREATE Film Box, an N-SET per
Image Box, N-ACTION, N-DELETE Film Box, N-DELETE Film Session), take films from one
count of N until none is left. Every film is one film session of the same synthetic
images (``--size`` square, 8 or 12-bit gray or RGB), so the measure is the SCP and the
path to it, not our formatter. The driver times every DIMSE request to its response;
the report gives films/s, MB/s of pixel data, and each operation's p50/p95/p99/max.

Real film costs money: unless the printer's N-GET answer says it is hcs's virtual
printer, ``hcs bench`` asks before printing (``--yes`` skips the question; without a
terminal to ask on, it refuses). ``--no-print`` creates, fills and deletes the film
boxes but never sends N-ACTION, so nothing is printed and nothing is asked.

Exit codes as everywhere in hcs: 0 every film went through, 1 the printer refused or
failed some, 2 bad usage (or no permission to print), 3 network or timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from hcs.driver import PrinterProfile, PrintRequest

from hcs.commandline import EXIT_OK, EXIT_PEER, EXIT_USAGE, positive_int

TEST_PRINTERS = (("hcs", "hcs virtual printer"),)
"""(Manufacturer, Manufacturer Model Name prefix) of the N-GET Printer answers that are
test printers: printing there costs nothing, so ``hcs bench`` does not ask."""

PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class BenchPlan:
    """The load: N films of ``display_format`` with ``size`` x ``size`` boxes over K
    associations; ``print_films=False`` is ``--no-print``."""

    films: int = 20
    display_format: str = "STANDARD\\1,1"
    size: int = 512
    bits: int = 8
    color: bool = False
    associations: int = 1
    print_films: bool = True

    @property
    def boxes(self) -> int:
        return box_count(self.display_format)

    @property
    def bytes_per_box(self) -> int:
        per_pixel = 3 if self.color else (2 if self.bits == 12 else 1)
        return self.size * self.size * per_pixel

    @property
    def bytes_per_film(self) -> int:
        return self.boxes * self.bytes_per_box

    def as_json(self) -> dict[str, Any]:
        return {
            "films": self.films,
            "format": self.display_format,
            "size": self.size,
            "bits": self.bits,
            "color": self.color,
            "associations": self.associations,
            "print": self.print_films,
            "boxes_per_film": self.boxes,
            "bytes_per_film": self.bytes_per_film,
        }


def box_count(display_format: str) -> int:
    """Image boxes of a STANDARD, ROW or COL format; ``ValueError`` for the others (their
    box count is the printer's to say, and a benchmark needs to know it beforehand)."""
    from hcs import film

    parsed = film.parse_display_format(display_format)
    if parsed.kind in ("STANDARD", "ROW", "COL"):
        return film.box_count(parsed)
    raise ValueError(
        f"--format {display_format!r}: hcs bench takes STANDARD\\C,R, ROW\\... or COL\\... "
        "(it must know how many image boxes a film has)"
    )


def synthetic_pixels(plan: BenchPlan, position: int) -> np.ndarray:
    """One box of test pixels: a diagonal ramp over the full range with a bright square
    whose place depends on ``position``, so boxes differ and a printed film is legible."""
    import numpy as np

    n = plan.size
    top = 4095 if plan.bits == 12 and not plan.color else 255
    ramp = (np.add.outer(np.arange(n), np.arange(n)) * top // max(1, 2 * n - 2)).astype(
        np.uint16 if top > 255 else np.uint8
    )
    side = max(1, n // 8)
    offset = (position * side) % max(1, n - side)
    ramp[offset : offset + side, offset : offset + side] = top
    if plan.color:
        return np.ascontiguousarray(np.stack([ramp, ramp[::-1], ramp[:, ::-1]], axis=-1))
    return ramp


def synthetic_request(plan: BenchPlan) -> PrintRequest:
    from hcs.driver import FilmBoxSpec, FilmSessionSpec, FilmSpec, ImageBoxSpec, PrintRequest

    photometric = "RGB" if plan.color else "MONOCHROME2"
    images = [
        ImageBoxSpec(synthetic_pixels(plan, i), photometric_interpretation=photometric)
        for i in range(plan.boxes)
    ]
    return PrintRequest(
        FilmSessionSpec(number_of_copies=1, film_session_label="hcs bench"),
        [FilmSpec(FilmBoxSpec(plan.display_format), images)],
        color=plan.color,
        action=plan.print_films,
    )


def operation_name(label: str) -> str:
    """The operation without the box number: "N-SET Image Box 7" -> "N-SET Image Box"."""
    return re.sub(r" \d+$", "", label)


@dataclass
class BenchResult:
    plan: BenchPlan
    target: dict[str, Any]
    seconds: float = 0.0
    films_done: int = 0
    films_failed: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    film_times: list[tuple[float, int]] = field(default_factory=list)
    """(seconds since the start, association index) of every film that went through."""
    associations_opened: int = 0

    @property
    def films_per_second(self) -> float:
        return self.films_done / self.seconds if self.seconds > 0 else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return (
            self.films_done * self.plan.bytes_per_film / 1e6 / self.seconds if self.seconds else 0.0
        )

    def operation_stats(self) -> dict[str, dict[str, float]]:
        """Per operation: count, and p50/p95/p99/max latency in milliseconds."""
        import numpy as np

        stats = {}
        for name, values in self.latencies.items():
            if not values:
                continue
            ms = np.asarray(values) * 1000.0
            row = {"count": len(values)}
            for p, value in zip(PERCENTILES, np.percentile(ms, PERCENTILES), strict=True):
                row[f"p{p}_ms"] = round(float(value), 3)
            row["max_ms"] = round(float(ms.max()), 3)
            stats[name] = row
        return stats

    def as_json(self) -> dict[str, Any]:
        return {
            "command": "bench",
            "target": self.target,
            "plan": self.plan.as_json(),
            "seconds": round(self.seconds, 4),
            "films_done": self.films_done,
            "films_failed": self.films_failed,
            "films_per_s": round(self.films_per_second, 3),
            "mb_per_s": round(self.megabytes_per_second, 3),
            "associations_opened": self.associations_opened,
            "operations": self.operation_stats(),
            "film_times_s": [[round(t, 4), k] for t, k in self.film_times],
            "failures": self.failures[:20],
        }


async def run_bench(profile: PrinterProfile, plan: BenchPlan, progress=None) -> BenchResult:
    """Drive the load and measure it; ``progress(done, failed, total)`` after each film."""
    from hcs.driver import PrinterDriver

    request = synthetic_request(plan)
    result = BenchResult(plan, {"host": profile.host, "port": profile.port, "ae": profile.ae_title})
    films = iter(range(plan.films))  # shared: each association takes the next film
    wanted = "printed" if plan.print_films else "not printed"
    if progress is not None:
        progress(0, 0, plan.films)
    start = time.perf_counter()

    async def association(k: int) -> None:
        driver = PrinterDriver(profile)
        try:
            for _ in films:
                outcome = await driver.print(request)
                for record in outcome.operations:
                    if record.seconds is not None:
                        name = operation_name(record.operation)
                        result.latencies.setdefault(name, []).append(record.seconds)
                film = outcome.films[0]
                if film.state == wanted:
                    result.films_done += 1
                    result.film_times.append((time.perf_counter() - start, k))
                else:
                    result.films_failed += 1
                    result.failures.append(film.reason or film.state)
                if progress is not None:
                    progress(result.films_done, result.films_failed, plan.films)
        finally:
            await driver.close()
            result.associations_opened += driver.associations_opened

    await asyncio.gather(*(association(k) for k in range(plan.associations)))
    result.seconds = time.perf_counter() - start
    return result


# -- the command line ----------------------------------------------------------------------


def add_parser(subparsers: Any, add_peer_arguments) -> argparse.ArgumentParser:
    """``hcs bench``; ``add_peer_arguments`` is the CLI's (host, port, AE titles, TLS)."""
    p = subparsers.add_parser(
        "bench",
        help="benchmark a print SCP with synthetic films (films/s, MB/s, latency per operation)",
        description="Print N films of synthetic images over K associations and measure "
        "films/s, MB/s and each DIMSE operation's latency. Asks before printing on a "
        "printer that is not a known test printer (--yes skips; --no-print never prints).",
    )
    add_peer_arguments(p, "PRINTER")
    p.add_argument("--films", type=positive_int, default=20, help="films to print (default 20)")
    p.add_argument(
        "--format",
        default="STANDARD\\1,1",
        help="Image Display Format (default STANDARD\\1,1; STANDARD, ROW or COL)",
    )
    p.add_argument(
        "--size", type=positive_int, default=512, help="box side in pixels (default 512)"
    )
    p.add_argument("--bits", type=int, choices=(8, 12), default=8, help="gray bits (default 8)")
    p.add_argument("--color", action="store_true", help="RGB boxes (Basic Color Print)")
    p.add_argument(
        "--associations",
        type=positive_int,
        default=1,
        help="associations at once (default 1)",
    )
    p.add_argument(
        "--no-print",
        action="store_true",
        help="create, fill and delete the film boxes, never N-ACTION (nothing is printed)",
    )
    p.add_argument("--yes", action="store_true", help="print without asking")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--html", metavar="FILE", help="write an HTML report (latency, films/time)")
    return p


def is_test_printer(attributes: dict[str, str]) -> bool:
    manufacturer = attributes.get("Manufacturer", "")
    model = attributes.get("ManufacturerModelName", "")
    return any(manufacturer == m and model.startswith(p) for m, p in TEST_PRINTERS)


def _printer_name(args: argparse.Namespace, attributes: dict[str, str]) -> str:
    who = " ".join(
        attributes[k] for k in ("Manufacturer", "ManufacturerModelName") if k in attributes
    )
    where = f"{args.called_ae} at {args.host}:{args.port}"
    return f"{where} ({who})" if who else where


def _may_print(args: argparse.Namespace, plan: BenchPlan, attributes: dict[str, str]) -> bool:
    """Whether we may print: a test printer, ``--yes``, or the user said yes."""
    if not plan.print_films or args.yes or is_test_printer(attributes):
        return True
    name = _printer_name(args, attributes)
    if not sys.stdin.isatty():
        print(
            f"hcs bench: {name} is not known as a test printer and real film costs money: "
            f"pass --yes to print {plan.films} film(s) on it, or --no-print",
            file=sys.stderr,
        )
        return False
    answer = input(
        f"Print {plan.films} film(s) of {plan.display_format} on {name}? "
        "It is not known as a test printer; real film costs money. [y/N] "
    )
    if answer.strip().lower() not in ("y", "yes"):
        print("hcs bench: nothing printed", file=sys.stderr)
        return False
    return True


class ProgressBar:
    """One line on a terminal, redrawn after each film; nothing when not a terminal."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = self.stream.isatty()
        self.start = time.perf_counter()

    def __call__(self, done: int, failed: int, total: int) -> None:
        if done + failed == 0:  # the run starts now (the images are made, imports done)
            self.start = time.perf_counter()
        if not self.enabled:
            return
        filled = int(self.width * (done + failed) / max(1, total))
        rate = done / max(1e-9, time.perf_counter() - self.start)
        tail = f", {failed} failed" if failed else ""
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done + failed}/{total} films, {rate:.1f} films/s{tail}")
        if done + failed >= total:
            self.stream.write("\n")
        self.stream.flush()


def _text_report(result: BenchResult) -> str:
    plan = result.plan
    what = "printed" if plan.print_films else "created and deleted (--no-print)"
    lines = [
        f"{result.films_done} of {plan.films} film(s) {what} on {result.target['ae']} at "
        f"{result.target['host']}:{result.target['port']} in {result.seconds:.2f} s over "
        f"{plan.associations} association(s)",
        f"{plan.display_format}, {plan.boxes} box(es) of {plan.size}x{plan.size} "
        f"{'RGB' if plan.color else f'{plan.bits}-bit gray'}, "
        f"{plan.bytes_per_film / 1e6:.2f} MB of pixels per film",
        f"films/s {result.films_per_second:.2f}   MB/s {result.megabytes_per_second:.1f}",
        "",
        f"{'operation':32} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}",
    ]
    for name, row in result.operation_stats().items():
        lines.append(
            f"{name:32} {row['count']:6d} {row['p50_ms']:9.2f} {row['p95_ms']:9.2f} "
            f"{row['p99_ms']:9.2f} {row['max_ms']:9.2f}"
        )
    if result.failures:
        lines += ["", f"{result.films_failed} film(s) failed; the first: {result.failures[0]}"]
    return "\n".join(lines)


def run(args: argparse.Namespace, peer) -> int:
    """Run ``hcs bench``; ``peer`` is the CLI's :class:`hcs.scu.Peer` for the arguments."""
    from hcs.driver import PrinterProfile
    from hcs.scu import printer_status

    try:
        plan = BenchPlan(
            films=args.films,
            display_format=args.format,
            size=args.size,
            bits=args.bits,
            color=args.color,
            associations=min(args.associations, args.films),
            print_films=not args.no_print,
        )
        plan.boxes  # noqa: B018 (a bad format fails here, before any association)
    except ValueError as error:
        print(f"hcs bench: {error}", file=sys.stderr)
        return EXIT_USAGE
    status = asyncio.run(printer_status(peer))  # who is it? (and is it there at all)
    if not _may_print(args, plan, status.attributes):
        return EXIT_USAGE
    profile = PrinterProfile(
        name=f"bench-{peer.called_ae_title}",
        host=peer.host,
        port=peer.port,
        ae_title=peer.called_ae_title,
        calling_ae_title=peer.calling_ae_title,
        max_pdu=peer.max_pdu_length,
        bits=12 if args.bits == 12 and not args.color else 8,
        color=args.color,
        print_job=False,  # a film ends with N-ACTION's answer: the SCP's path, not its queue
        retries=0,
        timeouts=peer.timeouts,
        tls=peer.tls,
    )
    result = asyncio.run(run_bench(profile, plan, None if args.json else ProgressBar()))
    result.target["printer"] = status.attributes
    if args.html:
        from hcs.bench_report import html_report

        Path(args.html).write_text(html_report(result), encoding="utf-8")
    if args.json:
        payload = result.as_json()
        payload["html"] = args.html
        print(json.dumps(payload))
    else:
        print(_text_report(result))
        if args.html:
            print(f"report: {args.html}")
    return EXIT_OK if result.films_failed == 0 else EXIT_PEER
