"""The Formatter's thread pool, films, the job -> PrintRequest step and densities."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from hcs.driver import PrinterProfile, validate_request
from hcs.film import Resolution
from hcs.formatter import (
    FilmJob,
    FormatError,
    Formatter,
    Frame,
    JobOptions,
    PrinterSettings,
    build_print_request,
    build_print_request_async,
)
from hcs.formatter import engine as engine_module
from hcs.formatter.density import density_to_pvalue, jnd_index
from hcs.job.model import FilmBoxSpec

SMALL = PrinterSettings(resolution=Resolution(dpi=50))
FILES = [get_testdata_file(n) for n in ("CT_small.dcm", "MR_small.dcm", "examples_overlay.dcm")]


def film(fmt="STANDARD\\2,2", frames=None, **box):
    frames = frames if frames is not None else [Frame(f) for f in FILES]
    return FilmJob(FilmBoxSpec(fmt, film_size_id="8INX10IN", **box), frames)


def test_frames_run_on_worker_threads_never_on_the_event_loop(monkeypatch):
    seen: list[str] = []
    real = engine_module.format_frame

    def spy(frame, target):
        seen.append(threading.current_thread().name)
        return real(frame, target)

    monkeypatch.setattr(engine_module, "format_frame", spy)

    async def main():
        loop_thread = threading.current_thread().name
        with Formatter(SMALL, workers=2) as formatter:
            result = await formatter.format_film_async(film())
        return loop_thread, result

    loop_thread, result = asyncio.run(main())
    assert len(seen) == 3 and all(name.startswith("hcs-format") for name in seen)
    assert loop_thread not in seen
    assert [b is None for b in result.boxes] == [False, False, False, True]


def test_film_boxes_have_the_box_sizes_and_the_spec_drops_trailing_empties():
    with Formatter(SMALL, workers=2) as formatter:
        result = formatter.format_film(film())
    assert (result.layout.width, result.layout.height) == (400, 500)
    for box in result.boxes[:3]:
        assert box.pixels.shape == (250, 200) and box.pixels.dtype == np.uint8
        assert box.spec.magnification_type is None  # host scaling: nothing left to scale
    spec = result.film_spec()
    assert len(spec.images) == 3 and spec.box.image_display_format == "STANDARD\\2,2"
    holes = film(frames=[None, Frame(FILES[0])])
    with Formatter(SMALL, workers=1) as formatter:
        assert formatter.format_film(holes).film_spec().images[0] is None


def test_printer_magnifies_mode_sends_images_at_their_own_size():
    settings = PrinterSettings(resolution=Resolution(dpi=50), scaling="printer")
    with Formatter(settings, workers=1) as formatter:
        result = formatter.format_film(film(magnification_type="CUBIC"))
    assert result.boxes[0].pixels.shape == (128, 128)
    assert result.boxes[2].pixels.shape == (300, 484)
    assert result.boxes[0].spec.magnification_type == "CUBIC"
    assert result.boxes[0].scale == pytest.approx(200 / 128)


def test_twelve_bit_printer():
    settings = PrinterSettings(resolution=Resolution(dpi=50), bits=12)
    with Formatter(settings, workers=1) as formatter:
        result = formatter.format_film(film(frames=[Frame(FILES[1])]))
    px = result.boxes[0].pixels
    assert px.dtype == np.uint16 and px.max() <= 4095 and px.max() > 255


def test_empty_density_fills_around_the_image():
    with Formatter(SMALL, workers=1) as formatter:
        white = formatter.format_film(
            film("STANDARD\\1,1", [Frame(FILES[0])], empty_image_density="WHITE")
        )
        black = formatter.format_film(film("STANDARD\\1,1", [Frame(FILES[0])]))
    assert white.empty_pvalue == 255 and black.empty_pvalue == 0
    p = white.boxes[0].placement  # 128 x 128 in 400 x 500: 50 rows above and below
    assert (p.y, p.height) == (50, 400)
    assert (white.boxes[0].pixels[:50] == 255).all()
    assert (black.boxes[0].pixels[:50] == 0).all()


def test_film_errors_name_the_box_and_the_problem():
    with Formatter(SMALL, workers=1) as formatter:
        with pytest.raises(FormatError, match="4 images for STANDARD\\\\1,3"):
            formatter.format_film(film("STANDARD\\1,3", [Frame(FILES[0])] * 4))
        with pytest.raises(FormatError, match="'0' is not a positive whole number"):
            formatter.format_film(film("STANDARD\\0,2"))
        with pytest.raises(FormatError, match=r"image box 2: .*MR_small.dcm: window 5 does not"):
            formatter.format_film(film(frames=[Frame(FILES[0]), Frame(FILES[1], voi_index=5)]))
        colour = film()
        colour.color = True
        with pytest.raises(FormatError, match="colour film was asked of a grayscale printer"):
            formatter.format_film(colour)


def test_build_print_request_fills_films_in_order():
    options = JobOptions(
        display_format="STANDARD\\2,1",
        film_size="8INX10IN",
        copies=2,
        priority="HIGH",
        medium="BLUE FILM",
        label="ward 7",
    )
    rgb2 = get_testdata_file("SC_rgb_rle_2frame.dcm")  # two frames: two boxes
    profile = PrinterProfile(name="p", host="h", port=104, resolution_dpi=40)
    request, films = build_print_request(options, [*FILES, rgb2], profile)
    assert len(films) == 3 and len(request.films) == 3
    assert [len(f.images) for f in request.films] == [2, 2, 1]
    assert films[1].boxes[1].source.endswith("SC_rgb_rle_2frame.dcm frame 0")
    assert films[2].boxes[0].source.endswith("SC_rgb_rle_2frame.dcm frame 1")
    assert request.session.number_of_copies == 2 and request.session.print_priority == "HIGH"
    assert request.films[0].box.film_size_id == "8INX10IN"
    assert films[0].layout.width == 320  # 8 in at the profile's 40 dpi
    validate_request(request, profile)


def test_build_print_request_errors():
    options = JobOptions(film_size="8INX10IN")
    with pytest.raises(FormatError, match="needs at least one image"):
        build_print_request(options, [])
    with pytest.raises(FormatError, match="not a readable DICOM file"):
        build_print_request(options, [__file__])
    with pytest.raises(FormatError, match="grayscale printer; it cannot print a colour job"):
        build_print_request(
            JobOptions(color=True), FILES[:1], PrinterProfile(name="gray", host="h", port=1)
        )


def test_build_print_request_async_and_arrays():
    options = JobOptions(film_size="8INX10IN", color=True, window=(100, 200))
    profile = PrinterProfile(name="c", host="h", port=1, color=True, resolution_dpi=20)
    gradient = np.tile(np.arange(256, dtype=np.uint8), (64, 1))

    async def main():
        return await build_print_request_async(options, [gradient], profile)

    request, films = asyncio.run(main())
    assert request.color and films[0].boxes[0].pixels.shape == (200, 160, 3)
    validate_request(request, profile)


# -- densities --------------------------------------------------------------------------


def test_gsdf_jnd_index_values():
    assert jnd_index(1.0) == pytest.approx(71.498068)  # log10(1) = 0: the constant term
    coefficients = (
        71.498068,
        94.593053,
        41.912053,
        9.8247004,
        0.28175407,
        -1.1878455,
        -0.18014349,
        0.14710899,
        -0.017046845,
    )
    assert jnd_index(10.0) == pytest.approx(sum(coefficients))


def test_densities_as_pvalues():
    assert density_to_pvalue("BLACK") == 0 and density_to_pvalue("WHITE") == 255
    assert density_to_pvalue(None) == 0  # the default: black, as most printers
    assert density_to_pvalue("20") == 255 and density_to_pvalue("300") == 0  # Dmin / Dmax
    values = [density_to_pvalue(str(d), 12) for d in range(20, 301, 20)]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    assert density_to_pvalue("100", min_density=100, max_density=200) == 255
    with pytest.raises(ValueError, match="not BLACK, WHITE"):
        density_to_pvalue("GRAY")
