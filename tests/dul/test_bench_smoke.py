"""bench/dul_compare.py still runs: hcs alone, few repetitions, real peers (DCMTK storescp
and the sink acceptor). Times are printed, never asserted."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "dul_compare.py"


def test_dul_compare_quick_only_hcs_prints_its_three_rows() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--only-hcs"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {
        "association set-up + release": r"association set-up \+ release +\d+\.\d+ ms",
        "C-ECHO": r"\d+ C-ECHO on one association +\d+\.\d+ ms",
        "N-SET 16 MiB": r"N-SET 16 MiB, max PDU 16384, hcs sink +\d+\.\d+ ms +\d+\.\d+ GB/s",
    }
    for name, pattern in rows.items():
        assert re.search(pattern, done.stdout), f"no {name} row in:\n{done.stdout}"
    assert "faster" not in done.stdout  # no pynetdicom, so no ratio
