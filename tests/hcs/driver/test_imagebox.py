"""The driver's Image Box N-SET data set: the zero-copy encoder agrees with pydicom."""

import numpy as np
import pytest

from dimse.dataset import encode_dataset
from hcs.driver.imagebox import dataset_with_pydicom, image_box_dataset
from hcs.job.model import ImageBoxSpec
from hcs.job.terms import InvalidAttribute

IMPLICIT = "1.2.840.10008.1.2"


@pytest.mark.parametrize(
    ("pixels", "color", "bits"),
    [
        (np.arange(12 * 7, dtype=np.uint8).reshape(12, 7), False, 8),
        (np.arange(9 * 5, dtype=np.uint16).reshape(9, 5) * 90, False, 12),
        (np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3), True, 8),
    ],
)
def test_encoded_pieces_equal_what_pydicom_writes(pixels, color, bits):
    spec = ImageBoxSpec(
        pixels,
        polarity="REVERSE",
        magnification_type="CUBIC",
        requested_image_size=120.5,
        requested_decimate_crop_behavior="CROP",
    )
    pieces = image_box_dataset(spec, 3, color=color, bits=bits)
    ours = b"".join(bytes(p) for p in pieces)
    optional = {
        "Polarity": "REVERSE",
        "MagnificationType": "CUBIC",
        "RequestedImageSize": 120.5,
        "RequestedDecimateCropBehavior": "CROP",
    }
    reference = encode_dataset(
        dataset_with_pydicom(spec, 3, color=color, bits=bits, optional=optional), IMPLICIT
    )
    assert ours == reference


def test_gray_pixels_are_not_copied():
    pixels = np.zeros((64, 64), np.uint8)
    pieces = image_box_dataset(ImageBoxSpec(pixels), 1, color=False, bits=8)
    assert any(
        isinstance(p, memoryview) and np.shares_memory(np.asarray(p), pixels) for p in pieces
    )


def test_a_wrong_pixel_type_names_pixel_data():
    with pytest.raises(InvalidAttribute, match="PixelData"):
        image_box_dataset(ImageBoxSpec(np.zeros((4, 4), np.float32)), 1, color=False, bits=8)
