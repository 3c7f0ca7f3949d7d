"""Wire pinning: every attribute and operation of docs/conformance.md, as the printer
received it.

One job sets every attribute the statement lists to a value that is not a printer
default; the virtual printer's association record (what arrived, before the printer
filled in anything) must carry each one, exactly, and the operations must come in the
documented order. ``make mutate`` removes or changes one thing we send at a time and
checks that a test here (or in the other ``test_wire*`` modules) fails.
"""

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
from tests.hcs.vprinter.helpers import running_printer
from tests.hcs.wire import print_associations

IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN
PRINTER_OPTIONS = {
    "film__memory_allocation": True,
    "film__configuration_information": ["GAMMA 2.2", "PERBOX"],
}
SESSION = FilmSessionSpec(
    number_of_copies=3,
    print_priority="HIGH",
    medium_type="CLEAR FILM",
    film_destination="PROCESSOR",
    film_session_label="wire label",
    memory_allocation=4096,
    owner_id="wire owner",
)
FILM_BOX = FilmBoxSpec(
    "STANDARD\\2,1",
    film_orientation="LANDSCAPE",
    film_size_id="11INX14IN",
    magnification_type="CUBIC",
    smoothing_type="SHARP",
    border_density="WHITE",
    empty_image_density="150",
    min_density=15,
    max_density=290,
    trim="YES",
    configuration_information="GAMMA 2.2",
    requested_resolution_id="HIGH",
    illumination=1800,
    reflected_ambient_light=12,
    annotation_display_format_id="2",
)


def profile(port: int, **options) -> PrinterProfile:
    options.setdefault("timeouts", Timeouts(connect=5, association=5, dimse=5, artim=5))
    return PrinterProfile(
        name="vprinter", host="127.0.0.1", port=port, ae_title="VPRINTER", **options
    )


def pixels(shape, seed, dtype=np.uint8, top=256) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, top, shape, dtype=dtype)


def every_attribute_job() -> PrintRequest:
    first = ImageBoxSpec(
        pixels((40, 32), 1),
        polarity="REVERSE",
        magnification_type="REPLICATE",
        smoothing_type="MEDIUM",
        min_density=25,
        max_density=280,
        configuration_information="PERBOX",
        requested_image_size=50.5,
        requested_decimate_crop_behavior="DECIMATE",
    )
    second = ImageBoxSpec(pixels((24, 30), 2), polarity="NORMAL")
    film = FilmSpec(FILM_BOX, [first, second], annotations={1: "wire annotation"})
    return PrintRequest(SESSION, [film], presentation_lut_shape="IDENTITY")


def print_on_vprinter(tmp_path, *requests, printer_options=None, **profile_options):
    """Print ``requests`` on one driver; the outcomes and the printer's records."""
    out = tmp_path / "vprinter"

    async def go():
        options = {**PRINTER_OPTIONS, **(printer_options or {})}
        async with running_printer(out, **options) as printer:
            driver = PrinterDriver(profile(printer.port, **profile_options))
            outcomes = [await driver.print(r) for r in requests]
            await driver.close()
            await printer.wait_idle(10)
        return outcomes

    outcomes = asyncio.run(asyncio.wait_for(go(), 60))
    for outcome in outcomes:
        assert outcome.printed, [r.description for r in outcome.operations]
    return outcomes, out


@pytest.fixture(scope="module")
def every_attribute(tmp_path_factory):
    """One association printing :func:`every_attribute_job` (shared by the tests below)."""
    _, out = print_on_vprinter(tmp_path_factory.mktemp("wire"), every_attribute_job())
    [association] = print_associations(out)
    return association


def test_the_film_session_carries_every_attribute_we_were_given(every_attribute):
    sent = every_attribute.only("N-CREATE Film Session").dataset
    assert sent == {
        "NumberOfCopies": 3,
        "PrintPriority": "HIGH",
        "MediumType": "CLEAR FILM",
        "FilmDestination": "PROCESSOR",
        "FilmSessionLabel": "wire label",
        "MemoryAllocation": 4096,
        "OwnerID": "wire owner",
    }


def test_the_film_box_carries_every_attribute_we_were_given(every_attribute):
    session = every_attribute.only("N-CREATE Film Session")
    plut = every_attribute.only("N-CREATE Presentation LUT")
    sent = dict(every_attribute.only("N-CREATE Film Box").dataset)
    session_uid = _created_uid(every_attribute, session)
    assert sent.pop("ReferencedFilmSessionSequence") == [
        {"ReferencedSOPClassUID": uids.BASIC_FILM_SESSION, "ReferencedSOPInstanceUID": session_uid}
    ]
    assert sent.pop("ReferencedPresentationLUTSequence") == [
        {
            "ReferencedSOPClassUID": uids.PRESENTATION_LUT,
            "ReferencedSOPInstanceUID": _created_uid(every_attribute, plut),
        }
    ]
    assert sent == {
        "ImageDisplayFormat": "STANDARD\\2,1",
        "FilmOrientation": "LANDSCAPE",
        "FilmSizeID": "11INX14IN",
        "MagnificationType": "CUBIC",
        "SmoothingType": "SHARP",
        "BorderDensity": "WHITE",
        "EmptyImageDensity": "150",
        "MinDensity": 15,
        "MaxDensity": 290,
        "Trim": "YES",
        "ConfigurationInformation": "GAMMA 2.2",
        "RequestedResolutionID": "HIGH",
        "Illumination": 1800,
        "ReflectedAmbientLight": 12,
        "AnnotationDisplayFormatID": "2",
    }


def test_each_image_box_carries_its_attributes_and_pixels(every_attribute):
    first, second = every_attribute.all("N-SET Grayscale Image Box")
    sent = dict(first.dataset)
    [item] = sent.pop("BasicGrayscaleImageSequence")
    assert sent == {
        "ImageBoxPosition": 1,
        "Polarity": "REVERSE",
        "MagnificationType": "REPLICATE",
        "SmoothingType": "MEDIUM",
        "MinDensity": 25,
        "MaxDensity": 280,
        "ConfigurationInformation": "PERBOX",
        "RequestedImageSize": 50.5,
        "RequestedDecimateCropBehavior": "DECIMATE",
    }
    assert item == {
        "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2",
        "Rows": 40,
        "Columns": 32,
        "PixelAspectRatio": [1, 1],
        "BitsAllocated": 8,
        "BitsStored": 8,
        "HighBit": 7,
        "PixelRepresentation": 0,
        "PixelData": f"<{40 * 32} bytes>",
    }
    assert second.dataset["ImageBoxPosition"] == 2
    assert second.dataset["Polarity"] == "NORMAL"
    assert second.dataset["BasicGrayscaleImageSequence"][0]["Rows"] == 24


def test_image_boxes_are_set_on_the_instances_the_film_box_named(every_attribute):
    film_box = every_attribute.only("N-CREATE Film Box")
    answer = _response(every_attribute, film_box)["dataset"]
    named = [b["ReferencedSOPInstanceUID"] for b in answer["ReferencedImageBoxSequence"]]
    sets = every_attribute.all("N-SET Grayscale Image Box")
    assert [s.message["requested_sop_instance_uid"] for s in sets] == named
    annotation = every_attribute.only("N-SET Annotation Box")
    assert annotation.dataset == {"AnnotationPosition": 1, "TextString": "wire annotation"}


def test_the_presentation_lut_carries_its_shape(every_attribute):
    assert every_attribute.only("N-CREATE Presentation LUT").dataset == {
        "PresentationLUTShape": "IDENTITY"
    }


def test_the_operations_come_in_the_documented_order(every_attribute):
    assert every_attribute.operations == [
        "N-GET Printer",
        "N-CREATE Presentation LUT",
        "N-CREATE Film Session",
        "N-CREATE Film Box",
        "N-SET Grayscale Image Box",
        "N-SET Grayscale Image Box",
        "N-SET Annotation Box",
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
        "N-DELETE Presentation LUT",
    ]
    get = every_attribute.only("N-GET Printer").message
    assert get["requested_sop_instance_uid"] == uids.PRINTER_INSTANCE
    assert "attribute_identifier_list" not in get  # all attributes
    action = every_attribute.only("N-ACTION Film Box").message
    assert action["action_type_id"] == 1
    film_box_uid = _created_uid(every_attribute, every_attribute.only("N-CREATE Film Box"))
    assert action["requested_sop_instance_uid"] == film_box_uid
    deleted = every_attribute.only("N-DELETE Film Box").message
    assert deleted["requested_sop_instance_uid"] == film_box_uid
    session_uid = _created_uid(every_attribute, every_attribute.only("N-CREATE Film Session"))
    assert (
        every_attribute.only("N-DELETE Film Session").message["requested_sop_instance_uid"]
        == session_uid
    )


def test_print_management_goes_on_the_meta_class_and_instances_are_the_printers(
    every_attribute,
):
    contexts = {c["id"]: c["abstract_syntax"] for c in every_attribute.record["contexts"]}
    for request in every_attribute.requests:
        if request.operation.split(" ", 1)[1] in (
            "Printer",
            "Film Session",
            "Film Box",
            "Grayscale Image Box",
        ):
            assert contexts[request.message["context_id"]] == (
                uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
            ), request.operation
        if request.operation.startswith("N-CREATE"):
            assert "affected_sop_instance_uid" not in request.message  # the printer assigns
    assert every_attribute.record["calling_ae"] == "HCS_PRINT_SCU"
    assert every_attribute.record["called_ae"] == "VPRINTER"


def test_implicit_vr_is_what_we_prefer_by_default(tmp_path):
    """With the default profile, the print goes out in Implicit VR Little Endian on a
    printer that offers both (the acceptor takes our first preference), and prints on a
    printer that accepts only implicit VR."""
    job = PrintRequest(
        FilmSessionSpec(), [FilmSpec(FilmBoxSpec(), [ImageBoxSpec(pixels((8, 8), 3))])]
    )
    _, out = print_on_vprinter(tmp_path / "both", job)
    [association] = print_associations(out)
    assert {r.transfer_syntax for r in association.requests} == {IMPLICIT}
    _, out = print_on_vprinter(tmp_path / "implicit", job, printer_options={"implicit_only": True})
    [association] = print_associations(out)
    assert {r.transfer_syntax for r in association.requests} == {IMPLICIT}


@pytest.mark.parametrize("syntax", ["implicit", "explicit"])
def test_a_colour_image_box_is_rgb_frame_interleaved(tmp_path, syntax):
    """Both encoders: the fast one (implicit VR) and pydicom's (explicit VR)."""
    job = PrintRequest(
        FilmSessionSpec(),
        [FilmSpec(FilmBoxSpec(), [ImageBoxSpec(pixels((12, 10, 3), 4), polarity="NORMAL")])],
        color=True,
    )
    _, out = print_on_vprinter(tmp_path, job, transfer_syntaxes=(syntax,))
    [association] = print_associations(out)
    contexts = {c["id"]: c["abstract_syntax"] for c in association.record["contexts"]}
    [box] = association.all("N-SET Color Image Box")
    assert contexts[box.message["context_id"]] == uids.BASIC_COLOR_PRINT_MANAGEMENT_META
    [item] = box.dataset["BasicColorImageSequence"]
    assert item == {
        "SamplesPerPixel": 3,
        "PhotometricInterpretation": "RGB",
        "PlanarConfiguration": 1,
        "Rows": 12,
        "Columns": 10,
        "PixelAspectRatio": [1, 1],
        "BitsAllocated": 8,
        "BitsStored": 8,
        "HighBit": 7,
        "PixelRepresentation": 0,
        "PixelData": f"<{12 * 10 * 3} bytes>",
    }
    assert box.dataset["Polarity"] == "NORMAL"


def test_twelve_bit_grayscale_goes_as_12_in_16(tmp_path):
    job = PrintRequest(
        FilmSessionSpec(),
        [FilmSpec(FilmBoxSpec(), [ImageBoxSpec(pixels((6, 8), 5, np.uint16, 4096))])],
    )
    _, out = print_on_vprinter(tmp_path, job, bits=12)
    [association] = print_associations(out)
    [box] = association.all("N-SET Grayscale Image Box")
    [item] = box.dataset["BasicGrayscaleImageSequence"]
    assert (item["BitsAllocated"], item["BitsStored"], item["HighBit"]) == (16, 12, 11)
    assert item["PixelData"] == f"<{6 * 8 * 2} bytes>"


def test_two_films_two_film_boxes_each_printed_and_deleted(tmp_path):
    film = FilmSpec(FilmBoxSpec("STANDARD\\1,1"), [ImageBoxSpec(pixels((8, 8), 6))])
    _, out = print_on_vprinter(tmp_path, PrintRequest(FilmSessionSpec(), [film, film]))
    [association] = print_associations(out)
    assert [op for op in association.operations if op != "N-GET Printer"] == [
        "N-CREATE Film Session",
        *[
            "N-CREATE Film Box",
            "N-SET Grayscale Image Box",
            "N-ACTION Film Box",
            "N-DELETE Film Box",
        ]
        * 2,
        "N-DELETE Film Session",
    ]


def test_a_collated_session_is_printed_with_one_film_session_action(tmp_path):
    film = FilmSpec(FilmBoxSpec("STANDARD\\1,1"), [ImageBoxSpec(pixels((8, 8), 7))])
    job = PrintRequest(FilmSessionSpec(number_of_copies=2), [film, film], collate=True)
    _, out = print_on_vprinter(tmp_path, job, session_print=True)
    [association] = print_associations(out)
    assert association.all("N-ACTION Film Box") == []
    [action] = association.all("N-ACTION Film Session")
    assert action.message["action_type_id"] == 1
    assert len(association.all("N-CREATE Film Box")) == 2
    assert association.operations[-1] == "N-DELETE Film Session"


def test_the_film_session_references_the_lut_on_pre_cp173_printers(tmp_path):
    job = every_attribute_job()
    _, out = print_on_vprinter(
        tmp_path,
        job,
        printer_options={"film__unsupported": "warn"},
        presentation_lut_in_session=True,
    )
    [association] = print_associations(out)
    session = association.only("N-CREATE Film Session").dataset
    plut_uid = _created_uid(association, association.only("N-CREATE Presentation LUT"))
    assert session["ReferencedPresentationLUTSequence"][0]["ReferencedSOPInstanceUID"] == plut_uid
    assert "ReferencedPresentationLUTSequence" not in association.only("N-CREATE Film Box").dataset


def test_omitted_attributes_are_not_sent(tmp_path):
    _, out = print_on_vprinter(
        tmp_path, every_attribute_job(), omit=("PrintPriority", "Trim", "Polarity")
    )
    [association] = print_associations(out)
    assert "PrintPriority" not in association.only("N-CREATE Film Session").dataset
    assert "Trim" not in association.only("N-CREATE Film Box").dataset
    assert all("Polarity" not in b.dataset for b in association.all("N-SET Grayscale Image Box"))
    assert association.only("N-CREATE Film Session").dataset["MediumType"] == "CLEAR FILM"


def _response(association, request) -> dict:
    """The printer's answer to ``request`` (by message ID)."""
    for message in association.record["messages"]:
        if (
            message.get("dir") == "out"
            and message.get("message_id_being_responded_to") == request.message["message_id"]
        ):
            return message
    raise AssertionError(f"no answer to {request.operation}")


def _created_uid(association, request) -> str:
    return _response(association, request)["affected_sop_instance_uid"]


def test_the_association_is_released(every_attribute):
    assert every_attribute.record["end"] == "released"


def test_explicit_vr_carries_the_same_values_as_implicit_vr(every_attribute, tmp_path):
    """A profile that lists only explicit VR: the data sets (built by pydicom instead of
    the fast encoder) say exactly what the implicit VR ones said."""
    _, out = print_on_vprinter(tmp_path, every_attribute_job(), transfer_syntaxes=("explicit",))
    [association] = print_associations(out)
    assert {r.transfer_syntax for r in association.requests} == {uids.EXPLICIT_VR_LITTLE_ENDIAN}
    assert association.operations == every_attribute.operations

    def without_uids(value):
        if isinstance(value, dict):
            return {k: without_uids(v) for k, v in value.items() if "Instance" not in k}
        if isinstance(value, list):
            return [without_uids(v) for v in value]
        return value

    for ours, reference in zip(association.requests, every_attribute.requests, strict=True):
        assert without_uids(ours.dataset) == without_uids(reference.dataset), ours.operation


@pytest.mark.parametrize(
    ("display_format", "images", "custom"),
    [("SLIDE", 3, {}), ("SUPERSLIDE", 2, {}), ("CUSTOM\\1", 3, {1: 3})],
)
def test_slide_superslide_and_custom_films_print_on_a_peer(
    tmp_path, display_format, images, custom
):
    boxes = [ImageBoxSpec(pixels((16, 16), i)) for i in range(images)]
    job = PrintRequest(FilmSessionSpec(), [FilmSpec(FilmBoxSpec(display_format), boxes)])
    _, out = print_on_vprinter(tmp_path, job, custom_formats=custom)
    [association] = print_associations(out)
    assert association.only("N-CREATE Film Box").dataset["ImageDisplayFormat"] == display_format
    sets = association.all("N-SET Grayscale Image Box")
    assert [s.dataset["ImageBoxPosition"] for s in sets] == list(range(1, images + 1))
