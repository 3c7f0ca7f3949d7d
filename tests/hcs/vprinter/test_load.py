"""Load: many associations printing at once, nothing lost, memory bounded.

CI mode: 4 associations x 5 films. ``HCS_LOAD_FULL=1``: 16 associations and 200 films
(run by hand; the figures are printed, never asserted: tests do not assert on time).
The printer runs as its own process (``hcs vprinter``), the SCUs are our own asyncio
stack in this one, so the two share the machine's two cores the way a real deployment
would share them with its modality.
"""

import asyncio
import os
import threading
import time
from pathlib import Path

import numpy as np

from dimse import uids
from tests.hcs.vprinter.helpers import Scu, read_json, vprinter_process

FULL = os.environ.get("HCS_LOAD_FULL") == "1"
ASSOCIATIONS, FILMS = (16, 200) if FULL else (4, 20)
IMAGE = (256, 256)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """The printer's resident memory, sampled every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.running = pid, [], True

    def run(self) -> None:
        while self.running:
            self.samples.append(rss_kib(self.pid))
            time.sleep(0.05)


async def one_association(port: int, index: int, films: int, statuses: list) -> None:
    client = await Scu.open(port, calling_ae=f"LOAD{index:02d}", timeout=60)
    try:
        session = await client.film_session(FilmSessionLabel=f"LOAD {index}")
        for film in range(films):
            film_box, boxes, _, _ = await client.film_box(session, "STANDARD\\2,2")
            for position, box in enumerate(boxes, 1):
                pixels = np.full(IMAGE, (index * 16 + film * 4 + position) % 256, np.uint8)
                statuses.append((await client.set_image(box, position, pixels)).status)
            statuses.append((await client.print_film(film_box))[0].status)
            statuses.append((await client.n_delete(uids.BASIC_FILM_BOX, film_box))[0].status)
    finally:
        await client.release()


async def drive(port: int) -> list[int]:
    shares = [
        FILMS // ASSOCIATIONS + (1 if i < FILMS % ASSOCIATIONS else 0) for i in range(ASSOCIATIONS)
    ]
    statuses: list[int] = []
    await asyncio.gather(*(one_association(port, i, n, statuses) for i, n in enumerate(shares)))
    return statuses


def test_many_associations_print_at_once_and_nothing_is_lost(tmp_path):
    out = tmp_path / "out"
    with vprinter_process("--out", str(out), "--quiet", log=tmp_path / "log") as (process, port):
        sampler = RssSampler(process.pid)
        sampler.start()
        idle = rss_kib(process.pid)
        started = time.monotonic()
        statuses = asyncio.run(drive(port))
        sent = time.monotonic()
        films = out / "films"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(films.glob("*.json"))) < FILMS:
            time.sleep(0.05)
        done = time.monotonic()
        associations = sorted((out / "associations").glob("*.json"))
        while time.monotonic() < deadline and len(associations) < ASSOCIATIONS:
            time.sleep(0.05)
            associations = sorted((out / "associations").glob("*.json"))
        sampler.running = False
        sampler.join()
    assert set(statuses) == {0}, sorted(set(statuses))
    assert len(statuses) == FILMS * 6
    pngs, records = sorted(films.glob("*.png")), sorted(films.glob("*.json"))
    assert len(pngs) == len(records) == FILMS
    assert {p.stem for p in pngs} == {r.stem for r in records}
    total = 0
    for path in associations:
        record = read_json(path)
        assert record["end"] == "released", record["end"]
        assert all((films / f"{film}.png").exists() for film in record["films"])
        total += len(record["films"])
    assert total == FILMS and len(associations) == ASSOCIATIONS
    peak = max(sampler.samples)
    assert peak < 600 * 1024, f"the printer grew to {peak // 1024} MiB"
    figures = (
        f"\nvprinter load: {ASSOCIATIONS} associations, {FILMS} films of 4 x {IMAGE[0]}x{IMAGE[1]}"
        f" images: {FILMS / (done - started):.1f} films/s end to end"
        f" (SCUs done after {sent - started:.2f} s, last film written after"
        f" {done - started:.2f} s);"
        f" printer RSS {idle // 1024} MiB idle, {peak // 1024} MiB peak"
    )
    print(figures)
    (tmp_path / "figures.txt").write_text(figures)
