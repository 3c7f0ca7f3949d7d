"""Print films with hcs and with pynetdicom, side by side, to the same sink SCP.

Two films, as the driver issue asks: one 4-up 14INX17IN film (four 2560x3072 boxes,
30 MiB of pixels) and one 20-image STANDARD\\4,5 film (1120x1088 boxes). Each library
sends the same DIMSE sequence (N-GET Printer, N-CREATE Film Session, N-CREATE Film Box,
N-SET each Image Box, N-ACTION, N-DELETE Film Box, N-DELETE Film Session) with the same
pixels on an open association, to ``bench/print_sink.py`` running in its own process.
Then films per second with two printers (two sinks) at once against one.

    .venv/bin/python bench/print_compare.py [--quick] [--only-hcs]

Prints medians (seconds per film) and the ratio pynetdicom / hcs. Then the same 4-up
film end to end from DICOM files (four 2048x2500 12-bit CT images, formatted for a
366 dpi printer so the boxes are about 2560x3072): hcs formats and prints it, against
pynetdicom sending the already formatted pixels. Last, films per second end to end with
two printers at once (each with its own one-thread formatter) against one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dimse import uids  # noqa: E402
from hcs.driver import (  # noqa: E402
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    PrinterDriver,
    PrinterProfile,
    PrintRequest,
)
from hcs.driver.imagebox import dataset_with_pydicom  # noqa: E402
from hcs.formatter.request import build_print_request  # noqa: E402

FILMS = {
    "4-up 14INX17IN (4 x 2560x3072)": ("STANDARD\\2,2", 4, (3072, 2560)),
    "4x5 14INX17IN (20 x 1120x1088)": ("STANDARD\\4,5", 20, (1088, 1120)),
}


class Sink:
    def __init__(self, max_pdu: int):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "print_sink.py"), "--max-pdu", str(max_pdu)],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def make_images(count: int, shape: tuple[int, int]) -> list[np.ndarray]:
    rng = np.random.default_rng(count)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(count)]


def request_for(display_format: str, images: list[np.ndarray]) -> PrintRequest:
    return PrintRequest(
        FilmSessionSpec(number_of_copies=1, print_priority="MED", medium_type="BLUE FILM"),
        [
            FilmSpec(
                FilmBoxSpec(display_format, film_size_id="14INX17IN"),
                [ImageBoxSpec(pixels) for pixels in images],
            )
        ],
    )


def profile(port: int, max_pdu: int) -> PrinterProfile:
    return PrinterProfile(
        name="sink",
        host="127.0.0.1",
        port=port,
        ae_title="SINK",
        max_pdu=max_pdu,
        presentation_lut=False,
        annotation=False,
        print_job=False,
    )


async def hcs_films(port: int, request: PrintRequest, repeat: int, max_pdu: int) -> list[float]:
    driver = PrinterDriver(profile(port, max_pdu))
    await driver.print(request)  # open the association, warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        outcome = await driver.print(request)
        times.append(time.perf_counter() - start)
        assert outcome.printed, outcome.as_json()
    await driver.close()
    return times


def pynetdicom_films(
    port: int, display_format: str, images: list[np.ndarray], repeat: int, max_pdu: int
) -> list[float]:
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid
    from pynetdicom import AE

    ae = AE(ae_title="PYNETDICOM")
    ae.maximum_pdu_size = max_pdu
    ae.add_requested_context(
        uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META,
        [uids.EXPLICIT_VR_LITTLE_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN],
    )
    assoc = ae.associate("127.0.0.1", port, ae_title="SINK")
    assert assoc.is_established
    meta = uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
    boxes = [
        dataset_with_pydicom(ImageBoxSpec(p), i + 1, color=False, bits=8, optional={})
        for i, p in enumerate(images)
    ]

    def one_film() -> None:
        status, _ = assoc.send_n_get([], uids.PRINTER, uids.PRINTER_INSTANCE, meta_uid=meta)
        session = Dataset()
        session.NumberOfCopies, session.PrintPriority, session.MediumType = 1, "MED", "BLUE FILM"
        # pynetdicom does not hand back an SCP-assigned UID: it proposes its own.
        session_uid = generate_uid()
        status, _ = assoc.send_n_create(
            session, uids.BASIC_FILM_SESSION, session_uid, meta_uid=meta
        )
        box = Dataset()
        box.ImageDisplayFormat, box.FilmSizeID = display_format, "14INX17IN"
        reference = Dataset()
        reference.ReferencedSOPClassUID = uids.BASIC_FILM_SESSION
        reference.ReferencedSOPInstanceUID = session_uid
        box.ReferencedFilmSessionSequence = [reference]
        film_uid = generate_uid()
        status, answer = assoc.send_n_create(box, uids.BASIC_FILM_BOX, film_uid, meta_uid=meta)
        for item, dataset in zip(answer.ReferencedImageBoxSequence, boxes, strict=False):
            status, _ = assoc.send_n_set(
                dataset, item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID, meta_uid=meta
            )
            assert status.Status == 0
        status, _ = assoc.send_n_action(None, 1, uids.BASIC_FILM_BOX, film_uid, meta_uid=meta)
        assert status.Status == 0
        assoc.send_n_delete(uids.BASIC_FILM_BOX, film_uid, meta_uid=meta)
        assoc.send_n_delete(uids.BASIC_FILM_SESSION, session_uid, meta_uid=meta)

    one_film()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        one_film()
        times.append(time.perf_counter() - start)
    assoc.release()
    return times


async def films_per_second(
    ports: list[int], request: PrintRequest, films: int, max_pdu: int
) -> float:
    drivers = [PrinterDriver(profile(port, max_pdu)) for port in ports]
    await asyncio.gather(*(d.print(request) for d in drivers))
    start = time.perf_counter()

    async def run(driver):
        for _ in range(films):
            await driver.print(request)

    await asyncio.gather(*(run(d) for d in drivers))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(d.close() for d in drivers))
    return len(drivers) * films / elapsed


def write_ct_files(directory: Path, count: int = 4) -> list[Path]:
    """Synthetic 12-bit CT images, 2048x2500, as a modality would send them."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    paths = []
    rng = np.random.default_rng(5)
    for i in range(count):
        ds = pydicom.Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", generate_uid()
        ds.Modality, ds.PatientName, ds.PatientID = "CT", "Bench^Patient", "BENCH"
        ds.Rows, ds.Columns = 2500, 2048
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ramp = np.add.outer(np.arange(2500), np.arange(2048)) % 4096
        pixels = (ramp + rng.integers(0, 64, (2500, 2048))).clip(0, 4095).astype(np.uint16)
        ds.PixelData = pixels.tobytes()
        path = directory / f"ct{i}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def end_to_end(
    sinks: list[Sink], files: list[Path], repeat: int, max_pdu: int, films: int, only_hcs: bool
) -> None:
    from hcs.formatter import Formatter
    from hcs.formatter.request import JobOptions, build_print_request_async, settings_for

    options = JobOptions(display_format="STANDARD\\2,2", film_size="14INX17IN")

    def printer(port: int) -> PrinterProfile:
        return PrinterProfile(
            name="sink",
            host="127.0.0.1",
            port=port,
            ae_title="SINK",
            max_pdu=max_pdu,
            presentation_lut=False,
            annotation=False,
            print_job=False,
            printer_configuration=False,
            resolution_dpi=366.0,
        )

    async def one_printer_films(port: int, count: int, workers: int) -> list[float]:
        profile_ = printer(port)
        with Formatter(settings_for(profile_, options), workers=workers) as formatter:
            driver = PrinterDriver(profile_)
            times = []
            for _ in range(count + 1):
                start = time.perf_counter()
                request, _ = await build_print_request_async(
                    options, files, profile_, formatter=formatter
                )
                outcome = await driver.print(request)
                times.append(time.perf_counter() - start)
                assert outcome.printed
            await driver.close()
        return times[1:]  # the first film opened the association and warmed the pool

    ours = statistics.median(asyncio.run(one_printer_films(sinks[0].port, repeat, 2)))
    line = f"{'4-up from DICOM files, end to end':34} {ours:9.4f}"
    if not only_hcs:
        profile_ = printer(sinks[0].port)
        request, _ = build_print_request(options, files, profile_)
        pixels = [image.pixels for image in request.films[0].images]
        shape = pixels[0].shape
        theirs = statistics.median(
            pynetdicom_films(sinks[0].port, "STANDARD\\2,2", pixels, repeat, max_pdu)
        )
        line += f" {theirs:11.4f} {theirs / ours:6.1f}x   (boxes {shape[1]}x{shape[0]})"
    print(line)

    async def both(count: int) -> float:
        start = time.perf_counter()
        await asyncio.gather(*(one_printer_films(s.port, count, 1) for s in sinks))
        return 2 * (count + 1) / (time.perf_counter() - start)

    async def single(count: int) -> float:
        start = time.perf_counter()
        await one_printer_films(sinks[0].port, count, 1)
        return (count + 1) / (time.perf_counter() - start)

    one, one_cpu = with_cpu(sinks, lambda: asyncio.run(single(films)))
    two, two_cpu = with_cpu(sinks, lambda: asyncio.run(both(films)))
    print(
        f"films/s end to end (one formatting thread per printer): one printer {one:.2f}, "
        f"two printers {two:.2f} ({two / one:.2f}x)"
    )
    # What bounds the ratio: two printers can at best keep both cores busy, so they reach
    # at most 2 cores / (CPU per film), against one printer's 1 / (wall time per film).
    # The CPU per film counts every process: ours (formatting threads, the event loop,
    # the kernel's socket work) and the sinks'.
    for label, rate, (ours, sink_cpu) in (
        ("one printer", one, one_cpu),
        ("two printers", two, two_cpu),
    ):
        count = (films + 1) * (1 if label == "one printer" else 2)
        print(
            f"  {label}: CPU per film hcs {ours / count * 1e3:.0f} ms + sinks "
            f"{sink_cpu / count * 1e3:.0f} ms, wall per film {1e3 / rate:.0f} ms"
        )
    cpu_per_film = sum(one_cpu) / (films + 1)
    print(
        f"  two printers on {os.cpu_count()} cores can reach at most "
        f"{os.cpu_count() / cpu_per_film / one:.2f}x one printer (load average "
        f"{os.getloadavg()[0]:.2f}: with other work on the cores the ratio measures the "
        "scheduler too)"
    )


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of another process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_cpu(sinks: list[Sink], run):
    """``run()``'s result, and the CPU seconds it took here and in the sinks."""
    before = time.process_time(), [_process_cpu(s.process.pid) for s in sinks]
    result = run()
    ours = time.process_time() - before[0]
    theirs = sum(_process_cpu(s.process.pid) - b for s, b in zip(sinks, before[1], strict=True))
    return result, (ours, theirs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only-hcs", action="store_true")
    parser.add_argument("--max-pdu", type=int, default=65536)
    args = parser.parse_args()
    repeat = 2 if args.quick else 7
    sinks = [Sink(args.max_pdu), Sink(args.max_pdu)]
    try:
        print(
            f"max PDU {args.max_pdu}; medians of {repeat}, seconds per film on an open association"
        )
        print(f"{'film':34} {'hcs':>9} {'pynetdicom':>11} {'ratio':>7}")
        for name, (display_format, count, shape) in FILMS.items():
            images = make_images(count, shape)
            request = request_for(display_format, images)
            ours = statistics.median(
                asyncio.run(hcs_films(sinks[0].port, request, repeat, args.max_pdu))
            )
            if args.only_hcs:
                print(f"{name:34} {ours:9.4f}")
                continue
            theirs = statistics.median(
                pynetdicom_films(sinks[0].port, display_format, images, repeat, args.max_pdu)
            )
            print(f"{name:34} {ours:9.4f} {theirs:11.4f} {theirs / ours:6.1f}x")
        display_format, count, shape = FILMS["4x5 14INX17IN (20 x 1120x1088)"]
        request = request_for(display_format, make_images(count, shape))
        films = 2 if args.quick else 8
        one = asyncio.run(films_per_second([sinks[0].port], request, films, args.max_pdu))
        two = asyncio.run(films_per_second([s.port for s in sinks], request, films, args.max_pdu))
        print(
            f"films/s, 4x5 film, DIMSE only: one printer {one:.2f}, two printers {two:.2f} "
            f"({two / one:.2f}x)"
        )
        with tempfile.TemporaryDirectory() as directory:
            files = write_ct_files(Path(directory))
            end_to_end(sinks, files, repeat, args.max_pdu, films, args.only_hcs)
    finally:
        for sink in sinks:
            sink.stop()


if __name__ == "__main__":
    main()
