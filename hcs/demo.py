"""``make demo`` / ``hcs demo``: the whole hardcopy server on loopback, end to end.

It starts hcs's virtual printer and DCMTK's ``dcmprscp`` (a real printer's protocol,
written by other people), checks the DCMTK printer with ``hcs echo`` and ``hcs status``,
starts the hardcopy server with both printers configured, submits a job of pydicom's
bundled test images through the HTTP API as ``hcs submit`` does, waits for it with a
progress bar per film, prints where the films are (the virtual printer's PNGs) and the
console's URL, prints the same images on the DCMTK printer, and stops everything.

Everything it makes stays in a new folder (``HCS_DEMO_OUT`` names another).
``HCS_DEMO_KEEP=SECONDS`` keeps the server up that long at the end, to look at the
console in a browser.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hcs.peers import dcmprscp

# How a step runs an ``hcs`` command: the CLI hands its own ``main`` in, so this module
# needs nothing from the CLI (which imports it) and the two do not import each other.
RunCommand = Callable[[list[str]], int]


def _step(run: RunCommand, title: str, argv: list[str]) -> int:
    print(f"\n$ hcs {' '.join(argv)}    # {title}", flush=True)
    code = run(argv)
    print(f"(exit {code})", flush=True)
    return code


def sample_images() -> list[Path]:
    """pydicom's bundled test images (no download): a CT and an MR slice."""
    from pydicom.data import get_testdata_file

    return [Path(get_testdata_file(name)) for name in ("CT_small.dcm", "MR_small.dcm")]


def _config(path: Path, vprinter_port: int, dcmtk_port: int) -> Path:
    path.write_text(f"""\
calling_ae = "HCS_DEMO"
[timeouts]
connect = 5
dimse = 30
idle_release = 10
[server]
listen = "127.0.0.1:0"
spool = "{path.parent / "spool"}"
status_poll = 5
[groups]
any = ["virtual", "dcmtk"]
[printers.virtual]
host = "127.0.0.1"
port = {vprinter_port}
ae_title = "VPRINTER"
resolution_dpi = 100
[printers.dcmtk]
host = "127.0.0.1"
port = {dcmtk_port}
ae_title = "PRINTER"
resolution_dpi = 100
""")
    return path


async def _serve_and_print(tmp: Path, dcmtk_port: int) -> int:
    from hcs.client import Client
    from hcs.server import config as configuration
    from hcs.server.app import Server
    from hcs.server.cli import wait_for
    from hcs.vprinter import load_config, start_virtual_printer

    films = tmp / "virtual-printer"
    printer = await start_virtual_printer(
        load_config(overrides={"port": 0, "host": "127.0.0.1", "out": str(films)})
    )
    print(
        f"\nhcs virtual printer (AE VPRINTER) listens on 127.0.0.1:{printer.port}, "
        f"films go to {films / 'films'}"
    )
    path = _config(tmp / "hcs.toml", printer.port, dcmtk_port)
    server = Server(configuration.load(path), path)
    failures = 0
    try:
        await server.start()
        print(f"hcs serve: listening on {server.url}; the configuration is {path}")
        images = sample_images()
        async with Client(server.url) as client:
            for p in (await client.printers())["printers"]:
                print(f"  printer {p['name']:<8} {p['ae_title']:<9} {p['host']}:{p['port']}")
            job = {
                "printer": "virtual",
                "format": "STANDARD\\2,1",
                "label": "hcs demo",
                "priority": "HIGH",
                "medium": "BLUE FILM",
            }
            print(
                f"\n$ hcs submit {' '.join(i.name for i in images * 2)} --printer virtual "
                "--format 'STANDARD\\2,1' --priority HIGH --wait   # 4 images, 2 films"
            )
            created = await client.submit(job, images * 2)
            final = await wait_for(client, created["id"], out=sys.stdout)
            failures += final["state"] != "done"
            print("\nsubmitted the same images to the DCMTK printer (dcmprscp):")
            created = await client.submit(
                {**job, "printer": "dcmtk", "label": "hcs demo 2"}, images
            )
            final = await wait_for(client, created["id"], out=sys.stdout)
            failures += final["state"] != "done"
            await printer.wait_idle()
        pngs = sorted((films / "films").glob("*.png"))
        print("\nfilms printed by the virtual printer:")
        for png in pngs:
            print(f"  {png}")
        print(f"previews kept by the server: {server.config.server.spool / 'jobs'}")
        print(
            f"console: {server.url}/   (metrics: {server.url}/metrics, "
            f"API: {server.url}/openapi.json)"
        )
        keep = float(os.environ.get("HCS_DEMO_KEEP", "0") or 0)
        if keep > 0:
            print(f"keeping the server up for {keep:g} s (HCS_DEMO_KEEP)", flush=True)
            await asyncio.sleep(keep)
    finally:
        await server.stop(10.0)
        await printer.stop()
    return failures


def main(run: RunCommand) -> int:
    """Run the demo; ``run`` is ``hcs.cli.main`` (``hcs demo``)."""
    tmp = os.environ.get("HCS_DEMO_OUT") or tempfile.mkdtemp(prefix="hcs-demo-")
    Path(tmp).mkdir(parents=True, exist_ok=True)
    with dcmprscp(Path(tmp) / "dcmprscp") as port:
        print(f"DCMTK dcmprscp (AE PRINTER) listens on 127.0.0.1:{port}")
        host = ["127.0.0.1", str(port), "--called-ae", "PRINTER"]
        failures = 0
        failures += _step(run, "is the printer there? (C-ECHO)", ["echo", *host]) != 0
        failures += _step(run, "what state is it in? (Printer N-GET)", ["status", *host]) != 0
        failures += asyncio.run(_serve_and_print(Path(tmp), port))
        stored = sorted((Path(tmp) / "dcmprscp" / "database").glob("SP_*.dcm"))
        print(f"dcmprscp stored {len(stored)} film(s) as Stored Print objects")
    outcome = f"{failures} step(s) failed" if failures else "all steps OK"
    print(f"\ndemo finished: {outcome}; everything it made is in {tmp}")
    return 1 if failures else 0
