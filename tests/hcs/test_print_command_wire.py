"""``hcs print``: each job option reaches the printer as the attribute it names.

Printed on the virtual printer, read back from its association record (what arrived,
before any printer default): see ``tests/hcs/wire.py`` and ``make mutate``.
"""

from __future__ import annotations

import contextlib
import json
import socket

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from hcs.cli import main
from tests.hcs.formatter.helpers import at_own_size
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
            (["--rotate", "45"], "--rotate: 45 is not one of 0, 90, 180, 270"),
            (["--flip", "diagonal"], "--flip: 'DIAGONAL' is not one of HORIZONTAL, VERTICAL"),
            (["--zoom", "0"], "--zoom: 0.0 must be from 0.01 to 16"),
            (["--roi", "60,0,10,10"], "roi: columns 60..69, rows 0..9 do not lie inside"),
        ):
            base = ["print", MR, "--host", "127.0.0.1", "--port", str(port)]
            code = main([*base, *wrong])
            _, err = capsys.readouterr()
            assert code == 2 and message in err, (wrong, err)
            with contextlib.suppress(TimeoutError):
                connections.append(listener.accept())
        with pytest.raises(SystemExit) as usage:  # argparse's own type check
            main(["print", MR, "--host", "127.0.0.1", "--port", str(port), "--roi", "1,2,3"])
        assert usage.value.code == 2
        assert "--roi: '1,2,3' is not X,Y,WIDTH,HEIGHT" in capsys.readouterr().err
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


def test_rotate_flip_zoom_and_roi_reach_the_image_box(capsys, tmp_path):
    """``--rotate 90 --flip horizontal --roi 3,5,40,20 --zoom 0.5`` on a printer that
    magnifies itself: the Image Box carries the 40 x 20 region turned (40 rows, 20
    columns), mirrored, padded to twice its size for the zoom, pixel for pixel."""
    from tests.hcs.formatter.helpers import sent_at_own_size

    raw = pydicom.dcmread(MR).pixel_array  # 64 x 64, 16-bit
    window = (float(raw.max()) / 2 + 0.5, float(raw.max()) + 1)
    out = tmp_path / "vprinter"
    with background_printer(out, store_dicom=True) as printer:
        config = tmp_path / "hcs.toml"
        config.write_text(
            f'[printers.vp]\nhost = "127.0.0.1"\nport = {printer.port}\n'
            'ae_title = "VPRINTER"\nscaling = "printer"\nresolution_dpi = 30\n'
        )
        argv = ["print", MR, "--printer", "vp", "--config", str(config), "--json"]
        argv += ["--rotate", "90", "--flip", "horizontal", "--roi", "3,5,40,20", "--zoom", "0.5"]
        argv += ["--window", f"{window[0]},{window[1]}"]
        code = main(argv)
        report, err = capsys.readouterr()
        assert code == 0, err
        printer.wait_idle()
    box = json.loads(report)["films"][0]["boxes"][0]
    assert (box["shown"], box["rotate"], box["flip"]) == ([3, 5, 40, 20], 90, "HORIZONTAL")
    [association] = print_associations(out)
    [item] = association.only("N-SET Grayscale Image Box").dataset["BasicGrayscaleImageSequence"]
    assert (item["Rows"], item["Columns"]) == (80, 40)
    [stored] = (out / "films").glob("*-box01.dcm")
    sent = pydicom.dcmread(stored).BasicGrayscaleImageSequence[0]
    pixels = np.frombuffer(sent.PixelData, np.uint8).reshape(sent.Rows, sent.Columns)
    pvalues = at_own_size(MR, window=window)  # the untransformed P-values
    view, where, shape = sent_at_own_size(pvalues, 90, "horizontal", (3, 5, 40, 20), 0.5)
    assert shape == (80, 40) and np.array_equal(pixels[where], view)
