"""Cold start of ``hcs echo`` and ``hcs status`` against DCMTK's ``echoscu``, in one run.

An appliance engineer runs ``hcs echo`` from scripts and health checks, where start-up is
all of its cost; DCMTK's ``echoscu`` (C++, no interpreter) is the anchor. Each sample is
one process, from spawn to exit, with its peak RSS (``wait4``'s ``ru_maxrss``); the
commands are interleaved round by round so that a noisy neighbour hurts all of them alike,
and the medians are printed with the ratio to ``echoscu``.

Rows: a closed port (the start-up alone: the connection is refused at once), a real C-ECHO
on DCMTK's ``storescp`` (start-up plus one association), and the floors: ``python -c pass``
and ``import hcs.cli``. The interpreter's byte-code cache is written first, as
``pip install`` does, and ``PYTHONDONTWRITEBYTECODE`` is removed from the children's
environment (with it, every start would compile every module).

    .venv/bin/python bench/startup_compare.py            # 15 rounds
    .venv/bin/python bench/startup_compare.py --quick    # 3 rounds, a smoke check
    .venv/bin/python bench/startup_compare.py --json     # one JSON object
    .venv/bin/python bench/startup_compare.py --instructions   # + valgrind instruction counts

On a shared machine the wall clock follows the neighbours' load (``python -c pass`` takes
0.03 s alone and 0.11 s at load 8); ``--instructions`` also counts each command's
instructions once under valgrind (callgrind), which does not move with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hcs.peers import free_port, require, running  # noqa: E402


def _hcs() -> list[str]:
    """The installed ``hcs`` script beside this Python, as a user runs it."""
    script = Path(sys.executable).with_name("hcs")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hcs"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["TCP_NODELAY"] = "1"
    return env


def sample(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds from spawn to exit, peak RSS in MiB) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, _, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = 0  # reaped above; keep Popen from waiting again
    return elapsed, usage.ru_maxrss / 1024


def instructions(command: list[str], env: dict[str, str]) -> int | None:
    """Instructions executed by one run of ``command`` (callgrind), or None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env=env,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None


def measure(rounds: int, count_instructions: bool = False) -> dict[str, dict[str, float]]:
    env = _environment()
    hcs = _hcs()
    closed = free_port()  # nothing listens there: the connection is refused at once
    echoscu = require("echoscu")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        storescp = [require("storescp"), "-od", tmp, str(port)]
        os.environ["TCP_NODELAY"] = "1"  # DCMTK's switch: answer at once, no Nagle delay
        with running(storescp, port):
            rows = {
                "python -c pass": [sys.executable, "-c", "pass"],
                "python -c 'import hcs.cli'": [sys.executable, "-c", "import hcs.cli"],
                "hcs echo (closed port)": [*hcs, "echo", "127.0.0.1", str(closed)],
                "hcs status (closed port)": [*hcs, "status", "127.0.0.1", str(closed)],
                "echoscu (closed port)": [echoscu, "127.0.0.1", str(closed)],
                "hcs echo (storescp)": [*hcs, "echo", "127.0.0.1", str(port)],
                "echoscu (storescp)": [echoscu, "127.0.0.1", str(port)],
            }
            for command in rows.values():  # warm the page cache and write byte code
                sample(command, env)
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
            for _ in range(rounds):
                for name, command in rows.items():
                    samples[name].append(sample(command, env))
            counted = {
                name: instructions(command, env) if count_instructions else None
                for name, command in rows.items()
            }
    results: dict[str, dict[str, float]] = {}
    for name, values in samples.items():
        results[name] = {
            "seconds": statistics.median(s for s, _ in values),
            "rss_mib": statistics.median(r for _, r in values),
        }
        if counted[name] is not None:
            results[name]["instructions"] = counted[name]
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--instructions", action="store_true", help="count with valgrind too")
    args = parser.parse_args(argv)
    if shutil.which("echoscu") is None:
        print("startup_compare: DCMTK's echoscu is needed (make dcmtk)", file=sys.stderr)
        return 2
    results = measure(3 if args.quick else args.rounds, args.instructions)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'command':30} {'median s':>9} {'RSS MiB':>8} {'Minstr':>7}  vs echoscu")
    for name, row in results.items():
        anchor = results.get(
            "echoscu (storescp)" if "storescp" in name else "echoscu (closed port)"
        )
        ratio = ""
        if anchor and name.startswith("hcs"):
            ratio = (
                f"x{row['seconds'] / anchor['seconds']:.1f} time, "
                f"x{row['rss_mib'] / anchor['rss_mib']:.1f} RSS"
            )
            if "instructions" in row and "instructions" in anchor:
                ratio += f", x{row['instructions'] / anchor['instructions']:.1f} instructions"
        count = f"{row['instructions'] / 1e6:7.0f}" if "instructions" in row else f"{'-':>7}"
        print(f"{name:30} {row['seconds']:9.3f} {row['rss_mib']:8.1f} {count}  {ratio}")
    print("targets (issue 13): hcs echo <= 0.15 s and <= 35 MiB on a closed port")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
