"""Sources (DICOM files and data sets, Pillow images, arrays) and the colour pipeline."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_color_lut, pixel_array

from hcs.formatter.source import SourceError, from_array, load
from tests.hcs.formatter.helpers import at_own_size, bundled, fresh, in_box


def luma(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return np.floor(0.299 * r + 0.587 * g + 0.114 * b + 0.5).astype(np.int64)


def close(a: np.ndarray, b: np.ndarray, tolerance: int = 1) -> None:
    assert a.shape == b.shape
    assert int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max()) <= tolerance


# -- DICOM -------------------------------------------------------------------------------


def test_multi_frame_picks_the_frame():
    ds = bundled("SC_rgb_rle_2frame.dcm")  # RLE, decoded by pydicom itself
    both = ds.pixel_array
    assert np.array_equal(at_own_size(ds, color=True, frame=1), both[1])
    assert np.array_equal(at_own_size(ds, color=True, frame=0), both[0])
    with pytest.raises(SourceError, match="frame 2 does not exist \\(the image has 2\\)"):
        at_own_size(ds, color=True, frame=2)


def test_a_path_is_read_with_pydicom():
    path = get_testdata_file("MR_small.dcm")
    image = load(path)
    assert image.rows == 64 and image.photometric == "MONOCHROME2"
    assert image.windows[0].center == 600 and image.pixel_spacing == (0.3125, 0.3125)


def test_rgb_on_a_colour_film_is_unchanged_and_on_gray_is_luma():
    ds = bundled("examples_rgb_color.dcm")
    rgb = ds.pixel_array
    assert np.array_equal(at_own_size(ds, color=True), rgb)
    close(at_own_size(ds), luma(rgb))
    assert np.array_equal(at_own_size(ds, color=True, polarity="REVERSE"), 255 - rgb)
    twelve = at_own_size(ds, bits=12)
    close(twelve, np.floor(luma(rgb) * 4095 / 255 + 0.5), 16)


def test_ybr_full_is_converted_to_rgb():
    ds = bundled("SC_ybr_full_422_uncompressed.dcm")
    assert ds.PhotometricInterpretation == "YBR_FULL_422"
    assert np.array_equal(at_own_size(ds, color=True), pixel_array(ds))  # pydicom's RGB


def test_ybr_jpeg_multiframe():
    ds = bundled("examples_ybr_color.dcm")  # 30 frames, JPEG baseline via Pillow
    assert np.array_equal(at_own_size(ds, color=True, frame=7), pixel_array(ds, index=7))


def test_palette_color_matches_pydicom():
    ds = bundled("examples_palette.dcm")  # 16-bit palette entries
    reference = apply_color_lut(ds.pixel_array, ds).astype(np.float64) * 255 / 65535
    close(at_own_size(ds, color=True), np.floor(reference + 0.5))
    close(at_own_size(ds), luma(np.floor(reference + 0.5)))


def test_gray_on_a_colour_film_is_replicated():
    ds = bundled("MR_small.dcm")
    gray = at_own_size(ds)
    rgb = at_own_size(ds, color=True)
    assert rgb.shape == (*gray.shape, 3)
    for channel in range(3):
        assert np.array_equal(rgb[..., channel], gray)
    boxed = in_box(ds, 100, 60, color=True).pixels
    assert np.array_equal(boxed[..., 0], boxed[..., 2])


def test_compressed_without_a_decoder_names_the_transfer_syntax():
    ds = bundled("MR_small_RLE.dcm")
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: nothing decodes it
    with pytest.raises(SourceError, match="MPEG2 Main Profile") as raised:
        at_own_size(ds)
    assert "frame 0" in str(raised.value)


def test_the_codecs_extra_decodes_what_pillow_refuses():
    """hcs[codecs] (installed by `make test`) decodes JPEG-LS, which Pillow cannot."""
    lossless = at_own_size(bundled("MR_small_jpeg_ls_lossless.dcm"))
    assert np.array_equal(lossless, at_own_size(bundled("MR_small.dcm")))


def test_compressed_with_a_decoder_works():
    ds = bundled("MR_small_RLE.dcm")
    plain = bundled("MR_small.dcm")
    assert np.array_equal(at_own_size(ds), at_own_size(plain))


def test_unreadable_inputs():
    with pytest.raises(SourceError, match="not a readable DICOM file"):
        load(__file__)
    no_pixels = fresh("MR_small.dcm")
    del no_pixels.PixelData
    with pytest.raises(SourceError, match="has no Pixel Data"):
        at_own_size(no_pixels)
    odd = fresh("MR_small.dcm")
    odd.PhotometricInterpretation = "HSV"
    with pytest.raises(SourceError, match="'HSV' is not supported"):
        at_own_size(odd)


# -- Pillow and arrays -------------------------------------------------------------------


def test_png_and_jpeg_via_pillow(tmp_path):
    gray8 = (np.arange(48 * 64) % 256).astype(np.uint8).reshape(48, 64)
    PILImage.fromarray(gray8).save(tmp_path / "g8.png")
    assert np.array_equal(at_own_size(tmp_path / "g8.png"), gray8)
    gray16 = (np.arange(48 * 64, dtype=np.uint16) * 20).reshape(48, 64)
    PILImage.fromarray(gray16).save(tmp_path / "g16.png")
    image = load(tmp_path / "g16.png")
    assert image.pixels.dtype == np.uint16 and image.bits_stored == 16
    ours = at_own_size(tmp_path / "g16.png")
    assert ours.min() == 0 and ours.max() == 255  # no VOI: the image's range
    rgb = np.dstack([gray8, 255 - gray8, gray8 // 2])
    PILImage.fromarray(rgb).save(tmp_path / "c.png")
    assert np.array_equal(at_own_size(tmp_path / "c.png", color=True), rgb)
    PILImage.fromarray(rgb).save(tmp_path / "c.jpg", quality=95)
    decoded = np.array(PILImage.open(tmp_path / "c.jpg").convert("RGB"))
    assert np.array_equal(at_own_size(tmp_path / "c.jpg", color=True), decoded)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(SourceError, match="not a readable image"):
        load(tmp_path / "bad.png")


def test_arrays_from_the_python_api():
    signed = np.array([[-1000, 0], [500, 3000]], np.int16)
    out = at_own_size(signed, window=(0, 2000))
    assert out.tolist() == [[0, 128], [191, 255]]
    assert at_own_size(signed, window=(0, 2000), photometric="MONOCHROME1").tolist() == [
        [255, 127],
        [64, 0],
    ]
    with pytest.raises(SourceError, match="8- or 16-bit integers"):
        from_array(np.zeros((4, 4), np.float32))
    with pytest.raises(SourceError, match="an RGB array must be uint8"):
        from_array(np.zeros((4, 4, 3), np.uint16))
    with pytest.raises(SourceError, match="MONOCHROME1 or MONOCHROME2, not RGB"):
        from_array(np.zeros((4, 4), np.uint8), "RGB")


def test_32_bit_data_goes_through_numpy():
    ds = bundled("rtdose_1frame.dcm")  # uint32 dose grid, no window
    out = at_own_size(ds)
    values = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1) or 1)
    expected = np.floor((values - values.min()) / (values.max() - values.min()) * 255 + 0.5)
    close(out, expected)


def test_enhanced_multiframe_functional_groups():
    ds = fresh("MR_small.dcm")
    # Per-frame VOI in a functional group, as enhanced images carry it.
    from pydicom.dataset import Dataset

    voi, group = Dataset(), Dataset()
    voi.WindowCenter, voi.WindowWidth = 1000, 500
    group.FrameVOILUTSequence = [voi]
    ds.PerFrameFunctionalGroupsSequence = [group]
    ds.WindowCenter, ds.WindowWidth = 600, 1600
    plain = fresh("MR_small.dcm")
    assert np.array_equal(at_own_size(ds), at_own_size(plain, window=(1000, 500)))


def test_pydicom_reads_what_we_read():
    # The bundled files used above really are what the tests say they are.
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    assert ds.PixelRepresentation == 1 and ds.RescaleIntercept == -1024


@pytest.mark.parametrize(
    "name",
    [
        "CT_small.dcm",
        "MR_small.dcm",
        "examples_overlay.dcm",
        "image_dfl.dcm",
        "MR_small_bigendian.dcm",
        "rtdose.dcm",
    ],
)
def test_stored_values_equal_pydicoms(name):
    from hcs.formatter.source import from_dataset

    ds = bundled(name)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    expected = ds.pixel_array if frames == 1 else ds.pixel_array[frames - 1]
    assert np.array_equal(from_dataset(ds, frames - 1).pixels, expected)


def test_bits_above_the_high_bit_are_cleared():
    ds = fresh("examples_overlay.dcm")  # 12 of 16 bits stored
    raw = np.frombuffer(ds.PixelData, "<u2").copy()
    raw[::7] |= 0x8000  # old overlay bits, PS3.5 8.1.1
    ds.PixelData = raw.tobytes()
    from hcs.formatter.source import from_dataset

    assert np.array_equal(from_dataset(ds).pixels, pixel_array(ds))
    assert from_dataset(ds).pixels.max() < 4096
