"""A network soak: ``hcs vprinter`` under hostile peers while a normal print runs (issue 14).

Many connections at once send garbage, mutated A-ASSOCIATE-RQs, mutated command sets,
stay idle, dribble a PDU, or send a message larger than the printer takes; meanwhile a
normal print (our driver) runs every ~2 s. Every normal print must succeed, the
printer's file descriptors must come back to where they started, and its RSS must stay
under the stated bound: start + receive budget (16 MiB) + 96 MiB of slack for the
buffers around it (received chunks, PDUs, Python's own) during the run, and start +
48 MiB once the attackers are gone (the rest is given back).

Short in CI (~20 s of attack); ``HCS_SOAK_LONG=1`` runs 10 minutes (by hand). The
figures are printed (``pytest -s``) for the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest

from dimse import uids
from dul.net import Timeouts
from dul.pdu import frame_message
from hcs.driver import (
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    PrinterDriver,
    PrinterProfile,
    PrintRequest,
)
from tests.hcs.vprinter import rawcommand
from tests.hcs.vprinter.helpers import vprinter_process
from tests.hcs.vprinter.test_hostile_peers import GRAY, associate_rq_bytes

LONG = os.environ.get("HCS_SOAK_LONG") == "1"
DURATION = 600.0 if LONG else 20.0
ATTACKERS = 24  # connections at once
BUDGET = 16 * 1024 * 1024
SLACK = 96 * 1024 * 1024
RETAINED = 48 * 1024 * 1024  # what may stay once every hostile association has ended
pytestmark = pytest.mark.timeout(DURATION + 300)
PRINTER_OPTIONS = [
    "--idle-timeout",
    "1",
    "--pdu-read-timeout",
    "1",
    "--receive-budget-bytes",
    str(BUDGET),
    "--max-associations",
    "64",
    "--no-png",
    "--quiet",
]


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# ---------------------------------------------------------------- the attacks


async def _send_and_wait(port: int, data: bytes, wait: float = 5.0) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        await asyncio.wait_for(reader.read(), wait)
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()


async def _associated(port: int, contexts=(uids.VERIFICATION,)):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(associate_rq_bytes(contexts))
    await writer.drain()
    header = await reader.readexactly(6)
    await reader.readexactly(int.from_bytes(header[2:6], "big"))
    return reader, writer, header[0] == 0x02


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        position = rng.randrange(len(out))
        if choice < 0.6:
            out[position] = rng.randrange(256)
        elif choice < 0.8:
            del out[position : position + rng.randint(1, 8)]
        else:
            out[position:position] = rng.randbytes(rng.randint(1, 8))
    return bytes(out)


async def garbage(port, rng):
    await _send_and_wait(port, rng.randbytes(rng.randint(1, 4000)))


async def mutated_rq(port, rng):
    await _send_and_wait(port, _mutate(associate_rq_bytes((GRAY, uids.VERIFICATION)), rng))


async def mutated_command(port, rng):
    reader, writer, accepted = await _associated(port)
    try:
        if accepted:
            command = _mutate(rawcommand.c_echo_rq(1, uids.VERIFICATION), rng)
            pdus = frame_message(1, command, [], 65536)
            writer.write(b"".join(bytes(p) for p in pdus))
            await writer.drain()
            await asyncio.wait_for(reader.read(6), 5)
            writer.write(b"\x07\x00\x00\x00\x00\x04\x00\x00\x00\x00")  # A-ABORT
            await writer.drain()
    except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def idle(port, rng):
    reader, writer, _ = await _associated(port)
    try:
        await asyncio.wait_for(reader.read(), 30)  # until the printer's idle time-out
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()


async def slow(port, rng):
    reader, writer, _ = await _associated(port)
    try:
        writer.write(b"\x04\x00\x00\x00\x10\x00")  # a P-DATA-TF promising 4096 bytes
        for _ in range(4):
            writer.write(b"\x00")
            await writer.drain()
            await asyncio.sleep(0.2)
        await asyncio.wait_for(reader.read(), 30)  # until the PDU read time-out
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()


async def oversized(port, rng):
    reader, writer, accepted = await _associated(port, (GRAY,))
    command = rawcommand.command_set(
        {
            0x0003: (rawcommand.UI, uids.BASIC_GRAYSCALE_IMAGE_BOX),
            0x0100: (rawcommand.US, 0x0120),
            0x0110: (rawcommand.US, 1),
            0x0800: (rawcommand.US, 0x0000),
            0x1001: (rawcommand.UI, "1.2.3"),
        }
    )
    fragment = 65536 - 6
    chunk = b"\x04\x00" + (fragment + 6).to_bytes(4, "big")
    chunk += (fragment + 2).to_bytes(4, "big") + b"\x01\x00" + bytes(fragment)
    try:
        if accepted:
            writer.write(b"".join(bytes(p) for p in frame_message(1, command, [], 65536)))
            for _ in range(rng.randint(16, 512)):  # 1 to 32 MiB, never marked last
                writer.write(chunk)
                await writer.drain()
        await asyncio.wait_for(reader.read(), 10)
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()


ATTACKS = (garbage, mutated_rq, mutated_command, idle, slow, oversized)


# ----------------------------------------------------------------------- the run


def _job() -> PrintRequest:
    images = [ImageBoxSpec(np.full((64, 64), 40 * i, dtype=np.uint8)) for i in range(4)]
    return PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\2,2"), images)])


def _driver(port: int) -> PrinterDriver:
    return PrinterDriver(
        PrinterProfile(
            name="soak",
            host="127.0.0.1",
            port=port,
            ae_title="VPRINTER",
            timeouts=Timeouts(connect=10, association=10, dimse=20, artim=10),
            retries=0,
        )
    )


async def _print_once(port: int):
    driver = _driver(port)
    try:
        return await driver.print(_job())
    finally:
        await driver.close()


async def _soak(port: int, pid: int):
    stop = time.monotonic() + DURATION
    counts = dict.fromkeys((a.__name__ for a in ATTACKS), 0)
    peak = [rss(pid)]

    async def attacker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop:
            attack = rng.choice(ATTACKS)
            with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
                await asyncio.wait_for(attack(port, rng), 40)
            counts[attack.__name__] += 1

    async def printer_user() -> list:
        driver = _driver(port)
        outcomes = []
        while time.monotonic() < stop:
            outcomes.append(await driver.print(_job()))
            await driver.close()  # a new association each time, through the crowd
            peak.append(rss(pid))
            await asyncio.sleep(2)
        return outcomes

    *_, outcomes = await asyncio.gather(*(attacker(i) for i in range(ATTACKERS)), printer_user())
    return outcomes, counts, max(peak)


def test_soak_against_hcs_vprinter(tmp_path):
    with vprinter_process(*PRINTER_OPTIONS, log=tmp_path / "vprinter.log") as (process, port):
        time.sleep(0.5)
        fds_before = fds(process.pid)
        warm_up = asyncio.run(_print_once(port))  # imports and caches a first print loads
        assert warm_up.printed, warm_up.events
        rss_before = rss(process.pid)
        outcomes, counts, rss_peak = asyncio.run(_soak(port, process.pid))
        deadline = time.monotonic() + 30
        while fds(process.pid) != fds_before and time.monotonic() < deadline:
            time.sleep(0.2)  # the last attackers' connections are being closed
        time.sleep(1.5)  # the printer gives freed memory back 0.5 s after the last one
        fds_after, rss_after = fds(process.pid), rss(process.pid)
    failed = [o.films[0].reason for o in outcomes if not o.printed]
    print(
        f"\nsoak {DURATION:g} s: {sum(counts.values())} hostile connections {counts};"
        f" {len(outcomes)} prints, {len(failed)} failed;"
        f" fds {fds_before} -> {fds_after};"
        f" RSS {rss_before >> 20} MiB -> peak {rss_peak >> 20} MiB -> {rss_after >> 20} MiB"
    )
    assert outcomes and not failed, failed
    assert fds_after == fds_before
    assert rss_peak <= rss_before + BUDGET + SLACK, (rss_before, rss_peak)
    assert rss_after <= rss_before + RETAINED, (rss_before, rss_after)
