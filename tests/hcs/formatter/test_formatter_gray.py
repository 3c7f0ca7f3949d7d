"""The grayscale pipeline against pydicom's own Modality, VOI and Presentation LUT code.

pydicom (``apply_modality_lut``, ``apply_voi_lut``/``apply_windowing``,
``apply_presentation_lut``) is the independent reference: the formatted pixels, sent at
the image's own size, must equal pydicom's result scaled to the P-value range and
rounded, within 1 LSB. pydicom's bundled files have no CR and no MONOCHROME1 image, so
those two are made from bundled ones (a Modality LUT Sequence added to MR_small; MR_small
relabelled MONOCHROME1).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.pixels import (
    apply_modality_lut,
    apply_presentation_lut,
    apply_voi_lut,
    apply_windowing,
)

from hcs.formatter import gray
from hcs.formatter.source import from_array, from_dataset
from tests.hcs.formatter.helpers import at_own_size, bundled, fresh


def voi_output_range(ds: Dataset) -> tuple[float, float]:
    """The output range pydicom's apply_windowing maps a window onto (its docstring's
    rules: the Modality LUT's bit depth, else the stored range, rescaled)."""
    if ds.get("ModalityLUTSequence"):
        return 0.0, float(2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1)
    if ds.PixelRepresentation == 0:
        lo, hi = 0.0, float(2**ds.BitsStored - 1)
    else:
        lo, hi = -(2.0 ** (ds.BitsStored - 1)), 2.0 ** (ds.BitsStored - 1) - 1
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = ds.RescaleSlope, ds.RescaleIntercept
        lo, hi = lo * slope + intercept, hi * slope + intercept
    return lo, hi


def scaled(values: np.ndarray, lo: float, hi: float, bits: int = 8) -> np.ndarray:
    top = 2**bits - 1
    return np.floor((values.astype(np.float64) - lo) / (hi - lo) * top + 0.5).astype(np.int64)


def reference(ds: Dataset, *, index: int = 0, bits: int = 8) -> np.ndarray:
    """pydicom's Modality LUT then window, scaled to 0..2**bits-1 and rounded."""
    values = apply_windowing(apply_modality_lut(ds.pixel_array, ds), ds, index=index)
    return scaled(values, *voi_output_range(ds), bits)


def close(ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.shape == ref.shape
    assert int(np.abs(ours.astype(np.int64) - ref).max()) <= 1


# -- windows ------------------------------------------------------------------------------


def test_ct_signed_with_rescale_and_a_requested_window():
    ds = fresh("CT_small.dcm")  # int16, Rescale Intercept -1024, no window of its own
    ds.WindowCenter, ds.WindowWidth = 40, 400
    close(at_own_size(ds, window=(40, 400)), reference(ds))


def test_ct_at_12_bits():
    ds = fresh("CT_small.dcm")
    ds.WindowCenter, ds.WindowWidth = 300, 1500
    ours = at_own_size(ds, bits=12, window=(300, 1500))
    assert ours.dtype == np.uint16 and ours.max() <= 4095
    close(ours, reference(ds, bits=12))


def test_mr_with_its_own_window():
    ds = bundled("MR_small.dcm")  # WindowCenter 600, WindowWidth 1600
    close(at_own_size(ds), reference(ds))


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_voi_lut_functions(function):
    ds = fresh("MR_small.dcm")
    ds.VOILUTFunction = function
    close(at_own_size(ds), reference(ds))
    # The function may also be asked for by the job instead of the file.
    plain = bundled("MR_small.dcm")
    close(at_own_size(plain, voi_function=function), reference(ds))


def test_several_windows_chosen_by_index_or_explanation():
    ds = bundled("examples_overlay.dcm")  # WINDOW1 450/790, WINDOW2 200/443
    assert list(ds.WindowCenterWidthExplanation) == ["WINDOW1", "WINDOW2"]
    close(at_own_size(ds), reference(ds, index=0))
    close(at_own_size(ds, voi_index=1), reference(ds, index=1))
    close(at_own_size(ds, voi_explanation="window2"), reference(ds, index=1))
    with pytest.raises(gray.VoiError, match="no window or VOI LUT is called 'LUNG'"):
        at_own_size(ds, voi_explanation="LUNG")
    with pytest.raises(gray.VoiError, match="window 2 does not exist"):
        at_own_size(ds, voi_index=2)


# -- LUT sequences -----------------------------------------------------------------------


def lut_item(first: int, data: np.ndarray, bits: int, explanation: str = "") -> Dataset:
    item = Dataset()
    item.LUTDescriptor = [len(data) if len(data) < 65536 else 0, first, bits]
    item.LUTData = [int(v) for v in data]
    item["LUTData"].VR = "US"
    if explanation:
        item.LUTExplanation = explanation
    return item


def test_voi_lut_sequence():
    ds = fresh("MR_small.dcm")
    first, n = 100, 2100
    curve = np.floor(4095 * (np.arange(n) / (n - 1)) ** 0.7 + 0.5).astype(np.uint16)
    ds.VOILUTSequence = [lut_item(first, curve, 12, "GAMMA"), lut_item(first, curve[::-1], 12)]
    ref = scaled(apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds), 0, 4095)
    close(at_own_size(ds), ref)  # a VOI LUT is preferred over the window, as in pydicom
    close(at_own_size(ds, voi_explanation="gamma"), ref)
    second = scaled(apply_voi_lut(ds.pixel_array, ds, index=1), 0, 4095)
    close(at_own_size(ds, voi_index=1), second)


def test_modality_lut_sequence_cr_like():
    ds = fresh("MR_small.dcm")  # made CR-like: stored values through a Modality LUT
    ds.Modality = "CR"
    # 16 bits per entry: pydicom's apply_modality_lut takes 8 or 16.
    curve = np.floor(65535 * np.sqrt(np.arange(2048) / 2047) + 0.5).astype(np.uint16)
    ds.ModalityLUTSequence = [lut_item(128, curve, 16)]
    ds.WindowCenter, ds.WindowWidth = 40000, 30000
    close(at_own_size(ds), reference(ds))


# -- inversions and the Presentation LUT -----------------------------------------------


def test_monochrome1_is_inverted():
    ds = fresh("MR_small.dcm")
    ds.PhotometricInterpretation = "MONOCHROME1"
    close(at_own_size(ds), 255 - reference(ds))
    # REVERSE polarity on MONOCHROME1 cancels out.
    close(at_own_size(ds, polarity="REVERSE"), reference(ds))


def test_reverse_polarity_and_inverse_shape():
    ds = fresh("MR_small.dcm")
    ds.WindowCenter, ds.WindowWidth = 900, 900  # saturates both ends: min 0, max 255
    ref = reference(ds)
    assert ref.min() == 0 and ref.max() == 255
    close(at_own_size(ds, polarity="REVERSE"), 255 - ref)
    ds.PresentationLUTShape = "INVERSE"
    close(at_own_size(ds), apply_presentation_lut(ref, ds))
    close(at_own_size(ds, polarity="REVERSE"), ref)  # INVERSE and REVERSE cancel
    close(at_own_size(ds, presentation_shape="IDENTITY"), ref)  # the job overrides


def test_presentation_lut_sequence():
    ds = fresh("MR_small.dcm")
    ds.WindowCenter, ds.WindowWidth = 900, 900
    ref8 = reference(ds)
    plut = np.floor(4095 * (0.25 + 0.5 * np.arange(256) / 255) + 0.5).astype(np.uint16)
    ds.PresentationLUTSequence = [lut_item(0, plut, 12)]
    expected = scaled(apply_presentation_lut(ref8, ds), 0, 4095)
    close(at_own_size(ds), expected)


# -- images without a VOI ------------------------------------------------------------------


def test_eight_bit_images_without_voi_pass_unchanged():
    ds = bundled("image_dfl.dcm")  # 8-bit MONOCHROME2, no window, no rescale
    assert np.array_equal(at_own_size(ds), ds.pixel_array)


def test_no_voi_uses_the_frame_range():
    ds = bundled("CT_small.dcm")  # no window in the file
    ours = at_own_size(ds)
    assert ours.min() == 0 and ours.max() == 255
    hu = apply_modality_lut(ds.pixel_array, ds)
    ref = scaled(hu, hu.min(), hu.max())
    close(ours, ref)


def test_windows_that_make_no_sense_are_errors():
    ds = bundled("MR_small.dcm")
    with pytest.raises(gray.VoiError, match="LINEAR window needs a width of at least 1"):
        at_own_size(ds, window=(100, 0.5))
    with pytest.raises(gray.VoiError, match="not LINEAR, LINEAR_EXACT or SIGMOID"):
        at_own_size(ds, voi_function="GAMMA")
    with pytest.raises(gray.VoiError, match="Polarity 'UPSIDE'"):
        at_own_size(ds, polarity="UPSIDE")


# -- the table route and the window kernel agree ------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([np.uint8, np.int8, np.uint16, np.int16]),
    slope=st.sampled_from([1.0, 0.5, 2.0, -1.0]),
    intercept=st.integers(-2000, 2000),
    center=st.integers(-3000, 3000),
    width=st.integers(1, 6000),
    function=st.sampled_from(gray.FUNCTIONS),
    invert=st.booleans(),
    bits=st.sampled_from([8, 12]),
    seed=st.integers(0, 2**16),
)
def test_table_route_equals_window_kernel(
    dtype, slope, intercept, center, width, function, invert, bits, seed
):
    info = np.iinfo(dtype)
    pixels = np.random.default_rng(seed).integers(info.min, info.max, (40, 50), endpoint=True)
    image = from_array(pixels.astype(dtype))
    image.slope, image.intercept = slope, float(intercept)
    voi = gray.Voi("window", float(center), float(width), function)
    out = np.empty(pixels.shape, np.uint8 if bits == 8 else np.uint16)
    photometric = "MONOCHROME1" if invert else "MONOCHROME2"
    image.photometric = photometric
    kernel = gray.to_pvalues(image, voi, out, bits_out=bits).astype(np.int64)
    table = gray.pvalue_curve(image, voi, pixels.astype(np.int64), invert=invert, bits_out=bits)
    assert int(np.abs(kernel - table).max()) <= 1


def test_stored_values_from_a_dataset_keep_their_sign():
    image = from_dataset(bundled("CT_small.dcm"))
    assert image.signed and image.pixels.dtype == np.int16
    assert image.intercept == -1024.0 and image.slope == 1.0
