"""Shared pieces of the server tests: sample images, virtual printers, a configuration
file, and a server started in the test's own event loop (or as a process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from hcs.peers import free_port, wait_for_port
from hcs.server import config as configuration
from hcs.server.app import Server
from hcs.vprinter import load_config, parse_fault, start_virtual_printer

REPO = Path(__file__).resolve().parents[3]
CT = Path(get_testdata_file("CT_small.dcm"))  # bundled with pydicom: 128 x 128, 16-bit
MR = Path(get_testdata_file("MR_small.dcm"))  # 64 x 64


def make_dicom(path: Path, rows: int = 32, columns: int = 32, seed: int = 0) -> Path:
    """A small secondary-capture image, for jobs that only need 'some image'."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    rng = np.random.default_rng(seed)
    ds.PixelData = rng.integers(0, 256, (rows, columns), dtype=np.uint8).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def printer_table(port: int, ae: str = "VPRINTER", **extra) -> dict:
    table = {
        "host": "127.0.0.1",
        "port": port,
        "ae_title": ae,
        "resolution_dpi": 30,
        "retries": 1,
        "retry_backoff": 0.1,
    }
    table.update(extra)
    return table


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def write_config(
    path: Path,
    printers: dict[str, dict],
    server: dict | None = None,
    groups: dict[str, list[str]] | None = None,
    timeouts: dict | None = None,
    spool: dict | None = None,
) -> Path:
    lines = ['calling_ae = "HCS_TEST"', "[timeouts]"]
    for key, value in {"connect": 5, "dimse": 30, "idle_release": 5, **(timeouts or {})}.items():
        lines.append(f"{key} = {toml_value(value)}")
    lines.append("[server]")
    settings = {
        "listen": "127.0.0.1:0",
        "spool": str(path.parent / "spool"),
        "status_poll": 0,
        "hold_retry": 0.5,
        **(server or {}),
    }
    for key, value in settings.items():
        lines.append(f"{key} = {toml_value(value)}")
    if spool:
        lines.append("[spool]")
        for key, value in spool.items():
            lines.append(f"{key} = {toml_value(value)}")
    if groups:
        lines.append("[groups]")
        for name, members in groups.items():
            lines.append(f"{name} = {toml_value(members)}")
    for name, table in printers.items():
        lines.append(f"[printers.{name}]")
        for key, value in table.items():
            lines.append(f"{key} = {toml_value(value)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@contextlib.asynccontextmanager
async def virtual_printer(out: Path, faults: tuple[str, ...] = (), **overrides) -> AsyncIterator:
    """A virtual printer on a free loopback port writing films to ``out``; ``faults`` as
    ``hcs vprinter --fault`` takes them."""
    config = load_config(
        overrides={"port": 0, "host": "127.0.0.1", "out": str(out), "png_dpi": 20, **overrides}
    )
    config.faults += [parse_fault(text) for text in faults]
    printer = await start_virtual_printer(config)
    try:
        yield printer
    finally:
        await printer.stop()


@contextlib.asynccontextmanager
async def running_server(config_path: Path) -> AsyncIterator[Server]:
    server = Server(configuration.load(config_path), config_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(5.0)


def printed_films(out: Path) -> list[dict]:
    """The virtual printer's film records (``films/*.json``), oldest first."""
    records = [json.loads(p.read_text()) for p in (out / "films").glob("*.json")]
    return sorted(records, key=lambda r: r["film_id"])


def labels_printed(out: Path) -> list[str]:
    return [r["film_session_attributes"].get("FilmSessionLabel") for r in printed_films(out)]


@contextlib.contextmanager
def server_process(
    config_path: Path, log: Path | None = None
) -> Iterator[tuple[subprocess.Popen, int]]:
    """``hcs serve`` as a separate process (for kill -9); yields (process, port)."""
    port = free_port()
    text = config_path.read_text().replace('listen = "127.0.0.1:0"', f'listen = "127.0.0.1:{port}"')
    config_path.write_text(text)
    process = start_server_process(config_path, log)
    try:
        wait_for_port(port, process, 30)
        yield process, port
    finally:
        stop_process(process)


@contextlib.asynccontextmanager
async def server_group(
    root: Path,
    printers: dict[str, dict],
    instances: int,
    spool: dict | None = None,
    groups: dict[str, list[str]] | None = None,
) -> AsyncIterator[list[str]]:
    """``instances`` ``hcs serve`` processes, each in ``root/iK`` with its own port and
    spool folder, on the same printers (and one ``[spool]`` table: a PostgreSQL group,
    instance ``iK``, or None for SQLite); yields their URLs and stops them all after."""
    processes: list[subprocess.Popen] = []
    urls = []
    try:
        for k in range(instances):
            folder = root / f"i{k}"
            folder.mkdir(parents=True)
            port = free_port()
            config = write_config(
                folder / "hcs.toml",
                printers,
                server={"listen": f"127.0.0.1:{port}", "spool": str(folder / "spool")},
                groups=groups,
                spool={**spool, "instance": f"i{k}"} if spool else None,
            )
            process = start_server_process(config, folder / "server.log")
            processes.append(process)
            await asyncio.to_thread(wait_for_port, port, process, 60)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for process in processes:
            await asyncio.to_thread(stop_process, process)


def start_server_process(config_path: Path, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "hcs.cli", "serve", "--config", str(config_path)],
        stdout=out,
        stderr=out,
        cwd=REPO,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


async def wait_jobs(client, ids, timeout: float = 120.0, states=("done", "failed", "cancelled")):
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        jobs = {j["id"]: j for j in await client.jobs(limit=5000)}
        if all(jobs[i]["state"] in states for i in ids):
            return [await client.job(i) for i in ids]
        if time.monotonic() > deadline:
            raise AssertionError(
                "jobs not finished: "
                + ", ".join(
                    f"{i}={jobs[i]['state']}" for i in ids if jobs[i]["state"] not in states
                )
            )
        await asyncio.sleep(0.1)


def read_png(data_or_path) -> np.ndarray:
    import io

    from PIL import Image

    if isinstance(data_or_path, bytes):
        data_or_path = io.BytesIO(data_or_path)
    return np.asarray(Image.open(data_or_path))


__all__ = ["CT", "MR", "pydicom"]
