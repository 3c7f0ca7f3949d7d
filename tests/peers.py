"""Start real DICOM peers (DCMTK) and our own acceptor on loopback, for tests.

Every peer binds 127.0.0.1 on a free port and is stopped by the test that started it.
DCMTK must be installed (``make test`` installs Debian's ``dcmtk``); these tests never
skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import hcs.peers
from hcs.peers import free_port, require, running, wait_for_port

__all__ = ["free_port", "require", "running", "wait_for_port"]

REPO = Path(__file__).resolve().parent.parent
HCS = [sys.executable, "-m", "hcs.cli"]


@contextlib.contextmanager
def storescp(tmp_path: Path, ae_title: str = "STORESCP", *extra: str) -> Iterator[int]:
    port = free_port()
    command = [require("storescp"), "-aet", ae_title, "-od", str(tmp_path), *extra, str(port)]
    with running(command, port):
        yield port


@contextlib.contextmanager
def dcmprscp(
    tmp_path: Path,
    ae_title: str = "PRINTER",
    settings: dict[str, str] | None = None,
    emulate: str | None = None,
    log: bool = False,
) -> Iterator[int]:
    """DCMTK's print SCP (see :func:`hcs.peers.dcmprscp`); its files under tmp/dcmprscp.
    ``settings`` replace printer keys, ``emulate`` picks one of DCMTK's printers.cfg,
    ``log`` writes its DIMSE log (read by ``tests.hcs.dcmprscp_wire``)."""
    with hcs.peers.dcmprscp(tmp_path / "dcmprscp", ae_title, settings, emulate, log) as port:
        yield port


@contextlib.contextmanager
def dcmqrscp(tmp_path: Path, ae_title: str = "QRSCP") -> Iterator[int]:
    """DCMTK's query/retrieve SCP: it checks the called AE title, unlike storescp."""
    port = free_port()
    database = tmp_path / "qrdb"
    database.mkdir()
    config = tmp_path / "dcmqrscp.cfg"
    config.write_text(
        f"NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
        "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
        f"AETable BEGIN\n{ae_title} {database} RW (10, 1024mb) ANY\nAETable END\n"
    )
    with running([require("dcmqrscp"), "-c", str(config), str(port)], port):
        yield port


class BackgroundLoop:
    """An asyncio loop in a thread, for running our own acceptor beside a blocking test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def run_hcs(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*HCS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "HCS_DEBUG": "1"},
    )
