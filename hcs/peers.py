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
import re
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


# Where Debian's dcmtk puts DCMTK's emulations of real printers (REFERENCE.md 1.3).
DCMTK_PRINTERS_CFG = (Path("/etc/dcmtk/printers.cfg"), Path("/usr/share/dcmtk/printers.cfg"))
_ADDRESSING = ("aetitle", "hostname", "port", "type", "description")


def dcmtk_printer(name: str) -> list[str]:
    """The ``[NAME]`` section of DCMTK's printers.cfg (its ``key = value`` lines), without
    the addressing keys; :class:`PeerError` when Debian's dcmtk does not ship it."""
    for path in DCMTK_PRINTERS_CFG:
        if path.exists():
            break
    else:
        raise PeerError("DCMTK's printers.cfg is not installed (Debian's dcmtk ships it)")
    lines, current = [], None
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]") and not line.startswith("[["):
            current = line[1:-1]
            continue
        if current == name and line.split("=", 1)[0].strip().lower() not in _ADDRESSING:
            lines.append(line)
    if not lines:
        raise PeerError(f"{path} has no printer [{name}]")
    return lines


def write_dcmprscp_config(
    directory: Path,
    port: int,
    ae_title: str = "PRINTER",
    settings: dict[str, str] | None = None,
    emulate: str | None = None,
) -> Path:
    """The configuration file; ``settings`` replace printer keys (``{"ImplicitOnly":
    "true"}``), ``emulate`` takes the printer keys of one of DCMTK's emulated printers."""
    directory = directory.resolve()
    for sub in ("database", "spool", "log", "lut"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    text = DCMPRSCP_CONFIG.format(dir=directory, ae=ae_title, port=port)
    if emulate is not None:
        head, _ = text.split("Type = LOCALPRINTER\n", 1)
        text = head + "Type = LOCALPRINTER\n" + "\n".join(dcmtk_printer(emulate)) + "\n"
    for key, value in (settings or {}).items():
        line = f"{key} = {value}"
        text, count = re.subn(rf"(?mi)^{re.escape(key)}\s*=.*$", line.replace("\\", "\\\\"), text)
        if not count:
            text += line + "\n"
    config = directory / "dcmprscp.cfg"
    config.write_text(text)
    return config


@contextlib.contextmanager
def dcmprscp(
    directory: Path,
    ae_title: str = "PRINTER",
    settings: dict[str, str] | None = None,
    emulate: str | None = None,
    log: bool = False,
) -> Iterator[int]:
    """DCMTK's print SCP on a free loopback port; yields the port.

    It keeps every film it printed under ``directory/database`` (``SP_*.dcm`` Stored
    Print, ``HG_*.dcm`` Hardcopy Grayscale images). ``settings`` and ``emulate`` as in
    :func:`write_dcmprscp_config`. ``log``: it also writes every DIMSE message it
    received and sent, with its data set, to ``directory/spool/PrintSCP_*.log``.
    """
    binary = require("dcmprscp")
    port = free_port()
    config = write_dcmprscp_config(directory, port, ae_title, settings, emulate)
    command = [binary, "--config", str(config), "--printer", "PRINTER"]
    if log:
        command += ["--logfile", "--dump"]
    with running(command, port, cwd=directory.resolve()):
        yield port
