"""What the driver does about printer behaviours that are not personalities of their own:
refused optional classes, an association refused for what we proposed, short annotations,
and the hints it gives (docs/conformance.md 3.6)."""

import asyncio

import numpy as np

from dimse import uids
from dimse.status import StatusCode
from hcs.driver import (
    FilmBoxSpec,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    PrinterDriver,
    PrintRequest,
)
from hcs.driver.model import OperationRecord
from hcs.driver.quirks import ended_note, failure_hint, warning_note
from tests.hcs.driver.test_personalities import profile
from tests.hcs.vprinter.helpers import running_printer


def job(annotations=None, plut=None) -> PrintRequest:
    rng = np.random.default_rng(0)
    images = [ImageBoxSpec(rng.integers(0, 256, (20, 16), dtype=np.uint8))]
    film = FilmSpec(FilmBoxSpec("STANDARD\\1,1"), images, annotations=annotations or {})
    return PrintRequest(FilmSessionSpec(), [film], presentation_lut_shape=plut)


def print_on(tmp_path, request, faults=(), **options):
    async def go():
        async with running_printer(tmp_path, faults, film__annotation_max_chars=32) as printer:
            driver = PrinterDriver(profile(printer.port, **options))
            outcome = await driver.print(request)
            await driver.close()
            await printer.wait_idle(20)
            return outcome, list(printer.films)

    return asyncio.run(asyncio.wait_for(go(), 60))


def test_refused_annotation_and_presentation_lut_contexts_print_with_notes(tmp_path):
    request = job({1: "left out"}, plut="LIN OD")
    outcome, films = print_on(tmp_path, request, ["contexts:refuse=annotation,presentation_lut"])
    assert outcome.printed
    assert any("Basic Annotation Box" in note for note in outcome.notes)
    assert any("Presentation LUT LIN OD" in note for note in outcome.notes)
    assert films[0]["annotations"] == []


def test_an_association_refused_for_what_we_proposed_names_the_switches(tmp_path):
    outcome, _ = print_on(tmp_path, job(), ["reject:result=1,source=1,reason=1"], retries=0)
    assert not outcome.printed
    reason = outcome.films[0].reason
    assert "print_job = false" in reason and "presentation_lut = false" in reason


def test_a_printer_printing_32_characters_gets_them_with_a_note(tmp_path):
    text = "PATIENT^NAME 1234567890 ABCDEFGHIJKLMNOP"
    outcome, films = print_on(tmp_path, job({1: text}), annotation_max_chars=32)
    assert outcome.printed
    assert films[0]["annotations"] == [{"position": 1, "text": text[:32]}]
    assert any("annotation_max_chars" in note for note in outcome.notes)


def test_printer_status_false_skips_the_n_get(tmp_path):
    outcome, _ = print_on(tmp_path, job(), printer_status=False)
    assert outcome.printed
    assert "N-GET Printer" not in [r.operation for r in outcome.operations]


def test_hints_name_the_switch():
    p = profile(104, bits=12)
    twelve = OperationRecord(
        "N-SET Image Box 1",
        uids.BASIC_GRAYSCALE_IMAGE_BOX,
        "1.2",
        StatusCode.INVALID_ATTRIBUTE_VALUE,
    )
    assert "bits = 8" in failure_hint(twelve, p)
    refused = OperationRecord(
        "N-CREATE Film Box",
        uids.BASIC_FILM_BOX,
        None,
        StatusCode.NO_SUCH_ATTRIBUTE,
        offending_element=(0x20100140,),  # Trim
    )
    assert 'add "Trim" to omit in [printers.vp]' in failure_hint(refused, p)
    warned = OperationRecord(
        "N-CREATE Film Box",
        uids.BASIC_FILM_BOX,
        "1.2",
        StatusCode.ATTRIBUTE_LIST_ERROR,
        offending_element=(0x20100140,),
    )
    assert "Trim" in warning_note(warned, p) and "omit" in warning_note(warned, p)
    assert "no data set" in ended_note("N-GET Printer", None)
    explicit = ended_note("N-CREATE Film Session", uids.EXPLICIT_VR_LITTLE_ENDIAN)
    assert "Explicit VR Little Endian" in explicit and '["implicit"]' in explicit
