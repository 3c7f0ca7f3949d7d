"""``make demo`` / ``hcs demo``: the main job on loopback, end to end.

Today it starts DCMTK's print SCP (a real printer's protocol, written by other people)
on a free loopback port and runs ``hcs echo`` and ``hcs status`` against it, printing
what each command prints. It grows as the print path lands.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hcs import cli
from hcs.peers import dcmprscp


def _step(title: str, argv: list[str]) -> int:
    print(f"\n$ hcs {' '.join(argv)}    # {title}", flush=True)
    code = cli.main(argv)
    print(f"(exit {code})", flush=True)
    return code


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hcs-demo-") as tmp, dcmprscp(Path(tmp)) as port:
        print(f"DCMTK dcmprscp (AE PRINTER) listens on 127.0.0.1:{port}")
        host = ["127.0.0.1", str(port), "--called-ae", "PRINTER"]
        failures = 0
        failures += _step("is the printer there? (C-ECHO)", ["echo", *host]) != 0
        failures += _step("what state is it in? (Printer N-GET)", ["status", *host]) != 0
        failures += _step("the same, for a program", ["status", *host, "--json"]) != 0
    outcome = f"{failures} step(s) failed" if failures else "all steps OK"
    print(f"\ndemo finished: {outcome}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
