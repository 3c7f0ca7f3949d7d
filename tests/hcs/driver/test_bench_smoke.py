"""bench/print_compare.py and bench/film_cpu.py keep working: their quick runs print every row."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_print_compare_quick_runs():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "print_compare.py"), "--quick", "--only-hcs"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    for row in ("4-up 14INX17IN", "4x5 14INX17IN", "DIMSE only", "end to end"):
        assert row in done.stdout


def test_film_cpu_runs():
    """bench/film_cpu.py prints CPU ms per film for both films (one film each here)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "film_cpu.py"), "--films", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    for row in ("4x5 film", "1x1 film", "ms CPU"):
        assert row in done.stdout
