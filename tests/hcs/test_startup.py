"""The import budget of the quick commands: ``hcs echo`` and ``hcs status`` start in a
tenth of a second only while they leave numpy, pydicom, Pillow and aiohttp alone.

Each case runs the command in a fresh interpreter (through ``hcs.cli.main``, as the
``hcs`` script does) and lists the heavy packages it loaded. No time is asserted: a
module list is repeatable, a stopwatch on a shared machine is not (the timings are in
``bench/startup_compare.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hcs.peers import free_port, running
from tests.peers import HCS, REPO, dcmprscp, storescp

HEAVY = ("numpy", "pydicom", "PIL", "aiohttp")

PROBE = """
import json, sys
from hcs.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
heavy = sorted({name.partition(".")[0] for name in sys.modules} & set(HEAVY))
print(json.dumps({"exit": code, "heavy": heavy}))
""".replace("HEAVY", repr(HEAVY))


def heavy_imports(*args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["exit"], result["heavy"]


@pytest.mark.parametrize(
    "args",
    [
        ("echo", "127.0.0.1", "PORT"),
        ("status", "127.0.0.1", "PORT"),
        ("echo", "127.0.0.1", "PORT", "--json"),
        ("--version",),
        ("--help",),
    ],
)
def test_quick_commands_on_a_closed_port_import_nothing_heavy(args):
    closed = str(free_port())
    code, heavy = heavy_imports(*(closed if a == "PORT" else a for a in args))
    assert code in (0, 3)
    assert heavy == [], f"hcs {' '.join(args)} imported {heavy}"


def test_a_real_echo_imports_nothing_heavy(tmp_path):
    with storescp(tmp_path) as port:
        code, heavy = heavy_imports("echo", "127.0.0.1", str(port))
    assert code == 0
    assert heavy == []


def test_a_real_status_reads_the_printer_without_pydicom(tmp_path):
    """The N-GET answer is read by dimse.flat, not pydicom; on DCMTK's printer and on
    ours, which answers every Printer attribute."""
    with dcmprscp(tmp_path) as port:
        code, heavy = heavy_imports("status", "127.0.0.1", str(port), "--called-ae", "PRINTER")
    assert code == 0
    assert heavy == []
    port = free_port()
    with running([*HCS, "vprinter", "--port", str(port), "--out", str(tmp_path / "vp")], port):
        code, heavy = heavy_imports("status", "127.0.0.1", str(port), "--called-ae", "VPRINTER")
        shown = subprocess.run(
            [*HCS, "status", "127.0.0.1", str(port), "--called-ae", "VPRINTER"],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
        )
    assert code == 0
    assert heavy == []
    assert "Manufacturer:" in shown.stdout and "hcs virtual printer" in shown.stdout


def test_the_probe_sees_heavy_imports_when_there_are_some():
    """The budget test can fail: with ``hcs.formatter`` imported first, it sees numpy."""
    done = subprocess.run(
        [sys.executable, "-c", "import hcs.formatter\n" + PROBE, "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "numpy" in result["heavy"]
