"""The Image Box N-SET data set (PS3.4 Tables H.4-10 and H.4-11, PS3.3 C.13-5).

The pixels leave as they are: the data set is a short header plus the pixel buffer
(a memoryview), so a 16 MiB image is never copied between the formatter and the
socket. Colour images go by plane (Planar Configuration 1), as C.13-5 requires.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

from dimse.uids import IMPLICIT_VR_LITTLE_ENDIAN
from hcs._fastpath import encode_image_box, rgb_to_planes
from hcs.job import terms
from hcs.job.model import ImageBoxSpec

# Our attribute keywords -> the Cython encoder's keyword arguments.
_ENCODER_ARGUMENTS = {
    "Polarity": "polarity",
    "MagnificationType": "magnification",
    "SmoothingType": "smoothing",
    "MinDensity": "min_density",
    "MaxDensity": "max_density",
    "ConfigurationInformation": "configuration",
    "RequestedImageSize": "requested_size",
    "RequestedDecimateCropBehavior": "decimate_crop",
}


def optional_attributes(spec: ImageBoxSpec, omit: frozenset[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    if spec.polarity is not None and "Polarity" not in omit:
        values["Polarity"] = terms.one_of("Polarity", spec.polarity, terms.POLARITIES)
    if spec.magnification_type is not None and "MagnificationType" not in omit:
        values["MagnificationType"] = terms.one_of(
            "MagnificationType", spec.magnification_type, terms.MAGNIFICATION_TYPES
        )
    if spec.smoothing_type is not None and "SmoothingType" not in omit:
        values["SmoothingType"] = terms.text("SmoothingType", spec.smoothing_type, 16)
    if spec.min_density is not None and "MinDensity" not in omit:
        values["MinDensity"] = terms.unsigned("MinDensity", spec.min_density)
    if spec.max_density is not None and "MaxDensity" not in omit:
        values["MaxDensity"] = terms.unsigned("MaxDensity", spec.max_density)
    if spec.configuration_information is not None and "ConfigurationInformation" not in omit:
        values["ConfigurationInformation"] = terms.ascii_only(
            "ConfigurationInformation", spec.configuration_information
        )
    if spec.requested_image_size is not None and "RequestedImageSize" not in omit:
        if spec.requested_image_size <= 0:
            raise terms.InvalidAttribute("RequestedImageSize", "must be a positive width in mm")
        values["RequestedImageSize"] = spec.requested_image_size
    if spec.requested_decimate_crop_behavior is not None and (
        "RequestedDecimateCropBehavior" not in omit
    ):
        values["RequestedDecimateCropBehavior"] = terms.one_of(
            "RequestedDecimateCropBehavior",
            spec.requested_decimate_crop_behavior,
            terms.DECIMATE_CROP,
        )
    return values


def check_pixels(pixels: np.ndarray, color: bool, bits: int) -> None:
    """PS3.3 C.13-5: 8 bits (or 12 in 16) gray, or 8-bit RGB; C-contiguous."""
    if color:
        if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
            raise terms.InvalidAttribute(
                "PixelData",
                f"a colour image box needs uint8 [rows, columns, 3], got "
                f"{pixels.dtype} {pixels.shape}",
            )
    elif pixels.ndim != 2:
        raise terms.InvalidAttribute("PixelData", f"a gray image box is 2-D, got {pixels.shape}")
    elif bits == 8 and pixels.dtype != np.uint8:
        raise terms.InvalidAttribute("PixelData", f"8-bit boxes need uint8, got {pixels.dtype}")
    elif bits == 12 and pixels.dtype != np.uint16:
        raise terms.InvalidAttribute("PixelData", f"12-bit boxes need uint16, got {pixels.dtype}")
    if not 1 <= pixels.shape[0] <= 65535 or not 1 <= pixels.shape[1] <= 65535:
        raise terms.InvalidAttribute(
            "PixelData", f"rows and columns {pixels.shape[:2]} out of range"
        )


def image_box_dataset(
    spec: ImageBoxSpec,
    position: int,
    *,
    color: bool,
    bits: int,
    omit: frozenset[str] = frozenset(),
    transfer_syntax: str = IMPLICIT_VR_LITTLE_ENDIAN,
) -> list | Dataset:
    """The N-SET data set for one box as ``[header, pixels(, trailer)]`` for gather I/O.

    Gray pixels go out as a memoryview of the caller's array; colour pixels are
    rearranged by plane once (PS3.3 C.13-5 wants Planar Configuration 1). The fast
    encoder writes implicit VR little endian, which hcs proposes first; on a context
    where the printer chose explicit VR, the data set is built with pydicom instead.
    """
    check_pixels(spec.pixels, color, bits)
    optional = optional_attributes(spec, omit)
    if transfer_syntax != IMPLICIT_VR_LITTLE_ENDIAN:
        return dataset_with_pydicom(spec, position, color=color, bits=bits, optional=optional)
    arguments = {_ENCODER_ARGUMENTS[k]: v for k, v in optional.items()}
    pixels = np.ascontiguousarray(spec.pixels)
    if color:
        planes = np.empty((3, *pixels.shape[:2]), np.uint8)
        rgb_to_planes(pixels, planes)
        return encode_image_box(
            planes, position, color=True, photometric="RGB", pixel_aspect=(1, 1), **arguments
        )
    return encode_image_box(
        pixels,
        position,
        photometric=spec.photometric_interpretation,
        bits_stored=12 if bits == 12 else 8,
        pixel_aspect=(1, 1),
        **arguments,
    )


def dataset_with_pydicom(
    spec: ImageBoxSpec, position: int, *, color: bool, bits: int, optional: dict[str, object]
) -> Dataset:
    """The same data set built with pydicom (the reference, and the fallback)."""
    pixels = spec.pixels
    item = Dataset()
    item.SamplesPerPixel = 3 if color else 1
    item.PhotometricInterpretation = "RGB" if color else spec.photometric_interpretation
    if color:
        item.PlanarConfiguration = 1
    item.Rows, item.Columns = int(pixels.shape[0]), int(pixels.shape[1])
    item.PixelAspectRatio = [1, 1]
    item.BitsAllocated = 16 if bits == 12 and not color else 8
    item.BitsStored = 12 if bits == 12 and not color else 8
    item.HighBit = item.BitsStored - 1
    item.PixelRepresentation = 0
    planes = np.ascontiguousarray(pixels.transpose(2, 0, 1)) if color else pixels
    item.PixelData = (
        np.ascontiguousarray(planes)
        .astype("<u2" if item.BitsAllocated == 16 else "u1", copy=False)
        .tobytes()
    )
    dataset = Dataset()
    dataset.ImageBoxPosition = position
    for keyword, value in optional.items():
        setattr(dataset, keyword, value)
    if color:
        dataset.BasicColorImageSequence = [item]
    else:
        dataset.BasicGrayscaleImageSequence = [item]
    return dataset
