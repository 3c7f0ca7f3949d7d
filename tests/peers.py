"""Start real DICOM peers (DCMTK) and our own acceptor on loopback, for tests.

Every peer binds 127.0.0.1 on a free port and is stopped by the test that started it.
DCMTK must be installed (``make test`` installs Debian's ``dcmtk``); these tests never
skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO.parent / "shared" / "peers"
DCMPRSCP_START = PEERS / "dcmprscp" / "start.sh"
HCS = [sys.executable, "-m", "hcs.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"peer exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is not installed: `make test` installs Debian's dcmtk")
    return path


@contextlib.contextmanager
def running(command: list[str], port: int, cwd: Path | None = None) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@contextlib.contextmanager
def storescp(tmp_path: Path, ae_title: str = "STORESCP", *extra: str) -> Iterator[int]:
    port = free_port()
    command = [require("storescp"), "-aet", ae_title, "-od", str(tmp_path), *extra, str(port)]
    with running(command, port):
        yield port


def dcmprscp_config_dir(tmp_path: Path) -> Path:
    return tmp_path / "dcmprscp"


@contextlib.contextmanager
def dcmprscp(tmp_path: Path, ae_title: str = "PRINTER") -> Iterator[int]:
    """DCMTK's print SCP, configured by ``../shared/peers/dcmprscp/start.sh``."""
    require("dcmprscp")
    port = free_port()
    command = ["bash", str(DCMPRSCP_START), str(port), str(dcmprscp_config_dir(tmp_path)), ae_title]
    with running(command, port):
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
