"""Helpers for the virtual printer's tests: start it, talk to it, build image boxes.

The SCU here is our own Upper Layer and DIMSE stack driven by hand, one message at a
time, so a test can send exactly the request a rule is about (including wrong ones).
pynetdicom and DCMTK, the independent SCUs, have their own test modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from dimse import messages as m
from dimse import uids
from dimse.client import DimseConnection
from dul.items import PresentationContextRQ
from dul.net import Timeouts, connect
from hcs.vprinter import load_config, parse_fault, start_virtual_printer
from hcs.vprinter.faults import ABSTRACT_SYNTAX_ALIASES

REPO = Path(__file__).resolve().parents[3]
HCS = [sys.executable, "-m", "hcs.cli"]
IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN
EXPLICIT = uids.EXPLICIT_VR_LITTLE_ENDIAN
GRAY = uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
COLOR = uids.BASIC_COLOR_PRINT_MANAGEMENT_META


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is not installed: `make test` installs Debian's dcmtk")
    return path


def make_config(tmp_path: Path | None = None, faults: Sequence[str] = (), **overrides: Any):
    """A printer configuration on a free loopback port; ``film__sizes=[...]`` style keys
    reach sections (``film.sizes``)."""
    values = {"port": 0, "host": "127.0.0.1", "out": str(tmp_path) if tmp_path else None}
    values.update({k.replace("__", "."): v for k, v in overrides.items()})
    config = load_config(overrides=values)
    config.faults = [parse_fault(text) for text in faults]
    return config


@contextlib.asynccontextmanager
async def running_printer(tmp_path: Path | None = None, faults: Sequence[str] = (), **overrides):
    """The virtual printer in this event loop, stopped at the end."""
    printer = await start_virtual_printer(make_config(tmp_path, faults, **overrides))
    try:
        yield printer
    finally:
        await printer.stop()


def run(coroutine):
    """Run one test scenario in a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coroutine, 60))


class BackgroundPrinter:
    """The virtual printer on an event loop in a thread, for blocking SCUs (pynetdicom)."""

    def __init__(self, tmp_path: Path | None = None, faults: Sequence[str] = (), **overrides):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        config = make_config(tmp_path, faults, **overrides)
        self.printer = self.call(start_virtual_printer(config))
        self.port = self.printer.port

    def call(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def wait_idle(self, timeout: float = 30) -> None:
        self.call(self.printer.wait_idle(timeout), timeout + 5)

    def close(self) -> None:
        try:
            self.call(self.printer.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@contextlib.contextmanager
def background_printer(tmp_path: Path | None = None, faults: Sequence[str] = (), **overrides):
    printer = BackgroundPrinter(tmp_path, faults, **overrides)
    try:
        yield printer
    finally:
        printer.close()


# ---------------------------------------------------------------------------- our SCU


class Scu:
    """A print SCU made of our own ``dul`` and ``dimse``, one request at a time."""

    def __init__(self, dimse: DimseConnection):
        self.dimse = dimse
        self.events: list[m.NEventReportRQ] = []

    @classmethod
    async def open(
        cls,
        port: int,
        contexts: Sequence[str] = ("grayscale",),
        *,
        transfer_syntaxes: Sequence[str] = (EXPLICIT, IMPLICIT),
        called_ae: str = "VPRINTER",
        calling_ae: str = "TEST_SCU",
        max_pdu: int = 65536,
        timeout: float = 10,
    ) -> Scu:
        proposed = [
            PresentationContextRQ(
                2 * i + 1, ABSTRACT_SYNTAX_ALIASES.get(name, name), tuple(transfer_syntaxes)
            )
            for i, name in enumerate(contexts)
        ]
        upper = await connect(
            "127.0.0.1",
            port,
            called_ae_title=called_ae,
            calling_ae_title=calling_ae,
            contexts=proposed,
            max_pdu_length=max_pdu,
            timeouts=Timeouts(connect=timeout, association=timeout, dimse=timeout, artim=timeout),
        )
        events: list[m.NEventReportRQ] = []

        async def on_request(context_id, request):
            events.append(request)
            return request.respond(0)

        client = cls(DimseConnection(upper, on_request=on_request))
        client.events = events
        return client

    @property
    def contexts(self):
        return self.dimse.contexts

    def context(self, name: str) -> int:
        return self.dimse.context_for(ABSTRACT_SYNTAX_ALIASES.get(name, name))

    def transfer_syntax(self, context_id: int) -> str:
        return self.dimse.contexts[context_id].transfer_syntax

    async def send(self, context: str, request: m.Request) -> tuple[m.Response, Dataset | None]:
        context_id = self.context(context)
        response = await self.dimse.request(context_id, request)
        return response, response.decode_dataset(self.transfer_syntax(context_id))

    def _id(self) -> int:
        return self.dimse.next_message_id()

    async def n_create(self, sop_class, dataset=None, *, context="grayscale", instance=None):
        return await self.send(
            context,
            m.NCreateRQ(self._id(), sop_class, affected_sop_instance_uid=instance, dataset=dataset),
        )

    async def n_set(self, sop_class, instance, dataset, *, context="grayscale"):
        return await self.send(context, m.NSetRQ(self._id(), sop_class, instance, dataset))

    async def n_get(self, sop_class, instance, *, context="grayscale", attributes=None):
        return await self.send(
            context,
            m.NGetRQ(self._id(), sop_class, instance, attribute_identifier_list=attributes),
        )

    async def n_action(self, sop_class, instance, action=1, *, context="grayscale"):
        return await self.send(context, m.NActionRQ(self._id(), sop_class, instance, action))

    async def n_delete(self, sop_class, instance, *, context="grayscale"):
        return await self.send(context, m.NDeleteRQ(self._id(), sop_class, instance))

    # ------------------------------------------------------------- print steps
    async def film_session(self, context="grayscale", **attributes) -> str:
        response, _ = await self.n_create(
            uids.BASIC_FILM_SESSION, dataset_of(**attributes), context=context
        )
        assert response.status in (0, 0xB600), hex(response.status)
        return response.affected_sop_instance_uid

    async def film_box(
        self, session: str, display_format="STANDARD\\1,1", context="grayscale", **attributes
    ):
        """Create a film box: (uid, image box references, annotation references, data set)."""
        dataset = film_box_dataset(session, display_format, **attributes)
        response, out = await self.n_create(uids.BASIC_FILM_BOX, dataset, context=context)
        assert response.status == 0, (hex(response.status), response.error_comment)
        boxes = [
            (i.ReferencedSOPClassUID, i.ReferencedSOPInstanceUID)
            for i in out.ReferencedImageBoxSequence
        ]
        annotations = [
            i.ReferencedSOPInstanceUID for i in out.get("ReferencedBasicAnnotationBoxSequence", [])
        ]
        return response.affected_sop_instance_uid, boxes, annotations, out

    async def set_image(self, box, position, pixels, context="grayscale", **extra):
        sop_class, uid = box
        color = sop_class == uids.BASIC_COLOR_IMAGE_BOX
        dataset = image_box_dataset(position, pixels, color=color, **extra)
        response, _ = await self.n_set(sop_class, uid, dataset, context=context)
        return response

    async def print_film(self, film_box: str, context="grayscale"):
        return await self.n_action(uids.BASIC_FILM_BOX, film_box, context=context)

    async def release(self) -> None:
        await self.dimse.release()

    def abort(self) -> None:
        self.dimse.abort()


@contextlib.asynccontextmanager
async def scu(port: int, contexts: Sequence[str] = ("grayscale",), **kwargs) -> AsyncIterator[Scu]:
    client = await Scu.open(port, contexts, **kwargs)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.release()


# ------------------------------------------------------------------ data sets


def dataset_of(**attributes) -> Dataset:
    dataset = Dataset()
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    return dataset


def reference(sop_class: str, instance: str) -> Dataset:
    return dataset_of(ReferencedSOPClassUID=sop_class, ReferencedSOPInstanceUID=instance)


def film_box_dataset(session: str | None, display_format="STANDARD\\1,1", **attributes) -> Dataset:
    dataset = dataset_of(**attributes)
    if display_format is not None:
        dataset.ImageDisplayFormat = display_format
    if session is not None:
        dataset.ReferencedFilmSessionSequence = [reference(uids.BASIC_FILM_SESSION, session)]
    return dataset


def image_item(
    pixels: np.ndarray, *, color: bool = False, bits_stored: int | None = None, **overrides
) -> Dataset:
    """A Basic Grayscale/Color Image Sequence item for ``pixels`` (uint8 or uint16 gray,
    or rows x columns x 3 uint8 RGB, sent colour-by-plane as Table C.13-5 requires)."""
    item = Dataset()
    rows, columns = pixels.shape[:2]
    item.Rows, item.Columns = rows, columns
    item.PixelRepresentation = 0
    if color:
        item.SamplesPerPixel = 3
        item.PhotometricInterpretation = "RGB"
        item.PlanarConfiguration = 1
        item.BitsAllocated, item.BitsStored, item.HighBit = 8, 8, 7
        item.PixelData = np.ascontiguousarray(pixels.transpose(2, 0, 1)).tobytes()
    else:
        item.SamplesPerPixel = 1
        item.PhotometricInterpretation = "MONOCHROME2"
        if pixels.dtype == np.uint16:
            stored = bits_stored or 12
            item.BitsAllocated, item.BitsStored, item.HighBit = 16, stored, stored - 1
        else:
            item.BitsAllocated, item.BitsStored, item.HighBit = 8, 8, 7
        item.PixelData = pixels.tobytes()
    for keyword, value in overrides.items():
        if value is None:
            delattr(item, keyword)
        else:
            setattr(item, keyword, value)
    return item


def image_box_dataset(
    position: int,
    pixels: np.ndarray,
    *,
    color: bool = False,
    item: dict | None = None,
    **attributes,
) -> Dataset:
    dataset = dataset_of(**attributes)
    dataset.ImageBoxPosition = position
    sequence = [image_item(pixels, color=color, **(item or {}))]
    if color:
        dataset.BasicColorImageSequence = sequence
    else:
        dataset.BasicGrayscaleImageSequence = sequence
    return dataset


def gray(value: int, size: tuple[int, int] = (32, 32)) -> np.ndarray:
    return np.full(size, value, dtype=np.uint8)


async def print_one(
    client: Scu, values: Sequence[int], display_format: str, **film_attributes
) -> str:
    """Session, film box, one flat gray image per box (value per box), print; returns the
    film box UID."""
    session = await client.film_session()
    film_box, boxes, _, _ = await client.film_box(session, display_format, **film_attributes)
    for position, (box, value) in enumerate(zip(boxes, values, strict=False), 1):
        response = await client.set_image(box, position, gray(value))
        assert response.status == 0, hex(response.status)
    response, _ = await client.print_film(film_box)
    assert response.status == 0, hex(response.status)
    return film_box


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


# --------------------------------------------------------------------- subprocess


@contextlib.contextmanager
def vprinter_process(
    *args: str, log: Path | None = None, timeout: float = 20
) -> Iterator[tuple[subprocess.Popen, int]]:
    """``hcs vprinter --port 0 ...`` as a subprocess; yields it and the port it printed.

    Its log goes to ``log`` (a file, so a busy printer never blocks on a full pipe)."""
    log_file = open(log, "w") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [*HCS, "vprinter", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        start_new_session=True,
        env={**os.environ, "HCS_DEBUG": "1"},
    )
    try:
        line = process.stdout.readline()
        if "listening on" not in line:
            process.kill()
            raise RuntimeError(f"vprinter did not start: {line!r}")
        port = int(line.split("listening on ")[1].split(",")[0].rsplit(":", 1)[1])
        yield process, port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if log is not None:
            log_file.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_hcs(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*HCS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "HCS_DEBUG": "1"},
    )
