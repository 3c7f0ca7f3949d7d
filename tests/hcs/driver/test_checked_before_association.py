"""docs/conformance.md 3.2.3: every value is checked before anything is sent; a wrong one
is an error naming the attribute, and no association is opened.

The "printer" here is a bare TCP listener that counts connections: a job with one wrong
value must leave it at zero, whichever attribute is wrong.
"""

import asyncio

import numpy as np
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
from hcs.driver.terms import InvalidAttribute

GOOD = np.zeros((8, 8), np.uint8)


def job(session=None, box=None, image=None, **options) -> PrintRequest:
    film = FilmSpec(box or FilmBoxSpec(), [image or ImageBoxSpec(GOOD)], options.pop("ann", {}))
    return PrintRequest(session or FilmSessionSpec(), [film], **options)


CASES = [
    ("NumberOfCopies", job(session=FilmSessionSpec(number_of_copies=100))),
    ("PrintPriority", job(session=FilmSessionSpec(print_priority="URGENT"))),
    ("MediumType", job(session=FilmSessionSpec(medium_type="GLASS"))),
    ("FilmDestination", job(session=FilmSessionSpec(film_destination="BIN_0"))),
    ("FilmSessionLabel", job(session=FilmSessionSpec(film_session_label="a\\b"))),
    ("MemoryAllocation", job(session=FilmSessionSpec(memory_allocation=-1))),
    ("OwnerID", job(session=FilmSessionSpec(owner_id="x" * 17))),
    ("ImageDisplayFormat", job(box=FilmBoxSpec("STANDARD\\0,2"))),
    ("FilmOrientation", job(box=FilmBoxSpec(film_orientation="DIAGONAL"))),
    ("FilmSizeID", job(box=FilmBoxSpec(film_size_id="9INX12IN"))),
    ("MagnificationType", job(box=FilmBoxSpec(magnification_type="LANCZOS"))),
    ("BorderDensity", job(box=FilmBoxSpec(border_density="DARK"))),
    ("EmptyImageDensity", job(box=FilmBoxSpec(empty_image_density="GREY"))),
    ("MinDensity", job(box=FilmBoxSpec(min_density=70000))),
    ("Trim", job(box=FilmBoxSpec(trim="MAYBE"))),
    ("ConfigurationInformation", job(box=FilmBoxSpec(configuration_information="x" * 1025))),
    ("RequestedResolutionID", job(box=FilmBoxSpec(requested_resolution_id="ULTRA"))),
    ("Polarity", job(image=ImageBoxSpec(GOOD, polarity="SIDEWAYS"))),
    ("MagnificationType", job(image=ImageBoxSpec(GOOD, magnification_type="LANCZOS"))),
    ("RequestedImageSize", job(image=ImageBoxSpec(GOOD, requested_image_size=-5.0))),
    (
        "RequestedDecimateCropBehavior",
        job(image=ImageBoxSpec(GOOD, requested_decimate_crop_behavior="SHRINK")),
    ),
    ("MaxDensity", job(image=ImageBoxSpec(GOOD, max_density=-1))),
    ("PixelData", job(image=ImageBoxSpec(np.zeros((8, 8), np.float32)))),
    ("TextString", job(ann={1: "x" * 65})),
    ("PresentationLUTShape", job(presentation_lut_shape="GAMMA")),
    # docs/conformance.md 7: no Specific Character Set, so no text outside ASCII
    ("FilmSessionLabel", job(session=FilmSessionSpec(film_session_label="Müller"))),
    ("OwnerID", job(session=FilmSessionSpec(owner_id="Ærø"))),
    ("TextString", job(ann={1: "Station Süd"})),
    ("ConfigurationInformation", job(box=FilmBoxSpec(configuration_information="γ 2.2"))),
    ("ConfigurationInformation", job(image=ImageBoxSpec(GOOD, configuration_information="é"))),
    ("SmoothingType", job(image=ImageBoxSpec(GOOD, smoothing_type="WEICH-ä"))),
]


async def connections_made(request: PrintRequest) -> tuple[int, InvalidAttribute | None]:
    count = 0

    def accepted(reader, writer):
        nonlocal count
        count += 1
        writer.close()

    server = await asyncio.start_server(accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    driver = PrinterDriver(PrinterProfile(name="p", host="127.0.0.1", port=port, retries=0))
    error = None
    try:
        await driver.print(request)
    except InvalidAttribute as raised:
        error = raised
    finally:
        await driver.close()
        server.close()
        await server.wait_closed()
    return count, error


@pytest.mark.parametrize(
    ("attribute", "request_"), CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)]
)
def test_a_wrong_value_names_its_attribute_and_opens_no_association(attribute, request_):
    count, error = asyncio.run(connections_made(request_))
    assert error is not None and error.attribute == attribute, error
    assert count == 0


def test_a_value_the_printer_does_not_list_is_refused_before_the_association():
    async def go():
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        profile = PrinterProfile(name="p", host="127.0.0.1", port=port, film_sizes=("8INX10IN",))
        try:
            with pytest.raises(InvalidAttribute, match="FilmSizeID"):
                await PrinterDriver(profile).print(job(box=FilmBoxSpec(film_size_id="14INX17IN")))
        finally:
            server.close()

    asyncio.run(go())


def test_non_ascii_text_is_refused_saying_why():
    count, error = asyncio.run(
        connections_made(job(session=FilmSessionSpec(film_session_label="Müller")))
    )
    assert count == 0
    assert "outside the default repertoire (ü)" in str(error)
    assert "no Specific Character Set" in str(error)
