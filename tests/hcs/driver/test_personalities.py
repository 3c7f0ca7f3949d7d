"""The driver on every personality of the virtual printer, with default settings.

Each personality reproduces what a kind of real printer does on the wire (docs/vprinter.md).
A 2x2 film formatted by hcs prints on each with a default profile (or with the one profile
switch the error message names), and what the printer stored is, pixel for pixel, what the
film's preview shows at each box.
"""

import asyncio

import numpy as np
import pydicom
import pytest

from dimse import uids
from dul.net import Timeouts
from hcs.driver import FilmBoxSpec, FilmSessionSpec, PrinterDriver, PrinterProfile, PrintRequest
from hcs.driver.session import proposed_contexts
from hcs.film import Resolution
from hcs.formatter import FilmJob, Formatter, Frame, PrinterSettings
from hcs.preview import render_film
from hcs.vprinter.personality import NAMES
from tests.hcs.vprinter.helpers import running_printer

DPI = 30  # small films: the boxes of a 2x2 14x17 film are ~190 pixels
FORMAT = "STANDARD\\2,2"


def profile(port: int, **options) -> PrinterProfile:
    options.setdefault("timeouts", Timeouts(connect=5, association=5, dimse=5, artim=5))
    options.setdefault("retry_backoff", 0.05)
    return PrinterProfile(
        name="vp", host="127.0.0.1", port=port, ae_title="VPRINTER", resolution_dpi=DPI, **options
    )


def formatted_film(color: bool = False, images: int = 4):
    rng = np.random.default_rng(11)
    shape = (48, 40, 3) if color else (48, 40)
    frames = [Frame(rng.integers(0, 256, shape, dtype=np.uint8)) for _ in range(images)]
    box = FilmBoxSpec(FORMAT, film_size_id="14INX17IN", film_orientation="PORTRAIT")
    settings = PrinterSettings(resolution=Resolution(dpi=DPI), color=color)
    with Formatter(settings, workers=1) as formatter:
        return formatter.format_film(FilmJob(box, frames, color=color))


def stored_boxes(out) -> dict[int, np.ndarray]:
    boxes = {}
    for path in sorted((out / "films").glob("*-box*.dcm")):
        ds = pydicom.dcmread(path)
        item = (ds.get("BasicGrayscaleImageSequence") or ds.BasicColorImageSequence)[0]
        pixels = np.frombuffer(item.PixelData, np.uint8)
        if item.SamplesPerPixel == 3:  # planar (colour-by-plane) as PS3.3 C.13-5 requires
            pixels = pixels.reshape(3, item.Rows, item.Columns).transpose(1, 2, 0)
        else:
            pixels = pixels.reshape(item.Rows, item.Columns)
        boxes[int(path.stem.rsplit("box", 1)[1])] = pixels
    return boxes


def print_on(tmp_path, personalities, film, *, color=False, delay=0.05, **options):
    """Print ``film`` once on a virtual printer with ``personalities``; the outcome, the
    printer's film records and the image boxes it stored."""

    async def go():
        async with running_printer(
            tmp_path,
            personalities=list(personalities),
            personality_delay=delay,
            store_dicom=True,
        ) as printer:
            driver = PrinterDriver(profile(printer.port, **options))
            request = PrintRequest(FilmSessionSpec(), [film.film_spec()], color=color)
            outcome = await driver.print(request)
            await driver.close()
            await printer.wait_idle(20)
            return outcome, list(printer.films), driver

    return asyncio.run(asyncio.wait_for(go(), 60))


def assert_matches_preview(film, out) -> None:
    preview = render_film(film, film.layout.width)
    stored = stored_boxes(out)
    assert sorted(stored) == [1, 2, 3, 4]
    for position, pixels in stored.items():
        rect = film.rect(position)
        shown = preview[rect.y : rect.bottom, rect.x : rect.right]
        if pixels.ndim == 2 and shown.ndim == 3:
            shown = shown[:, :, 0]
        np.testing.assert_array_equal(shown, pixels)


# Personalities hcs cannot cope with by itself: the profile switch its error names.
SWITCHES = {"no-create-uid": {"assign_uids": True}}


@pytest.mark.parametrize("name", NAMES)
def test_a_2x2_film_prints_on_every_personality_with_default_settings(tmp_path, name):
    film = formatted_film()
    switch = SWITCHES.get(name, {})
    if switch:
        refused, films, _ = print_on(tmp_path / "first", [name], film, retries=0)
        assert not refused.printed and not films
        for key, value in switch.items():
            assert f"{key} = {str(value).lower()}" in refused.films[0].reason
    outcome, films, driver = print_on(tmp_path, [name], film, **switch)
    assert outcome.printed, (outcome.notes, [r.description for r in outcome.operations])
    assert outcome.attempts == 1 and driver.associations_opened == 1
    assert len(films) == 1
    assert_matches_preview(film, tmp_path)


def test_all_personalities_at_once(tmp_path):
    """abort-on-error with no-printer-nget aborts on N-GET Printer: the driver learns to
    print without it on the second association, and says so."""
    film = formatted_film()
    switches = {k: v for switch in SWITCHES.values() for k, v in switch.items()}
    outcome, films, driver = print_on(tmp_path, NAMES, film, **switches)
    assert outcome.printed, (outcome.notes, [r.description for r in outcome.operations])
    assert outcome.attempts == 2 and driver.skip_printer_status
    assert any("printer_status = false" in note for note in outcome.notes)
    assert len(films) == 1
    assert_matches_preview(film, tmp_path)


def test_meta_class_refs_is_noted_and_never_copied(tmp_path):
    outcome, _, _ = print_on(tmp_path, ["meta-class-refs"], formatted_film())
    assert outcome.printed
    assert any("meta SOP class" in note for note in outcome.notes)
    sets = [r for r in outcome.operations if r.operation.startswith("N-SET Image Box")]
    assert {r.sop_class_uid for r in sets} == {uids.BASIC_GRAYSCALE_IMAGE_BOX}
    assert '"notes"' in __import__("json").dumps(outcome.as_json())


def test_the_default_proposes_implicit_vr_only():
    """i17's mutation 'propose only explicit VR by default' fails here and on
    explicit-misread above."""
    default = PrinterProfile(name="p", host="127.0.0.1", port=104)
    for context in proposed_contexts(default, color=True):
        assert context.transfer_syntaxes == (uids.IMPLICIT_VR_LITTLE_ENDIAN,)


def test_explicit_vr_on_a_misreading_printer_names_the_request_and_the_switch(tmp_path):
    outcome, films, _ = print_on(
        tmp_path, ["explicit-misread"], formatted_film(), transfer_syntaxes=("explicit",), retries=0
    )
    assert not outcome.printed and not films
    reason = outcome.films[0].reason
    assert "N-CREATE Film Session" in reason and "Explicit VR Little Endian" in reason
    assert 'transfer_syntaxes = ["implicit"]' in reason


def test_a_colour_film_on_a_grayscale_only_printer_prints_in_grayscale(tmp_path):
    film = formatted_film(color=True)
    outcome, films, _ = print_on(tmp_path, ["grayscale-only"], film, color=True)
    assert outcome.printed
    assert any("grayscale" in event for event in outcome.events)
    assert films[0]["color"] is False


def test_pre_cp173_names_the_switch_and_prints_with_it(tmp_path):
    film = formatted_film()

    async def go(**options):
        async with running_printer(tmp_path, personalities=["pre-cp173"]) as printer:
            driver = PrinterDriver(profile(printer.port, **options))
            request = PrintRequest(
                FilmSessionSpec(), [film.film_spec()], presentation_lut_shape="LIN OD"
            )
            outcome = await driver.print(request)
            await driver.close()
            await printer.wait_idle(20)
            return outcome, list(printer.films)

    failed, _ = asyncio.run(go())
    assert not failed.printed
    assert "presentation_lut_in_session = true" in failed.films[0].reason
    printed, films = asyncio.run(go(presentation_lut_in_session=True))
    assert printed.printed, [r.description for r in printed.operations]
    assert films[-1]["boxes"][0]["image"] is not None


def test_abort_on_error_names_the_last_request(tmp_path):
    """A job the printer refuses (a film size it does not take) ends in A-ABORT; the
    outcome says which request it aborted after."""
    box = FilmBoxSpec(FORMAT, film_size_id="8INX10IN")
    rng = np.random.default_rng(1)
    from hcs.driver import FilmSpec, ImageBoxSpec

    film = FilmSpec(box, [ImageBoxSpec(rng.integers(0, 256, (20, 20), dtype=np.uint8))])

    async def go():
        async with running_printer(
            tmp_path, personalities=["abort-on-error"], film__sizes=["14INX17IN"]
        ) as printer:
            driver = PrinterDriver(profile(printer.port, retries=0))
            outcome = await driver.print(PrintRequest(FilmSessionSpec(), [film]))
            await driver.close()
            return outcome

    outcome = asyncio.run(asyncio.wait_for(go(), 60))
    assert not outcome.printed
    reason = outcome.films[0].reason
    assert "N-CREATE Film Box" in reason and "Implicit VR Little Endian" in reason


def test_strict_attributes_prints_with_notes_naming_omit(tmp_path):
    film = formatted_film()
    film.box.smoothing_type = "NONE"
    outcome, _, _ = print_on(tmp_path, ["strict-attributes"], film)
    assert outcome.printed
    assert any("omit" in note and "SmoothingType" in note for note in outcome.notes)
