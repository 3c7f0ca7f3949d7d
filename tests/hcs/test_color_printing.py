"""pydicom's colour test files print on the virtual printer in colour, and each film the
printer renders equals the preview hcs drew of it, pixel for pixel (issue: planar RGB and
every other layout pydicom hands back used to stop at a kernel's layout rule)."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage

from hcs.cli import main
from hcs.print_command import preview_paths
from tests.hcs.formatter.color_files import color_test_files
from tests.hcs.vprinter.helpers import background_printer

DPI = 60  # small films: 8INX10IN is 480 x 600 pixels
GEOMETRY = {"margin_mm": 0.0, "gap_mm": 0.0}  # boxes of whole pixels: 6 x 5 boxes of 80 x 120


@pytest.fixture(scope="module")
def printer(tmp_path_factory):
    out = tmp_path_factory.mktemp("vprinter")
    overrides = {f"film__{key}": value for key, value in GEOMETRY.items()}
    with background_printer(out, film__resolution_dpi=DPI, png_dpi=DPI, **overrides) as running:
        yield running, out


@pytest.fixture(scope="module")
def profile(printer, tmp_path_factory):
    running, _ = printer
    lines = [
        "[printers.colour]",
        'ae_title = "VPRINTER"',
        'host = "127.0.0.1"',
        f"port = {running.port}",
        "color = true",
        f"resolution_dpi = {DPI}",
        *(f"{key} = {value}" for key, value in GEOMETRY.items()),
    ]
    path = tmp_path_factory.mktemp("config") / "hcs.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("path", color_test_files(), ids=lambda p: p.name)
def test_pydicom_colour_file_prints_in_colour_as_previewed(
    path, printer, profile, tmp_path, capsys
):
    running, out = printer
    preview = tmp_path / "film.png"
    argv = ["print", str(path), "--color", "--printer", "colour", "--config", profile]
    argv += ["--film-size", "8INX10IN", "--preview", str(preview), "--preview-width", "480"]
    if int(pydicom.dcmread(path, stop_before_pixels=True).get("NumberOfFrames", 1) or 1) > 1:
        argv += ["--format", "STANDARD\\6,5"]  # every frame on one film
    code = main([*argv, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["ok"] and report["outcome"]["printed"]
    films = report["outcome"]["films"]
    assert [(f["state"], f["warnings"]) for f in films] == [("printed", [])] * len(films)
    running.wait_idle()
    for film, drawn in zip(films, preview_paths(str(preview), len(films)), strict=True):
        printed = film_png(out, film["print_job_uid"])
        expected = np.asarray(PILImage.open(drawn))
        assert printed.shape == expected.shape == (600, 480, 3)
        assert np.array_equal(printed, expected), f"{path.name}: film differs from its preview"


def film_png(out, print_job_uid: str) -> np.ndarray:
    for record in (out / "films").glob("*.json"):
        film = json.loads(record.read_text())
        if film.get("print_job") == print_job_uid:
            return np.asarray(PILImage.open(out / "films" / film["png"]))
    raise AssertionError(f"the printer rendered no film for Print Job {print_job_uid}")
