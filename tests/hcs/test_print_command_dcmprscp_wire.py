"""``hcs print`` on DCMTK's dcmprscp: each job option is in what dcmprscp stored (Film
Box and Image Box attributes in its Stored Print, the pixels in its Hardcopy Grayscale
Images) or, for the Film Session and the operations, in its DIMSE log. See
``tests/hcs/dcmprscp_wire.py``; the virtual printer's twin is
``test_print_command_wire.py``.
"""

from __future__ import annotations

from pydicom.data import get_testdata_file

from hcs.cli import main
from tests.hcs.dcmprscp_wire import (
    SETTINGS,
    answer,
    film_box_attributes,
    image_box_attributes,
    received,
    stored_films,
)
from tests.peers import dcmprscp

MR = get_testdata_file("MR_small.dcm")


def test_every_job_option_of_hcs_print_is_kept_by_dcmprscp(capsys, tmp_path):
    with dcmprscp(tmp_path, settings=SETTINGS, log=True) as port:
        code = main(
            [
                "print",
                MR,
                MR,
                *("--host", "127.0.0.1", "--port", str(port), "--called-ae", "PRINTER"),
                *("--calling-ae", "WIRE_SCU", "--dpi", "40"),
                *("--format", "STANDARD\\1,2", "--film-size", "10INX12IN"),
                *("--orientation", "LANDSCAPE", "--magnification", "CUBIC"),
                *("--border-density", "WHITE", "--empty-density", "120"),
                *("--copies", "2", "--priority", "LOW", "--medium", "BLUE FILM"),
                *("--destination", "BIN_1", "--label", "cli wire"),
                *("--memory-allocation", "2048", "--owner-id", "cli owner"),
                *("--smoothing", "MEDIUM", "--trim", "YES"),
                *("--min-density", "12", "--max-density", "280"),
                *("--configuration-information", "GAMMA 2.2", "--resolution", "HIGH"),
                *("--polarity", "REVERSE", "--requested-image-size", "80.5"),
            ]
        )
        _, err = capsys.readouterr()
    assert code == 0, err
    out = tmp_path / "dcmprscp"
    requests = received(out)
    assert [r.operation for r in requests] == [
        "N-GET Printer",
        "N-CREATE Film Session",
        "N-CREATE Film Box",
        "N-SET Grayscale Image Box",
        "N-SET Grayscale Image Box",
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
    ]
    _, session, film_box, *_, action, delete_box, delete_session = requests
    assert session.dataset == {
        "NumberOfCopies": "2",
        "PrintPriority": "LOW",
        "MediumType": "BLUE FILM",
        "FilmDestination": "BIN_1",
        "FilmSessionLabel": "cli wire",
        "MemoryAllocation": "2048",
        "OwnerID": "cli owner",
    }
    assert action.header["Action Type ID"] == "1"
    assert action.instance == delete_box.instance == answer(out, film_box).instance
    assert delete_session.instance == answer(out, session).instance
    [film] = stored_films(out)
    assert film.stored_print.PrinterCharacteristicsSequence[0].Originator == "WIRE_SCU"
    expected = {
        "ImageDisplayFormat": "STANDARD\\1,2",
        "FilmOrientation": "LANDSCAPE",
        "FilmSizeID": "10INX12IN",
        "MagnificationType": "CUBIC",
        "BorderDensity": "WHITE",
        "EmptyImageDensity": "120",
        "SmoothingType": "MEDIUM",
        "Trim": "YES",
        "MinDensity": 12,
        "MaxDensity": 280,
        "ConfigurationInformation": "GAMMA 2.2",
        "RequestedResolutionID": "HIGH",
    }
    # dcmprscp stores its own defaults beside (Illumination, Reflected Ambient Light):
    # what it kept must hold every value we sent; its log shows we sent nothing more
    stored = film_box_attributes(film)
    assert {key: stored.get(key) for key in expected} == expected
    sent = {k: v for k, v in film_box.dataset.items() if v != "SQ"}
    assert sent == {key: str(value) for key, value in expected.items()}
    assert [image_box_attributes(box) for box, _ in film.images] == [
        {"ImageBoxPosition": position, "Polarity": "REVERSE", "RequestedImageSize": 80.5}
        for position in (1, 2)
    ]
    for _, image in film.images:
        assert (image.BitsAllocated, image.BitsStored, image.HighBit) == (8, 8, 7)
        assert image.Rows > 0 and image.Columns > 0 and image.pixel_array.any()
