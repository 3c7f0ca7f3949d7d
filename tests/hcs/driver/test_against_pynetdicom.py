"""The driver on a print SCP written on pynetdicom's event handlers (another Upper Layer
and DIMSE implementation): a 2x2 grayscale film, a 1x2 colour film, ROW and COL formats
and an annotation arrive pixel for pixel."""

import asyncio

import numpy as np
import pytest

from dimse import uids
from dul.net import Timeouts
from hcs.driver import (
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    PrinterDriver,
    PrinterProfile,
    PrintRequest,
)
from tests.hcs.driver.pynetdicom_scp import PynetdicomPrintSCP


def profile(port: int, **options) -> PrinterProfile:
    options.setdefault("timeouts", Timeouts(connect=5, association=5, dimse=10, artim=5))
    return PrinterProfile(
        name="pynetdicom", host="127.0.0.1", port=port, ae_title="PYPRINTER", **options
    )


def images(count: int, color: bool = False, seed: int = 0, bits: int = 8) -> list[ImageBoxSpec]:
    rng = np.random.default_rng(seed)
    shape = (30, 24, 3) if color else (30, 24)
    dtype, top = (np.uint8, 256) if bits == 8 else (np.uint16, 4096)
    return [ImageBoxSpec(rng.integers(0, top, shape, dtype=dtype)) for _ in range(count)]


def print_films(scp: PynetdicomPrintSCP, *films: FilmSpec, color=False, plut=None, **options):
    async def go():
        driver = PrinterDriver(profile(scp.port, **options))
        request = PrintRequest(
            FilmSessionSpec(), list(films), color=color, presentation_lut_shape=plut
        )
        outcome = await driver.print(request)
        await driver.close()
        return outcome

    return asyncio.run(asyncio.wait_for(go(), 60))


@pytest.fixture(scope="module")
def scp():
    with PynetdicomPrintSCP() as printer:
        yield printer


def test_a_2x2_grayscale_film_arrives_pixel_for_pixel(scp):
    sent = images(4, seed=1)
    box = FilmBoxSpec("STANDARD\\2,2", film_size_id="14INX17IN")
    outcome = print_films(scp, FilmSpec(box, sent, annotations={1: "pynetdicom"}))
    assert outcome.printed, [r.description for r in outcome.operations]
    film = scp.films[-1]
    assert (film.display_format, film.color) == ("STANDARD\\2,2", False)
    assert film.attributes["FilmSizeID"] == "14INX17IN"
    assert sorted(film.boxes) == [1, 2, 3, 4]
    for position, image in enumerate(sent, start=1):
        np.testing.assert_array_equal(film.boxes[position], image.pixels)
    assert film.annotations == {1: "pynetdicom"}


def test_a_1x2_colour_film_arrives_pixel_for_pixel(scp):
    sent = images(2, color=True, seed=2)
    outcome = print_films(scp, FilmSpec(FilmBoxSpec("STANDARD\\1,2"), sent), color=True)
    assert outcome.printed, [r.description for r in outcome.operations]
    assert any(r.sop_class_uid == uids.BASIC_COLOR_IMAGE_BOX for r in outcome.operations)
    film = scp.films[-1]
    assert film.color and sorted(film.boxes) == [1, 2]
    for position, image in enumerate(sent, start=1):
        np.testing.assert_array_equal(film.boxes[position], image.pixels)


@pytest.mark.parametrize(("display_format", "count"), [("ROW\\1,2", 3), ("COL\\2,1", 3)])
def test_row_and_col_formats(scp, display_format, count):
    sent = images(count, seed=count)
    outcome = print_films(scp, FilmSpec(FilmBoxSpec(display_format), sent))
    assert outcome.printed, [r.description for r in outcome.operations]
    film = scp.films[-1]
    assert film.display_format == display_format and sorted(film.boxes) == [1, 2, 3]
    for position, image in enumerate(sent, start=1):
        np.testing.assert_array_equal(film.boxes[position], image.pixels)


def test_twelve_bits_with_a_presentation_lut(scp):
    sent = images(2, seed=6, bits=12)
    outcome = print_films(scp, FilmSpec(FilmBoxSpec("STANDARD\\2,1"), sent), plut="LIN OD", bits=12)
    assert outcome.printed, [r.description for r in outcome.operations]
    assert "N-CREATE Presentation LUT" in [r.operation for r in outcome.operations]
    for position, image in enumerate(sent, start=1):
        pixels = scp.films[-1].boxes[position]
        assert pixels.max() > 255
        np.testing.assert_array_equal(pixels, image.pixels)


def test_explicit_vr_when_the_profile_allows_it(scp):
    sent = images(1, seed=5)
    outcome = print_films(
        scp, FilmSpec(FilmBoxSpec("STANDARD\\1,1"), sent), transfer_syntaxes=("explicit",)
    )
    assert outcome.printed
    np.testing.assert_array_equal(scp.films[-1].boxes[1], sent[0].pixels)


def test_a_film_over_tls(tmp_path):
    """PS3.15 BCP 195 TLS under pynetdicom's own SCP: the profile's [tls] table."""
    import ssl

    from hcs.driver.profile import TLSSettings
    from tests.dul.tls_certs import make_certificates

    certs = make_certificates(tmp_path / "certs")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(str(certs.cert), str(certs.key))
    sent = images(4, seed=7)
    tls = TLSSettings(ca_file=str(certs.ca), server_hostname="localhost")
    with PynetdicomPrintSCP(ssl_context=server) as printer:
        outcome = print_films(printer, FilmSpec(FilmBoxSpec("STANDARD\\2,2"), sent), tls=tls)
        plain = print_films(printer, FilmSpec(FilmBoxSpec("STANDARD\\1,1"), sent[:1]), retries=0)
    assert outcome.printed, [r.description for r in outcome.operations]
    for position, image in enumerate(sent, start=1):
        np.testing.assert_array_equal(printer.films[-1].boxes[position], image.pixels)
    assert not plain.printed and len(printer.films) == 1
