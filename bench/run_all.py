"""``make bench``: every side-by-side comparison, one after the other, in this process's
Python. Pass ``--quick`` for a short run (a smoke check, not figures to quote).

Each script prints its own medians and ratios; see bench/README.md for what each one
measures and what it is compared with.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "startup_compare.py",
    "scp_bench_compare.py",
    "dul_compare.py",
    "print_compare.py",
    "film_cpu.py",
    "formatter_compare.py",
    "fastpath_compare.py",
    "spool_compare.py",
    "live_latency.py",
)


def main(argv: list[str]) -> int:
    quick = ["--quick"] if "--quick" in argv else []
    failed = []
    for script in SCRIPTS:
        print(f"\n=== bench/{script} {' '.join(quick)}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / script), *quick], cwd=HERE.parent)
        if done.returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
