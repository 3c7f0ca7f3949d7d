"""``hcs print``: each job option reaches the printer as the attribute it names.

Printed on the virtual printer, read back from its association record (what arrived,
before any printer default): see ``tests/hcs/wire.py`` and ``make mutate``.
"""

from __future__ import annotations

import contextlib
import json
import socket

from pydicom.data import get_testdata_file

from hcs.cli import main
from tests.hcs.vprinter.helpers import background_printer
from tests.hcs.wire import print_associations

MR = get_testdata_file("MR_small.dcm")


def test_every_job_option_of_hcs_print_is_on_the_wire(capsys, tmp_path):
    out = tmp_path / "vprinter"
    options = {"film__memory_allocation": True, "film__configuration_information": ["GAMMA 2.2"]}
    with background_printer(out, **options) as printer:
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
                "--memory-allocation",
                "2048",
                "--owner-id",
                "cli owner",
                "--smoothing",
                "MEDIUM",
                "--trim",
                "YES",
                "--min-density",
                "12",
                "--max-density",
                "280",
                "--configuration-information",
                "GAMMA 2.2",
                "--resolution",
                "HIGH",
                "--polarity",
                "REVERSE",
                "--requested-image-size",
                "80.5",
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
        "MemoryAllocation": 2048,
        "OwnerID": "cli owner",
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
        "SmoothingType": "MEDIUM",
        "Trim": "YES",
        "MinDensity": 12,
        "MaxDensity": 280,
        "ConfigurationInformation": "GAMMA 2.2",
        "RequestedResolutionID": "HIGH",
    }
    images = association.all("N-SET Grayscale Image Box")
    assert [b.dataset["ImageBoxPosition"] for b in images] == [1, 2]
    for image in images:
        assert image.dataset["Polarity"] == "REVERSE"
        assert image.dataset["RequestedImageSize"] == 80.5
    assert association.operations[-3:] == [
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
    ]


def test_a_wrong_value_exits_2_and_opens_no_association(capsys):
    """docs/conformance.md 3.2.3, on the command line: ``--polarity SIDEWAYS`` (or any
    wrong value) exits 2 naming it, and the printer never hears from us."""
    connections = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.01)
    port = listener.getsockname()[1]
    try:
        for wrong, message in (
            (["--polarity", "SIDEWAYS"], "--polarity: 'SIDEWAYS' is not a Polarity"),
            (["--copies", "0"], "--copies: 0 must be from 1 to 99"),
            (["--medium", "GLASS"], "--medium: 'GLASS' is not a Medium Type"),
            (["--format", "STANDARD\\0,1"], "'0' is not a positive whole number"),
            (["--requested-image-size", "-1"], "--requested-image-size: -1.0 must be"),
        ):
            base = ["print", MR, "--host", "127.0.0.1", "--port", str(port)]
            code = main([*base, *wrong])
            _, err = capsys.readouterr()
            assert code == 2 and message in err, (wrong, err)
            with contextlib.suppress(TimeoutError):
                connections.append(listener.accept())
        assert connections == []
    finally:
        listener.close()


def test_a_job_without_a_film_size_takes_the_printers(capsys, tmp_path):
    config = tmp_path / "hcs.toml"
    config.write_text(
        '[printers.lab]\nhost = "127.0.0.1"\nport = 104\nfilm_sizes = ["10INX12IN"]\n'
    )
    code = main(["print", MR, "--printer", "lab", "--config", str(config), "--dry-run", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["films"][0]["film_size_id"] == "10INX12IN"


def test_a_dash_leaves_an_image_box_empty(capsys, tmp_path):
    out = tmp_path / "vprinter"
    with background_printer(out) as printer:
        where = ["--host", "127.0.0.1", "--port", str(printer.port), "--called-ae", "VPRINTER"]
        code = main(["print", MR, "-", MR, *where, "--format", "STANDARD\\2,2", "--dpi", "30"])
        _, err = capsys.readouterr()
        assert code == 0, err
        printer.wait_idle()
    [association] = print_associations(out)
    images = association.all("N-SET Grayscale Image Box")
    assert [b.dataset["ImageBoxPosition"] for b in images] == [1, 3]
