"""Frames and printer defaults outside the server: ``hcs print --frame`` and the Python
API place each frame in its box with its own values, and a printer's ``defaults``
(``[printers.NAME.defaults]``, or ``PrinterProfile(defaults=...)``) reach the wire
where the job names nothing — a job's own value wins (``tests/hcs/wire.py``)."""

from __future__ import annotations

import pytest
from pydicom.data import get_testdata_file

import hcs
from hcs.cli import main
from hcs.formatter import Frame, JobFrame
from tests.hcs.vprinter.helpers import background_printer
from tests.hcs.wire import print_associations

MR = get_testdata_file("MR_small.dcm")
CT = get_testdata_file("CT_small.dcm")


def image_boxes(out) -> list[dict]:
    [association] = print_associations(out)
    return [r.dataset for r in association.all("N-SET Grayscale Image Box")]


def write_config(path, port: int, defaults: str = "", extra: str = "") -> str:
    path.write_text(
        f'[printers.lab]\nae_title = "VPRINTER"\nhost = "127.0.0.1"\nport = {port}\n'
        f"resolution_dpi = 30\n{extra}"
        + (f"[printers.lab.defaults]\n{defaults}" if defaults else "")
    )
    return str(path)


def test_hcs_print_frames_go_to_their_boxes(tmp_path, capsys):
    out = tmp_path / "vp"
    with background_printer(out) as printer:
        code = main(
            [
                "print",
                "--host",
                "127.0.0.1",
                "--port",
                str(printer.port),
                "--called-ae",
                "VPRINTER",
                "--dpi",
                "30",
                "--format",
                "STANDARD\\2,2",
                "--polarity",
                "NORMAL",
                "--frame",
                f"{MR},box=4,polarity=REVERSE,requested_image_size=40",
                "--frame=-",  # box 5 does not exist: box 1 of the next film, left empty
                "--frame",
                f"{CT},box=2",
            ]
        )
        printer.wait_idle()
    assert code == 0, capsys.readouterr()
    films = []
    for association in print_associations(out):
        current: list[dict] = []
        for request in association.requests:
            if request.operation == "N-SET Grayscale Image Box":
                current.append(request.dataset)
            elif request.operation == "N-ACTION Film Box":
                films.append(current)
                current = []
    assert [[(b["ImageBoxPosition"], b["Polarity"]) for b in f] for f in films] == [
        [(4, "REVERSE")],
        [(2, "NORMAL")],
    ]
    assert films[0][0]["RequestedImageSize"] == 40.0 and "RequestedImageSize" not in films[1][0]


def test_hcs_print_refuses_a_frame_beyond_the_format(tmp_path, capsys):
    code = main(["print", "--dry-run", "--format", "ROW\\2", "--frame", f"{MR},box=3"])
    assert code == 2
    assert "frames[0].box: box 3 is beyond the film's 2 image box(es)" in capsys.readouterr().err


def test_the_python_api_takes_frames_with_places_and_their_own_values(tmp_path):
    out = tmp_path / "vp"
    with background_printer(out) as printer:
        result = hcs.print_images(
            [
                Frame(MR, box=3, image_box_polarity="REVERSE"),
                JobFrame(CT, box=1, values={"polarity": "REVERSE", "window": (40, 400)}),
                JobFrame(None, box=2),
                MR,  # the next box after 2: box 3
            ],
            host="127.0.0.1",
            port=printer.port,
            called_ae="VPRINTER",
            display_format="STANDARD\\2,2",
        )
        printer.wait_idle()
    assert result.printed
    assert [len([b for b in film.boxes if b is not None]) for film in result.films] == [1, 2]
    # film 1: box 3; film 2 (box 1 <= 3): boxes 1 and 3
    positions = [b["ImageBoxPosition"] for b in image_boxes(out)]
    assert positions == [3, 1, 3]


def test_printer_defaults_from_hcs_toml_reach_the_wire_and_a_job_value_wins(tmp_path, capsys):
    out = tmp_path / "vp"
    with background_printer(out) as printer:
        config = write_config(
            tmp_path / "hcs.toml",
            printer.port,
            'copies = 3\nmedium = "BLUE FILM"\nfilm_size = "8INX10IN"\npolarity = "REVERSE"\n'
            'format = "STANDARD\\\\1,2"\nlabel = "from the printer"\n',
        )
        code = main(["print", MR, "--printer", "lab", "--config", config, "--copies", "1"])
        printer.wait_idle()
    assert code == 0, capsys.readouterr()
    [association] = print_associations(out)
    session = association.only("N-CREATE Film Session").dataset
    assert session["NumberOfCopies"] == 1  # the job's
    assert session["MediumType"] == "BLUE FILM"  # the printer's default
    assert session["FilmSessionLabel"] == "from the printer"
    box = association.only("N-CREATE Film Box").dataset
    assert box["FilmSizeID"] == "8INX10IN" and box["ImageDisplayFormat"] == "STANDARD\\1,2"
    [image] = association.all("N-SET Grayscale Image Box")
    assert image.dataset["Polarity"] == "REVERSE"


def test_printer_defaults_of_a_profile_in_the_python_api(tmp_path):
    out = tmp_path / "vp"
    with background_printer(out) as printer:
        profile = hcs.PrinterProfile(
            name="lab",
            host="127.0.0.1",
            port=printer.port,
            ae_title="VPRINTER",
            film_sizes=("14INX17IN", "8INX10IN"),
            defaults={"film_size": "8INX10IN", "orientation": "LANDSCAPE", "copies": 2},
        )
        result = hcs.print_images(MR, printer=profile, orientation="PORTRAIT")
        printer.wait_idle()
    assert result.printed
    [association] = print_associations(out)
    box = association.only("N-CREATE Film Box").dataset
    # the profile's default over its first film size; the job's orientation over the default
    assert (box["FilmSizeID"], box["FilmOrientation"]) == ("8INX10IN", "PORTRAIT")
    assert association.only("N-CREATE Film Session").dataset["NumberOfCopies"] == 2


@pytest.mark.parametrize(
    ("defaults", "extra", "message"),
    [
        ("copies = 0\n", "", "printers.lab.defaults.copies: 0 must be from 1 to 99"),
        ("spin = 90\n", "", "printers.lab.defaults.spin: not a job option"),
        ("rotate = 45\n", "", "printers.lab.defaults.rotate: 45 is not one of"),
        ('window = "wide"\n', "", "printers.lab.defaults.window: must be [center, width]"),
        (
            'film_size = "8INX10IN"\n',
            'film_sizes = ["14INX17IN"]\n',
            "printers.lab.defaults.film_size: '8INX10IN' is not taken by printer lab",
        ),
        ("color = true\n", "", "printers.lab.defaults.color: the printer prints grayscale"),
    ],
)
def test_a_bad_default_is_refused_at_load_naming_printer_key_and_reason(
    tmp_path, defaults, extra, message
):
    from hcs.errors import ConfigError
    from hcs.server.config import load

    path = write_config(tmp_path / "hcs.toml", 104, defaults, extra)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert message in str(caught.value)
