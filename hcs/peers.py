"""Start DCMTK's peers on loopback: used by ``make demo`` and by the tests.

DCMTK's ``dcmprscp`` is a real Basic Grayscale Print Management SCP written by other
people; we use it to prove that what we send is what a printer takes. It needs a
configuration file describing the printer, which :func:`write_dcmprscp_config` writes
(the same settings as ``../shared/peers/dcmprscp/start.sh``, so the repository does not
depend on anything outside it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

DCMPRSCP_CONFIG = """\
[[GENERAL]]
[APPLICATION]
LogDirectory = {dir}/log
LogFile = general.log
LogLevel = INFO
MessagePort = 0
[PRINT]
Spooler = dcmprscu
Server = dcmprscp
Directory = {dir}/spool
DetailedLog = true
BinaryLog = false
Sleep = 1
DeletePrintJobs = true
AlwaysDeleteTerminateJobs = true
[DATABASE]
Directory = {dir}/database
[LUT]
Directory = {dir}/lut
[[COMMUNICATION]]
[PRINTER]
Aetitle = {ae}
Description = dcmprscp on loopback
Hostname = localhost
Port = {port}
Type = LOCALPRINTER
BorderDensity = 150\\20\\BLACK\\WHITE
DisableNewVRs = false
DisplayFormat = 1,1\\1,2\\2,1\\2,2\\2,3\\3,2\\3,3\\3,4\\3,5\\4,4\\4,5\\5,4\\5,5
EmptyImageDensity = 20\\BLACK\\WHITE
FilmDestination = MAGAZINE\\PROCESSOR\\BIN_1\\BIN_2
FilmSizeID = 8INX10IN\\10INX12IN\\10INX14IN\\11INX14IN\\14INX14IN\\14INX17IN\\24CMX24CM\\24CMX30CM
ImplicitOnly = false
MagnificationType = REPLICATE\\BILINEAR\\CUBIC\\NONE
MaxDensity = 320
MaxPDU = 32768
MediumType = PAPER\\CLEAR FILM\\BLUE FILM
MinDensity = 20
OmitSOPClassUIDFromCreateResponse = false
PresentationLUTMatchRequired = false
PresentationLUTinFilmSession = false
ResolutionID = STANDARD\\HIGH
SmoothingType = NONE
Supports12Bit = true
SupportsDecimateCrop = true
SupportsImageSize = true
SupportsPresentationLUT = true
SupportsTrim = true
"""


class PeerError(RuntimeError):
    """A peer could not be started."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise PeerError(f"{tool} is not installed: install Debian's dcmtk (make test does)")
    return path


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise PeerError(f"the peer exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise PeerError(f"nothing listens on port {port} after {timeout} s")


@contextlib.contextmanager
def running(command: list[str], port: int, cwd: Path | None = None) -> Iterator[subprocess.Popen]:
    """Run ``command`` in its own process group until the block ends, then stop it."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def write_dcmprscp_config(directory: Path, port: int, ae_title: str = "PRINTER") -> Path:
    directory = directory.resolve()
    for sub in ("database", "spool", "log", "lut"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    config = directory / "dcmprscp.cfg"
    config.write_text(DCMPRSCP_CONFIG.format(dir=directory, ae=ae_title, port=port))
    return config


@contextlib.contextmanager
def dcmprscp(directory: Path, ae_title: str = "PRINTER") -> Iterator[int]:
    """DCMTK's print SCP on a free loopback port; yields the port.

    It keeps every film it printed under ``directory/database`` (``SP_*.dcm`` Stored
    Print, ``HG_*.dcm`` Hardcopy Grayscale images).
    """
    binary = require("dcmprscp")
    port = free_port()
    config = write_dcmprscp_config(directory, port, ae_title)
    command = [binary, "--config", str(config), "--printer", "PRINTER"]
    with running(command, port, cwd=directory.resolve()):
        yield port
