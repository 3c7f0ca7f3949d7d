"""The driver prints on DCMTK's dcmprscp, and what the printer stored is what we sent.

dcmprscp keeps each printed film as a Stored Print object (film box attributes, image
box positions) and each image box as a Hardcopy Grayscale Image: we read both back with
pydicom and compare attribute by attribute and pixel by pixel.
"""

import asyncio
from pathlib import Path

import numpy as np
import pydicom
import pytest

from hcs.driver import (
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    PrinterDriver,
    PrinterProfile,
    PrintRequest,
)
from hcs.job.terms import InvalidAttribute
from tests.peers import dcmprscp


def profile(port: int, **options) -> PrinterProfile:
    return PrinterProfile(
        name="dcmprscp", host="127.0.0.1", port=port, ae_title="PRINTER", **options
    )


def images(count: int, shape=(64, 48), bits: int = 8, seed: int = 0) -> list[ImageBoxSpec]:
    rng = np.random.default_rng(seed)
    dtype, top = (np.uint8, 256) if bits == 8 else (np.uint16, 4096)
    return [ImageBoxSpec(rng.integers(0, top, shape, dtype=dtype)) for _ in range(count)]


def stored_films(tmp_path: Path) -> list[tuple[pydicom.Dataset, list[tuple[int, np.ndarray]]]]:
    """Each Stored Print with its image boxes as (position, pixels), read back from disk."""
    database = tmp_path / "dcmprscp" / "database"
    hardcopy = {}
    for path in database.glob("HG_*.dcm"):
        ds = pydicom.dcmread(path)
        hardcopy[str(ds.SOPInstanceUID)] = ds
    films = []
    for path in sorted(database.glob("SP_*.dcm"), key=lambda p: p.stat().st_mtime_ns):
        sp = pydicom.dcmread(path)
        boxes = []
        for item in sp.ImageBoxContentSequence:
            uid = str(item.ReferencedImageSequence[0].ReferencedSOPInstanceUID)
            boxes.append((int(item.ImageBoxPosition), hardcopy[uid].pixel_array))
        films.append((sp, sorted(boxes, key=lambda b: b[0])))
    return films


def run(coroutine):
    return asyncio.run(coroutine)


async def print_and_close(driver: PrinterDriver, *requests: PrintRequest):
    outcomes = [await driver.print(request) for request in requests]
    await driver.close()
    return outcomes


@pytest.mark.parametrize(
    ("display_format", "count"), [("STANDARD\\1,1", 1), ("STANDARD\\2,2", 4), ("STANDARD\\4,5", 20)]
)
def test_grayscale_films_arrive_bit_for_bit(tmp_path, display_format, count):
    boxes = images(count, seed=count)
    box = FilmBoxSpec(
        display_format,
        film_size_id="14INX17IN",
        film_orientation="PORTRAIT",
        magnification_type="BILINEAR",
        border_density="BLACK",
        empty_image_density="WHITE",
        min_density=20,
        max_density=300,
        trim="NO",
    )
    request = PrintRequest(FilmSessionSpec(number_of_copies=1), [FilmSpec(box, boxes)])
    with dcmprscp(tmp_path) as port:
        [outcome] = run(print_and_close(PrinterDriver(profile(port)), request))
    assert outcome.printed, [r.description for r in outcome.operations]
    [(stored, stored_boxes)] = stored_films(tmp_path)
    content = stored.FilmBoxContentSequence[0]
    assert content.ImageDisplayFormat == display_format
    assert (content.FilmSizeID, content.FilmOrientation) == ("14INX17IN", "PORTRAIT")
    assert (content.MagnificationType, content.BorderDensity) == ("BILINEAR", "BLACK")
    assert (content.EmptyImageDensity, content.MinDensity, content.MaxDensity) == ("WHITE", 20, 300)
    assert content.Trim == "NO"
    assert [position for position, _ in stored_boxes] == list(range(1, count + 1))
    for (_, pixels), sent in zip(stored_boxes, boxes, strict=True):
        assert np.array_equal(pixels, sent.pixels)


def test_several_films_copies_priority_and_a_presentation_lut(tmp_path):
    session = FilmSessionSpec(
        number_of_copies=3,
        print_priority="HIGH",
        medium_type="BLUE FILM",
        film_destination="PROCESSOR",
        film_session_label="hcs test",
    )
    films = [FilmSpec(FilmBoxSpec("STANDARD\\1,2"), images(2, seed=i)) for i in range(3)]
    request = PrintRequest(session, films, presentation_lut_shape="LIN OD")
    with dcmprscp(tmp_path) as port:
        [outcome] = run(print_and_close(PrinterDriver(profile(port)), request))
    assert outcome.printed
    operations = [r.operation for r in outcome.operations]
    assert operations[:3] == ["N-GET Printer", "N-CREATE Presentation LUT", "N-CREATE Film Session"]
    assert operations.count("N-ACTION Film Box (print)") == 3
    stored = stored_films(tmp_path)
    assert len(stored) == 3
    for (sp, boxes), film in zip(stored, films, strict=True):
        assert sp.PresentationLUTContentSequence[0].PresentationLUTShape == "LIN OD"
        plut_uid = sp.PresentationLUTContentSequence[0].SOPInstanceUID
        content = sp.FilmBoxContentSequence[0]
        assert content.ReferencedPresentationLUTSequence[0].ReferencedSOPInstanceUID == plut_uid
        for (_, pixels), sent in zip(boxes, film.images, strict=True):
            assert np.array_equal(pixels, sent.pixels)


def test_twelve_bit_boxes_keep_all_twelve_bits(tmp_path):
    boxes = images(2, bits=12)
    request = PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\2,1"), boxes)])
    with dcmprscp(tmp_path) as port:
        [outcome] = run(print_and_close(PrinterDriver(profile(port, bits=12)), request))
    assert outcome.printed
    [(_, stored_boxes)] = stored_films(tmp_path)
    for (_, pixels), sent in zip(stored_boxes, boxes, strict=True):
        assert pixels.max() > 255 and np.array_equal(pixels, sent.pixels)


def test_a_printer_quirk_is_a_status_and_the_next_job_prints(tmp_path):
    """dcmprscp refuses Configuration Information it has no Configuration_n for (0105)."""
    refused = PrintRequest(
        FilmSessionSpec(),
        [
            FilmSpec(
                FilmBoxSpec("STANDARD\\1,1", configuration_information="PERCEPTION_LUT=KANAMORI"),
                images(1),
            )
        ],
    )
    good = PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\1,1"), images(1))])
    with dcmprscp(tmp_path) as port:
        first, second = run(print_and_close(PrinterDriver(profile(port)), refused, good))
    assert first.films[0].state == "failed"
    assert "N-CREATE Film Box: 0x0105 Failure" in first.films[0].reason
    assert second.printed


def test_an_invalid_value_is_refused_before_anything_is_sent(tmp_path):
    request = PrintRequest(
        FilmSessionSpec(medium_type="GREEN FILM"),
        [FilmSpec(FilmBoxSpec("STANDARD\\1,1"), images(1))],
    )
    with dcmprscp(tmp_path) as port:
        driver = PrinterDriver(profile(port))
        with pytest.raises(InvalidAttribute, match="MediumType"):
            run(driver.print(request))
    assert driver.associations_opened == 0


def test_the_association_is_reused_then_released_when_idle(tmp_path):
    from dul.net import Timeouts

    request = PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\1,1"), images(1))])

    async def scenario(port):
        driver = PrinterDriver(profile(port, timeouts=Timeouts(idle=0.5)))
        await driver.print(request)
        await driver.print(request)
        reused = driver.associations_opened
        await asyncio.sleep(1.0)
        released = not driver.has_open_association
        await driver.print(request)
        await driver.close()
        return reused, released, driver.associations_opened

    with dcmprscp(tmp_path) as port:
        reused, released, opened = run(scenario(port))
    assert (reused, released, opened) == (1, True, 2)


def test_eight_printers_print_at_once(tmp_path):
    from contextlib import ExitStack

    request = PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\2,1"), images(2))])

    async def all_at_once(ports):
        drivers = [PrinterDriver(profile(port)) for port in ports]
        outcomes = await asyncio.gather(*(d.print(request) for d in drivers))
        await asyncio.gather(*(d.close() for d in drivers))
        return outcomes

    with ExitStack() as stack:
        ports = [stack.enter_context(dcmprscp(tmp_path / f"p{i}")) for i in range(8)]
        outcomes = run(all_at_once(ports))
    assert all(o.printed for o in outcomes)
    for i in range(8):
        assert len(stored_films(tmp_path / f"p{i}")) == 1


def test_an_explicit_vr_only_printer_gets_the_same_pixels(tmp_path):
    boxes = images(2, seed=7)
    request = PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec("STANDARD\\2,1"), boxes)])
    with dcmprscp(tmp_path) as port:
        driver = PrinterDriver(profile(port, transfer_syntaxes=("explicit",)))
        [outcome] = run(print_and_close(driver, request))
    assert outcome.printed
    [(_, stored_boxes)] = stored_films(tmp_path)
    for (_, pixels), sent in zip(stored_boxes, boxes, strict=True):
        assert np.array_equal(pixels, sent.pixels)
