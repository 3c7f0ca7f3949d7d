"""Wire pinning on DCMTK's dcmprscp: what it stored (Stored Print, Hardcopy Grayscale
Image) and what its DIMSE log says it received, for the driver's every-attribute job
(``test_wire.every_attribute_job`` without what dcmprscp refuses: Image Box densities,
the annotation). See ``tests/hcs/dcmprscp_wire.py``; ``make mutate`` runs these too.
"""

import asyncio
import dataclasses

import numpy as np
import pytest

from hcs.driver import PrinterDriver, PrinterProfile, PrintRequest
from tests.hcs.dcmprscp_wire import (
    SETTINGS,
    answer,
    film_box_attributes,
    image_box_attributes,
    received,
    stored_films,
)
from tests.hcs.driver.test_wire import every_attribute_job
from tests.peers import dcmprscp

FILM_SESSION = {
    "NumberOfCopies": "3",
    "PrintPriority": "HIGH",
    "MediumType": "CLEAR FILM",
    "FilmDestination": "PROCESSOR",
    "FilmSessionLabel": "wire label",
    "MemoryAllocation": "4096",
    "OwnerID": "wire owner",
}
FILM_BOX = {
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
    "Illumination": 1800,
    "ReflectedAmbientLight": 12,
    "RequestedResolutionID": "HIGH",
}
IMAGE_BOXES = [
    {
        "ImageBoxPosition": 1,
        "Polarity": "REVERSE",
        "MagnificationType": "REPLICATE",
        "SmoothingType": "MEDIUM",
        "ConfigurationInformation": "PERBOX",
        "RequestedImageSize": 50.5,
        "RequestedDecimateCropBehavior": "DECIMATE",
    },
    {"ImageBoxPosition": 2, "Polarity": "NORMAL"},
]


def dcmprscp_job(films: int = 1, collate: bool = False) -> PrintRequest:
    """The every-attribute job, as dcmprscp accepts it."""
    job = every_attribute_job()
    [film] = job.films
    first, second = film.images
    first = dataclasses.replace(first, min_density=None, max_density=None)
    box = dataclasses.replace(film.box, annotation_display_format_id=None)
    film = dataclasses.replace(film, box=box, images=[first, second], annotations={})
    return dataclasses.replace(job, films=[film] * films, collate=collate)


def print_on_dcmprscp(tmp_path, job: PrintRequest, **profile_options):
    async def go(port):
        driver = PrinterDriver(
            PrinterProfile(
                name="dcmprscp", host="127.0.0.1", port=port, ae_title="PRINTER", **profile_options
            )
        )
        outcome = await driver.print(job)
        await driver.close()
        return outcome

    with dcmprscp(tmp_path, settings=SETTINGS, log=True) as port:
        outcome = asyncio.run(asyncio.wait_for(go(port), 60))
    assert outcome.printed, [r.description for r in outcome.operations]
    return tmp_path / "dcmprscp"


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    return print_on_dcmprscp(tmp_path_factory.mktemp("dcmprscp_wire"), dcmprscp_job())


def test_dcmprscp_received_the_operations_in_the_documented_order(printed):
    requests = received(printed)
    assert [r.operation for r in requests] == [
        "N-GET Printer",
        "N-CREATE Presentation LUT",
        "N-CREATE Film Session",
        "N-CREATE Film Box",
        "N-SET Grayscale Image Box",
        "N-SET Grayscale Image Box",
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
        "N-DELETE Presentation LUT",
    ]
    created = {r.operation: answer(printed, r).instance for r in requests if "N-CREATE" in r.kind}
    action, film_box, session, lut = requests[-4:]
    assert action.header["Action Type ID"] == "1"
    assert action.instance == film_box.instance == created["N-CREATE Film Box"]
    assert session.instance == created["N-CREATE Film Session"]
    assert lut.instance == created["N-CREATE Presentation LUT"]
    assert requests[3].dataset["ReferencedFilmSessionSequence"] == "SQ"
    # the image boxes set are the ones the film box made (and dcmprscp printed)
    [film] = stored_films(printed)
    sets = [r.instance for r in requests if r.operation == "N-SET Grayscale Image Box"]
    assert sets == [str(box.SOPInstanceUID) for box, _ in film.images]


def test_dcmprscp_received_every_film_session_attribute(printed):
    [session] = [r for r in received(printed) if r.operation == "N-CREATE Film Session"]
    assert session.dataset == FILM_SESSION


def test_dcmprscp_stored_every_film_box_attribute_and_the_lut(printed):
    [film] = stored_films(printed)
    assert film_box_attributes(film) == FILM_BOX
    [lut] = film.stored_print.PresentationLUTContentSequence
    assert lut.PresentationLUTShape == "IDENTITY"
    [reference] = film.film_box.ReferencedPresentationLUTSequence
    assert reference.ReferencedSOPInstanceUID == lut.SOPInstanceUID
    [created] = [r for r in received(printed) if r.operation == "N-CREATE Presentation LUT"]
    assert created.dataset == {"PresentationLUTShape": "IDENTITY"}
    assert lut.SOPInstanceUID == answer(printed, created).instance


def test_dcmprscp_stored_every_image_box_attribute_and_its_pixels(printed):
    [film] = stored_films(printed)
    assert [image_box_attributes(box) for box, _ in film.images] == IMAGE_BOXES
    [sent] = dcmprscp_job().films
    for (_, image), spec in zip(film.images, sent.images, strict=True):
        assert (image.Rows, image.Columns) == spec.pixels.shape
        assert (image.BitsAllocated, image.BitsStored, image.HighBit) == (8, 8, 7)
        assert image.PhotometricInterpretation == "MONOCHROME2"
        assert np.array_equal(image.pixel_array, spec.pixels)


def test_a_collated_session_on_dcmprscp_is_one_session_action(tmp_path):
    out = print_on_dcmprscp(tmp_path, dcmprscp_job(films=2, collate=True), session_print=True)
    requests = received(out)
    operations = [r.operation for r in requests]
    assert operations.count("N-CREATE Film Box") == 2
    assert "N-ACTION Film Box" not in operations
    [action] = [r for r in requests if r.operation == "N-ACTION Film Session"]
    [session] = [r for r in requests if r.operation == "N-CREATE Film Session"]
    assert action.header["Action Type ID"] == "1"
    assert action.instance == answer(out, session).instance
    assert operations.index("N-ACTION Film Session") > max(
        i for i, op in enumerate(operations) if op.startswith("N-SET")
    )
    assert session.dataset["NumberOfCopies"] == "3"
    films = stored_films(out)
    assert len(films) == 2
    assert all(film_box_attributes(f) == FILM_BOX for f in films)
