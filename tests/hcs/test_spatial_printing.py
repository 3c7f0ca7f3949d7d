"""Rotated, flipped, zoomed and cropped frames printed on the virtual printer: the film
it renders equals the preview pixel for pixel, and what went on the wire is the
transformed image (its pixel matrix turned, cut to the region of interest)."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom import examples

import hcs
from hcs.formatter import OverlayPlanes, Text
from tests.hcs.formatter.helpers import at_own_size, bundled, numpy_view
from tests.hcs.vprinter.helpers import background_printer
from tests.hcs.wire import print_associations

DPI = 60  # 8INX10IN is 480 x 600 pixels
GEOMETRY = {"film__margin_mm": 0.0, "film__gap_mm": 0.0}


def rendered(out, print_job_uid: str) -> np.ndarray:
    for record in (out / "films").glob("*.json"):
        film = json.loads(record.read_text())
        if film.get("print_job") == print_job_uid:
            return np.asarray(PILImage.open(out / "films" / film["png"]))
    raise AssertionError(f"the printer rendered no film for Print Job {print_job_uid}")


def preview(result, width: int) -> np.ndarray:
    import io

    return np.asarray(PILImage.open(io.BytesIO(result.preview_png(0, width))))


@pytest.mark.parametrize("bits", [8, 12])
def test_transformed_frames_print_as_previewed(tmp_path, bits):
    ct = examples.get_path("ct")
    overlay = bundled("examples_overlay.dcm")
    frames = [
        hcs.Frame(ct, rotate=90, flip="horizontal", window=(40, 400)),
        hcs.Frame(ct, roi=(40, 20, 60, 90), rotate=180, zoom=1.5),
        hcs.Frame(overlay, rotate=270, overlays=(OverlayPlanes(), Text("R", corner="top-right"))),
        hcs.Frame(ct, flip="vertical", zoom=0.6),
    ]
    out = tmp_path / "vprinter"
    with background_printer(out, film__resolution_dpi=DPI, png_dpi=DPI, **GEOMETRY) as printer:
        profile = hcs.PrinterProfile(
            name="vp",
            host="127.0.0.1",
            port=printer.port,
            ae_title="VPRINTER",
            resolution_dpi=DPI,
            bits=bits,
        )
        result = hcs.print_images(
            frames, printer=profile, display_format="STANDARD\\2,2", film_size="8INX10IN"
        )
        printer.wait_idle()
    assert result.printed, result.outcome.as_json()
    [film] = result.outcome.as_json()["films"]
    printed = rendered(out, film["print_job_uid"])
    assert printed.shape == (600, 480)
    drawn = preview(result, 480)
    if bits == 8:
        assert np.array_equal(printed, drawn)
    else:
        # 12-bit P-values shown in 8 bits: the virtual printer drops the low 4 bits, the
        # preview rounds (as before this change: one level at most, the same without
        # any transformation).
        assert np.abs(printed.astype(int) - drawn).max() <= 1


def test_printer_scaling_sends_the_turned_region_at_its_own_size(tmp_path):
    gray = np.arange(30 * 50, dtype=np.uint16).reshape(30, 50)
    big = np.arange(128 * 128, dtype=np.uint16).reshape(128, 128) % 3000
    out = tmp_path / "vprinter"
    with background_printer(out, film__resolution_dpi=DPI, png_dpi=DPI, **GEOMETRY) as printer:
        profile = hcs.PrinterProfile(
            name="vp",
            host="127.0.0.1",
            port=printer.port,
            ae_title="VPRINTER",
            resolution_dpi=DPI,
            scaling="printer",
            bits=12,
        )
        job = {"printer": profile, "display_format": "STANDARD\\1,2", "film_size": "8INX10IN"}
        window = {"window": (1500.0, 3000.0)}
        result = hcs.print_images(
            [
                hcs.Frame(gray, rotate=90, **window),
                hcs.Frame(big, roi=(10, 20, 64, 32), rotate=270, flip="horizontal", **window),
            ],
            **job,
        )
        # The same pixels turned by numpy beforehand print the same film.
        turned = [np.rot90(gray, -1), np.rot90(big[20:52, 10:74], -3)[:, ::-1]]
        reference = hcs.print_images([hcs.Frame(a, **window) for a in turned], **job)
        printer.wait_idle()
    assert result.printed and reference.printed
    first, _reference = print_associations(out)
    sizes = [
        (item["Rows"], item["Columns"])
        for box in first.all("N-SET Grayscale Image Box")
        for item in box.dataset["BasicGrayscaleImageSequence"]
    ]
    assert sizes == [(50, 30), (64, 32)]  # turned: rows and columns trade places
    films = [r.outcome.as_json()["films"][0]["print_job_uid"] for r in (result, reference)]
    assert np.array_equal(rendered(out, films[0]), rendered(out, films[1]))


def test_print_images_takes_rotate_flip_zoom_and_roi_as_job_options(tmp_path):
    """The Python API's keywords (JobOptions fields) reach the Image Box: the region,
    turned and mirrored, sent at its own size to a printer that magnifies."""
    ct = examples.get_path("ct")  # 128 x 128
    out = tmp_path / "vprinter"
    with background_printer(out, store_dicom=True) as printer:
        profile = hcs.PrinterProfile(
            name="vp",
            host="127.0.0.1",
            port=printer.port,
            ae_title="VPRINTER",
            resolution_dpi=DPI,
            scaling="printer",
        )
        job = {"rotate": 270, "flip": "vertical", "roi": (10, 20, 64, 32), "window": (40, 400)}
        result = hcs.print_images(ct, printer=profile, **job)
        printer.wait_idle()
    assert result.printed, result.outcome.as_json()
    [stored] = (out / "films").glob("*-box01.dcm")
    sent = pydicom.dcmread(stored).BasicGrayscaleImageSequence[0]
    pixels = np.frombuffer(sent.PixelData, np.uint8).reshape(sent.Rows, sent.Columns)
    pvalues = at_own_size(ct, window=(40, 400))
    assert np.array_equal(pixels, numpy_view(pvalues, 270, "vertical", (10, 20, 64, 32)))


def test_requested_image_size_is_the_width_of_the_turned_image(tmp_path):
    """Requested Image Size (the printer scales the image to that width): after a
    quarter turn the width is the source's height, so a 30 x 50 image turned is printed
    40 mm wide and 40 x 50 / 30 mm tall."""
    white = np.full((30, 50), 4000, np.uint16)
    out = tmp_path / "vprinter"
    with background_printer(out, film__resolution_dpi=DPI, png_dpi=DPI, **GEOMETRY) as printer:
        profile = hcs.PrinterProfile(
            name="vp",
            host="127.0.0.1",
            port=printer.port,
            ae_title="VPRINTER",
            resolution_dpi=DPI,
            scaling="printer",
        )
        job = {"printer": profile, "film_size": "8INX10IN", "window": (100.0, 200.0)}
        turned = hcs.print_images(white, rotate=90, requested_image_size=40.0, **job)
        plain = hcs.print_images(white, requested_image_size=40.0, **job)
        printer.wait_idle()
    sizes = []
    for result in (turned, plain):
        film = rendered(out, result.outcome.as_json()["films"][0]["print_job_uid"])
        rows, columns = np.nonzero(film == 255)
        sizes.append((columns.max() - columns.min() + 1, rows.max() - rows.min() + 1))
    width = 40 / 25.4 * DPI  # 94.5 film pixels
    assert abs(sizes[0][0] - width) <= 1 and abs(sizes[0][1] - width * 50 / 30) <= 2
    assert abs(sizes[1][0] - width) <= 1 and abs(sizes[1][1] - width * 30 / 50) <= 2
