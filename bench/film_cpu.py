"""CPU time of the print SCU per film, association included (issue 13's two CPU rows).

Each film is one whole job on a new association: connect, A-ASSOCIATE, N-GET Printer,
N-CREATE Film Session, N-CREATE Film Box, one N-SET per Image Box, N-ACTION, N-DELETE
Film Box, N-DELETE Film Session, A-RELEASE. The peer is ``bench/print_sink.py`` in its
own process, so this process's CPU time (``getrusage``: user + system, all threads)
is the SCU's alone, the kernel's socket work on our side included.

    .venv/bin/python bench/film_cpu.py [--quick] [--films N] [--only 4x5|1x1] [--profile]

Two films, the pixels already formatted (the formatter is measured elsewhere):

* ``4x5``: STANDARD\\4,5 with twenty 512x512 8-bit boxes (5 MiB);
* ``1x1``: STANDARD\\1,1 with one 2048x2048 8-bit box (4 MiB).

Prints the median and quartiles of CPU ms per film and the load average, because on a
shared machine another process's work shows up as cache misses and frequency changes in
ours. ``--profile`` adds a cProfile listing of where the CPU went (it slows the run).
For a figure that the load does not move, count instructions under callgrind: the
difference between ``--films N`` and ``--films 0`` (warm-up only), divided by N::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python \
        bench/film_cpu.py --only 4x5 --films 10
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.print_compare import Sink, make_images, request_for  # noqa: E402
from bench.print_compare import profile as sink_profile  # noqa: E402
from hcs.driver import PrinterDriver, PrinterProfile, PrintRequest  # noqa: E402

FILMS = {
    "4x5": ("STANDARD\\4,5", 20, 512),
    "1x1": ("STANDARD\\1,1", 1, 2048),
}
TARGET_MS = {"4x5": 4.0, "1x1": 2.0}


def film_request(name: str) -> PrintRequest:
    """The film ``name`` of :data:`FILMS`, built the way print_compare builds its films."""
    display_format, count, size = FILMS[name]
    return request_for(display_format, make_images(count, (size, size)))


async def one_film(profile: PrinterProfile, request: PrintRequest) -> None:
    driver = PrinterDriver(profile)
    outcome = await driver.print(request)
    await driver.close()  # A-RELEASE: the association is part of the film's cost
    assert outcome.printed, outcome.as_json()


async def cpu_per_film(
    profile: PrinterProfile, request: PrintRequest, films: int, profiler: cProfile.Profile | None
) -> list[tuple[float, float]]:
    """(user, system) CPU seconds of each film."""
    for _ in range(3):  # warm up: imports, caches, the sink's first association
        await one_film(profile, request)
    times = []
    for _ in range(films):
        if profiler is not None:
            profiler.enable()
        before = resource.getrusage(resource.RUSAGE_SELF)
        await one_film(profile, request)
        after = resource.getrusage(resource.RUSAGE_SELF)
        times.append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
        if profiler is not None:
            profiler.disable()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few films (smoke run)")
    parser.add_argument("--films", type=int, help="films per kind (default 60, quick 5)")
    parser.add_argument("--only", choices=sorted(FILMS), action="append")
    parser.add_argument("--max-pdu", type=int, default=65536)
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumtime)")
    parser.add_argument("--lines", type=int, default=25, help="cProfile lines to print")
    args = parser.parse_args(argv)
    films = args.films if args.films is not None else (5 if args.quick else 60)
    sink = Sink(args.max_pdu)
    try:
        profile = sink_profile(sink.port, args.max_pdu)
        print(
            f"CPU of the SCU per film, association included; max PDU {args.max_pdu}; "
            f"{films} films each; load average {os.getloadavg()[0]:.2f} at the start"
        )
        for name in args.only or sorted(FILMS, reverse=True):
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            times = asyncio.run(cpu_per_film(profile, film_request(name), films, profiler))
            if not times:
                continue
            ms = sorted((user + system) * 1e3 for user, system in times)
            q1, median, q3 = statistics.quantiles(ms, n=4) if len(ms) > 1 else (ms[0], ms[0], ms[0])
            user = statistics.median(t[0] for t in times) * 1e3
            system = statistics.median(t[1] for t in times) * 1e3
            verdict = "met" if median <= TARGET_MS[name] else "not met"
            print(
                f"{name} film ({FILMS[name][1]} x {FILMS[name][2]}²): median {median:6.2f} ms CPU "
                f"(quartiles {q1:.2f}-{q3:.2f}; user {user:.2f}, system {system:.2f}); "
                f"target <= {TARGET_MS[name]:g} ms: {verdict}"
            )
            if profiler is not None:
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(args.lines)
                print(text.getvalue())
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
