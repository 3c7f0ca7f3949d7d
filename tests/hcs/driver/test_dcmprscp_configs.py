"""The driver on DCMTK's dcmprscp started with its own printer configurations.

dcmprscp's printer keys (REFERENCE.md 1.3) are the field's vocabulary for printer quirks;
its printers.cfg emulates real printers (AGFA Drystar 3000, Kodak 8700/9410, Merge APS,
AYCAN, IHE full and restricted). A job prints on each with default settings, or with the
one profile switch the first attempt's error named, and the Stored Print and Hardcopy
Grayscale objects dcmprscp kept hold what we sent, pixel for pixel.
"""

import asyncio

import pytest

from dul.net import Timeouts
from hcs.driver import FilmBoxSpec, FilmSessionSpec, FilmSpec, PrinterDriver, PrintRequest
from tests.hcs.driver.test_against_dcmprscp import images, profile, stored_films
from tests.peers import dcmprscp

FAST = Timeouts(connect=5, association=5, dimse=10, artim=5)


def print_once(port, request, **options):
    async def go():
        driver = PrinterDriver(profile(port, timeouts=FAST, retries=0, **options))
        outcome = await driver.print(request)
        await driver.close()
        return outcome

    return asyncio.run(asyncio.wait_for(go(), 60))


def job(display_format="STANDARD\\2,2", count=4, bits=8, plut=None, seed=0) -> PrintRequest:
    return PrintRequest(
        FilmSessionSpec(),
        [FilmSpec(FilmBoxSpec(display_format), images(count, bits=bits, seed=seed))],
        presentation_lut_shape=plut,
    )


def assert_stored(tmp_path, request, films=1):
    stored = stored_films(tmp_path)
    assert len(stored) == films
    sp, boxes = stored[-1]
    sent = request.films[0].images
    assert [position for position, _ in boxes] == list(range(1, len(sent) + 1))
    for (_, pixels), image in zip(boxes, sent, strict=True):
        assert (pixels == image.pixels).all()
    return sp


@pytest.mark.parametrize(
    "settings",
    [
        {"ImplicitOnly": "true"},
        {"Supports12Bit": "false"},
        {"SupportsPresentationLUT": "false"},
        {"PresentationLUTinFilmSession": "true"},
        {"OmitSOPClassUIDFromCreateResponse": "true"},
        {"MaxPDU": "4096"},
    ],
    ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()),
)
def test_a_2x2_film_prints_with_default_settings_on_each_dcmprscp_configuration(tmp_path, settings):
    request = job()
    with dcmprscp(tmp_path, settings=settings) as port:
        outcome = print_once(port, request)
    assert outcome.printed, [r.description for r in outcome.operations]
    assert_stored(tmp_path, request)


def test_twelve_bits_on_an_eight_bit_printer_names_bits_8(tmp_path):
    twelve = job(bits=12)
    with dcmprscp(tmp_path, settings={"Supports12Bit": "false"}) as port:
        refused = print_once(port, twelve, bits=12)
        eight = job(seed=1)
        printed = print_once(port, eight, bits=8)
    assert not refused.printed and "bits = 8" in refused.films[0].reason
    assert printed.printed
    assert_stored(tmp_path, eight)


def test_the_presentation_lut_on_a_pre_cp173_printer_names_the_switch(tmp_path):
    request = job(plut="LIN OD")
    with dcmprscp(tmp_path, settings={"PresentationLUTinFilmSession": "true"}) as port:
        refused = print_once(port, request)
        printed = print_once(port, request, presentation_lut_in_session=True)
    assert not refused.printed
    assert "presentation_lut_in_session = true" in refused.films[0].reason
    assert printed.printed, [r.description for r in printed.operations]
    sp = assert_stored(tmp_path, request)
    assert sp.PresentationLUTContentSequence[0].PresentationLUTShape == "LIN OD"


# DCMTK's emulated printers: the switch the first error names (None: prints at once),
# and the format (IHE restricted takes 1,1 only).
EMULATED = {
    "IHEFULL": (None, "STANDARD\\2,2"),
    "IHERESTRICTED": ({"presentation_lut": False}, "STANDARD\\1,1"),
    "AGFA": ({"presentation_lut": False}, "STANDARD\\2,2"),
    "KODAK": ({"presentation_lut": False}, "STANDARD\\2,2"),
    "MERGE_APS": ({"presentation_lut": False}, "STANDARD\\2,2"),
    "AYCAN": ({"presentation_lut": False}, "STANDARD\\2,2"),
}


@pytest.mark.parametrize("name", sorted(EMULATED))
def test_each_emulated_real_printer_of_dcmtk(tmp_path, name):
    switch, display_format = EMULATED[name]
    count = 1 if display_format.endswith("1,1") else 4
    request = job(display_format, count)
    with dcmprscp(tmp_path, emulate=name) as port:
        outcome = print_once(port, request)
        if switch is not None:
            assert not outcome.printed
            reason = outcome.films[0].reason
            for key, value in switch.items():
                assert f"{key} = {str(value).lower()}" in reason, reason
            outcome = print_once(port, request, **switch)
    assert outcome.printed, [r.description for r in outcome.operations]
    assert_stored(tmp_path, request)
