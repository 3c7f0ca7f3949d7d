"""``hcs print``: each job option reaches the printer as the attribute it names.

Printed on the virtual printer, read back from its association record (what arrived,
before any printer default): see ``tests/hcs/wire.py`` and ``make mutate``.
"""

from __future__ import annotations

from pydicom.data import get_testdata_file

from hcs.cli import main
from tests.hcs.vprinter.helpers import background_printer
from tests.hcs.wire import print_associations

MR = get_testdata_file("MR_small.dcm")


def test_every_job_option_of_hcs_print_is_on_the_wire(capsys, tmp_path):
    out = tmp_path / "vprinter"
    with background_printer(out) as printer:
        code = main(
            [
                "print",
                MR,
                MR,
                "--host",
                "127.0.0.1",
                "--port",
                str(printer.port),
                "--called-ae",
                "VPRINTER",
                "--calling-ae",
                "WIRE_SCU",
                "--dpi",
                "40",
                "--format",
                "ROW\\2",
                "--film-size",
                "10INX12IN",
                "--orientation",
                "LANDSCAPE",
                "--magnification",
                "CUBIC",
                "--border-density",
                "WHITE",
                "--empty-density",
                "120",
                "--copies",
                "2",
                "--priority",
                "LOW",
                "--medium",
                "BLUE FILM",
                "--destination",
                "BIN_1",
                "--label",
                "cli wire",
            ]
        )
        _, err = capsys.readouterr()
        assert code == 0, err
        printer.wait_idle()
    [association] = print_associations(out)
    assert association.record["calling_ae"] == "WIRE_SCU"
    assert association.record["called_ae"] == "VPRINTER"
    session = association.only("N-CREATE Film Session").dataset
    assert session == {
        "NumberOfCopies": 2,
        "PrintPriority": "LOW",
        "MediumType": "BLUE FILM",
        "FilmDestination": "BIN_1",
        "FilmSessionLabel": "cli wire",
    }
    box = dict(association.only("N-CREATE Film Box").dataset)
    box.pop("ReferencedFilmSessionSequence")
    assert box == {
        "ImageDisplayFormat": "ROW\\2",
        "FilmOrientation": "LANDSCAPE",
        "FilmSizeID": "10INX12IN",
        "MagnificationType": "CUBIC",
        "BorderDensity": "WHITE",
        "EmptyImageDensity": "120",
    }
    images = association.all("N-SET Grayscale Image Box")
    assert [b.dataset["ImageBoxPosition"] for b in images] == [1, 2]
    assert association.operations[-3:] == [
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
    ]
