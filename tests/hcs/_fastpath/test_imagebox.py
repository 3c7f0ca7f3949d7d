"""encode_image_box against pydicom's writer, byte for byte; rgb_to_planes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from hcs._fastpath import encode_image_box, rgb_to_planes


def pydicom_bytes(ds: Dataset) -> bytes:
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    write_dataset(fp, ds)
    return fp.getvalue()


def joined(pieces) -> bytes:
    return b"".join(bytes(p) for p in pieces)


def reference_dataset(pixels, position, opts, colour) -> Dataset:
    """The same data set built with pydicom, attribute by attribute."""
    ds = Dataset()
    names = {
        "magnification": "MagnificationType",
        "smoothing": "SmoothingType",
        "min_density": "MinDensity",
        "max_density": "MaxDensity",
        "configuration": "ConfigurationInformation",
        "polarity": "Polarity",
        "requested_size": "RequestedImageSize",
        "decimate_crop": "RequestedDecimateCropBehavior",
    }
    for key, keyword in names.items():
        if key in opts:
            setattr(ds, keyword, opts[key])
    ds.ImageBoxPosition = position
    items = []
    if pixels is not None:
        it = Dataset()
        it.SamplesPerPixel = 3 if colour else 1
        it.PhotometricInterpretation = opts.get("photometric", "RGB" if colour else "MONOCHROME2")
        if colour:
            it.PlanarConfiguration = 1
        it.Rows, it.Columns = pixels.shape[-2:]
        if "pixel_aspect" in opts:
            it.PixelAspectRatio = list(opts["pixel_aspect"])
        it.BitsAllocated = pixels.itemsize * 8
        it.BitsStored = opts.get("bits_stored", 8 if pixels.itemsize == 1 else 12)
        it.HighBit = it.BitsStored - 1
        it.PixelRepresentation = 0
        it.PixelData = pixels.tobytes()
        it["PixelData"].VR = "OW" if pixels.itemsize == 2 else "OB"
        items.append(it)
    if colour:
        ds.BasicColorImageSequence = items
    else:
        ds.BasicGrayscaleImageSequence = items
    if "presentation_lut" in opts:
        ref = Dataset()
        ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.1.23"
        ref.ReferencedSOPInstanceUID = opts["presentation_lut"]
        ds.ReferencedPresentationLUTSequence = [ref]
    return ds


CS_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ "
cs_text = st.text(alphabet=CS_ALPHABET, min_size=1, max_size=16).filter(
    lambda s: s.strip() == s and s.strip()
)
common_options = st.fixed_dictionaries(
    {},
    optional={
        "polarity": st.sampled_from(["NORMAL", "REVERSE"]),
        "magnification": st.sampled_from(["REPLICATE", "BILINEAR", "CUBIC", "NONE"]),
        "smoothing": cs_text,
        "configuration": st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ=_,.0123456789 abc", min_size=1, max_size=60
        ).filter(lambda s: s.strip() == s),
        "requested_size": st.sampled_from(["350", "210.5", "127.25", "1e2", "0.5"]),
        "decimate_crop": st.sampled_from(["DECIMATE", "CROP", "FAIL"]),
        "pixel_aspect": st.tuples(st.integers(1, 999), st.integers(1, 999)),
    },
)
gray_options = st.fixed_dictionaries(
    {},
    optional={
        "min_density": st.integers(0, 65535),
        "max_density": st.integers(0, 65535),
        "photometric": st.sampled_from(["MONOCHROME1", "MONOCHROME2"]),
        "presentation_lut": st.from_regex(
            r"1\.2\.[1-9][0-9]{0,8}(\.[1-9][0-9]{0,5}){0,6}", fullmatch=True
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    position=st.integers(1, 65535),
    common=common_options,
    gray=gray_options,
    kind=st.sampled_from(["u8", "u16", "rgb"]),
    rows=st.integers(1, 9),
    cols=st.integers(1, 9),
)
def test_equals_pydicom_byte_for_byte(data, position, common, gray, kind, rows, cols):
    colour = kind == "rgb"
    opts = dict(common) if colour else {**common, **gray}
    if kind == "u8":
        pixels = data.draw(hnp.arrays(np.uint8, (rows, cols)))
    elif kind == "u16":
        pixels = data.draw(hnp.arrays(np.uint16, (rows, cols), elements=st.integers(0, 4095)))
        if data.draw(st.booleans()):
            opts["bits_stored"] = data.draw(st.sampled_from([8, 12]))
    else:
        pixels = data.draw(hnp.arrays(np.uint8, (3, rows, cols)))
    pieces = encode_image_box(pixels, position, **opts)
    expect = pydicom_bytes(reference_dataset(pixels, position, opts, colour))
    assert joined(pieces) == expect
    # the pixels are the caller's buffer, not a copy; a pad piece only when odd
    view = pieces[1]
    assert isinstance(view, memoryview) and view.nbytes == pixels.nbytes
    assert np.shares_memory(np.frombuffer(view, np.uint8), pixels)
    assert isinstance(pieces[0], bytes)
    if pixels.nbytes % 2 == 0 and "presentation_lut" not in opts:
        assert len(pieces) == 2
    else:
        assert len(pieces) == 3
        assert pieces[2].startswith(b"\0") == bool(pixels.nbytes % 2)


def test_erase_is_an_empty_sequence():
    for colour in (False, True):
        pieces = encode_image_box(None, 2, color=colour, polarity="NORMAL")
        assert len(pieces) == 1
        expect = pydicom_bytes(reference_dataset(None, 2, {"polarity": "NORMAL"}, colour))
        assert pieces[0] == expect


def test_decodes_with_pydicom():
    px = np.arange(12, dtype=np.uint16).reshape(3, 4) * 300
    data = joined(encode_image_box(px, 1, magnification="CUBIC", requested_size=350.0))
    ds = dcmread(DicomBytesIO(data), force=True)  # implicit VR LE body without preamble
    item = ds.BasicGrayscaleImageSequence[0]
    assert (item.Rows, item.Columns, item.BitsStored, item.HighBit) == (3, 4, 12, 11)
    assert float(ds.RequestedImageSize) == 350.0 and ds.MagnificationType == "CUBIC"
    assert np.frombuffer(item.PixelData, "<u2").reshape(3, 4).tolist() == px.tolist()


@pytest.mark.parametrize(
    ("value", "text"),
    [(350, "350.0"), (350.0, "350.0"), (210.5, "210.5"), (0.1 + 0.2, "0.3"), ("  12.5 ", "12.5")],
)
def test_requested_size_is_a_decimal_string(value, text):
    header = joined(encode_image_box(np.zeros((2, 2), np.uint8), 1, requested_size=value))
    padded = text.encode() + (b" " if len(text) % 2 else b"")
    assert b"\x20\x20\x30\x00" + len(padded).to_bytes(4, "little") + padded in header


@pytest.mark.parametrize(
    ("pixels", "kwargs", "error"),
    [
        (np.zeros((4, 4), np.int16), {}, TypeError),
        (np.zeros((4, 4), np.float32), {}, TypeError),
        (np.zeros((4, 4, 3), np.uint8), {}, ValueError),  # interleaved: use rgb_to_planes
        (np.zeros((3, 4, 4), np.uint16), {}, TypeError),
        (np.zeros((4, 8), np.uint8)[:, ::2], {}, ValueError),  # would need a copy
        (np.zeros((4,), np.uint8), {}, ValueError),
        (np.zeros((0, 4), np.uint8), {}, ValueError),
        (np.zeros((4, 4), np.uint8), {"bits_stored": 12}, ValueError),
        (np.zeros((4, 4), np.uint16), {"bits_stored": 16}, ValueError),
        (np.zeros((4, 4), np.uint8), {"photometric": "RGB"}, ValueError),
        (np.zeros((3, 4, 4), np.uint8), {"photometric": "MONOCHROME2"}, ValueError),
        (np.zeros((3, 4, 4), np.uint8), {"min_density": 10}, ValueError),
        (np.zeros((3, 4, 4), np.uint8), {"presentation_lut": "1.2.3"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"polarity": "INVERSE"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"magnification": "LANCZOS"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"smoothing": "lower case"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"smoothing": "MUCH_TOO_LONG_FOR_CS"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"configuration": "résumé"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"requested_size": "12,5"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"requested_size": float("nan")}, ValueError),
        (np.zeros((4, 4), np.uint8), {"min_density": -1}, ValueError),
        (np.zeros((4, 4), np.uint8), {"max_density": 70000}, ValueError),
        (np.zeros((4, 4), np.uint8), {"pixel_aspect": (0, 1)}, ValueError),
        (np.zeros((4, 4), np.uint8), {"presentation_lut": "1.2.x"}, ValueError),
        (np.zeros((4, 4), np.uint8), {"color": True}, ValueError),
        ([[1, 2]], {}, TypeError),
    ],
)
def test_rejects(pixels, kwargs, error):
    with pytest.raises(error):
        encode_image_box(pixels, 1, **kwargs)


@pytest.mark.parametrize("position", [0, -1, 65536, 1.5])
def test_rejects_bad_position(position):
    with pytest.raises(ValueError):
        encode_image_box(np.zeros((2, 2), np.uint8), position)


def test_accepts_lower_case_enumerations():
    a = joined(
        encode_image_box(
            np.zeros((2, 2), np.uint8),
            1,
            polarity="reverse",
            magnification="cubic",
            photometric="monochrome1",
        )
    )
    b = joined(
        encode_image_box(
            np.zeros((2, 2), np.uint8),
            1,
            polarity="REVERSE",
            magnification="CUBIC",
            photometric="MONOCHROME1",
        )
    )
    assert a == b


# -- rgb_to_planes --------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(data=st.data(), h=st.integers(0, 40), w=st.integers(0, 70), spaced=st.booleans())
def test_rgb_to_planes(data, h, w, spaced):
    rgb = data.draw(hnp.arrays(np.uint8, (h, w, 3)))
    src = rgb
    if spaced and h:
        big = np.zeros((h, w + 3, 3), np.uint8)
        big[:, :w] = rgb
        src = big[:, :w]
    out = np.empty((3, h, w), np.uint8)
    assert rgb_to_planes(src, out) is out
    np.testing.assert_array_equal(out, rgb.transpose(2, 0, 1))


def test_rgb_to_planes_rejects():
    with pytest.raises(ValueError):
        rgb_to_planes(np.zeros((4, 4, 3), np.uint8), np.zeros((3, 4, 5), np.uint8))
    with pytest.raises(ValueError):
        rgb_to_planes(np.zeros((4, 4), np.uint8), np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(TypeError):
        rgb_to_planes(np.zeros((4, 4, 3), np.uint16), np.zeros((3, 4, 4), np.uint16))
    with pytest.raises(ValueError):
        rgb_to_planes(np.zeros((4, 4, 3), np.uint8), np.zeros((3, 4, 8), np.uint8)[:, :, ::2])
    buf = np.zeros(200, np.uint8)
    with pytest.raises(ValueError, match="overlaps"):
        rgb_to_planes(buf[:48].reshape(4, 4, 3), buf[40:88].reshape(3, 4, 4))


def test_planes_encode_as_colour():
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    planes = rgb_to_planes(rgb, np.empty((3, 5, 7), np.uint8))
    data = joined(encode_image_box(planes, 4))
    ds = dcmread(DicomBytesIO(data), force=True)
    item = ds.BasicColorImageSequence[0]
    assert item.PlanarConfiguration == 1 and item.PhotometricInterpretation == "RGB"
    got = np.frombuffer(item.PixelData, np.uint8)[: 3 * 35].reshape(3, 5, 7).transpose(1, 2, 0)
    np.testing.assert_array_equal(got, rgb)
