"""Where a frame's pixels and the attributes that govern them come from.

A frame is one image: a frame of a DICOM file or data set (read with pydicom), a PNG or
JPEG read with Pillow (secondary-capture-like use), or a numpy array from the Python
API. Everything after this module sees one :class:`Image`: the stored values of one
frame (or RGB) plus the Modality, VOI and Presentation LUT attributes that apply to
that frame, so the pipeline never looks at a data set again except for text fields
and overlay planes.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import pixel_array
from pydicom.pixels.processing import apply_color_lut

from hcs.errors import HcsError

GRAY = ("MONOCHROME1", "MONOCHROME2")
PILLOW_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif")


class SourceError(HcsError, ValueError):
    """An image that cannot be formatted, with the reason (file, frame, transfer syntax)."""


@dataclass(frozen=True)
class Lut:
    """A LUT of PS3.3 C.11: the first stored value mapped, the entries, their bit depth."""

    first_mapped: int
    data: np.ndarray  # uint16 entries
    bits: int
    explanation: str = ""

    @classmethod
    def from_item(cls, item: Dataset, little_endian: bool = True, signed: bool = False) -> Lut:
        """Read a LUT item: LUT Descriptor (entries, first mapped, bits) and LUT Data."""
        try:
            entries, first, bits = (int(v) for v in item.LUTDescriptor)
        except (AttributeError, ValueError, TypeError):
            raise SourceError("a LUT item has no valid LUT Descriptor (0028,3002)") from None
        entries = entries or 65536
        if signed and first >= 32768:
            first -= 65536  # the descriptor is US; a signed image's first value is SS
        if "LUTData" not in item:
            raise SourceError("a LUT item has no LUT Data (0028,3006)")
        raw = item["LUTData"].value
        if isinstance(raw, bytes | bytearray):
            data = np.frombuffer(raw, dtype="<u2" if little_endian else ">u2")
            if bits <= 8 and len(data) * 2 == entries:  # 8-bit entries packed in OW
                data = np.frombuffer(raw, dtype=np.uint8)
        else:
            values = list(raw) if hasattr(raw, "__iter__") else [raw]  # US/SS: one or many
            data = np.asarray(values, dtype=np.int64)
        data = np.asarray(data, dtype=np.uint16)[:entries]
        if len(data) < entries:
            raise SourceError(f"a LUT declares {entries} entries but holds {len(data)}")
        if not 1 <= bits <= 16:
            raise SourceError(f"a LUT declares {bits} bits per entry (1..16 allowed)")
        return cls(first, np.ascontiguousarray(data), bits, str(item.get("LUTExplanation", "")))


@dataclass(frozen=True)
class Window:
    center: float
    width: float
    explanation: str = ""


@dataclass
class Image:
    """One frame ready for the pipeline.

    ``pixels``: gray stored values [rows, columns] (uint8/int8/uint16/int16, or wider
    integers for rare 32-bit data), or RGB uint8 [rows, columns, 3]. ``photometric``:
    MONOCHROME1, MONOCHROME2 or RGB (YBR and PALETTE COLOR are converted on load).
    """

    pixels: np.ndarray
    photometric: str
    bits_stored: int
    signed: bool = False
    slope: float = 1.0
    intercept: float = 0.0
    modality_lut: Lut | None = None
    windows: list[Window] = field(default_factory=list)
    voi_luts: list[Lut] = field(default_factory=list)
    voi_function: str = "LINEAR"
    presentation_shape: str | None = None
    presentation_lut: Lut | None = None
    pixel_spacing: tuple[float, float] | None = None  # (row, column) mm
    pixel_aspect: tuple[float, float] = (1.0, 1.0)  # (vertical, horizontal)
    dataset: Dataset | None = None
    frame_index: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        self.pixels = kernel_layout(self.pixels)

    @property
    def rows(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def columns(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def is_color(self) -> bool:
        return self.photometric == "RGB"


def kernel_readable(pixels: np.ndarray) -> bool:
    """True when the kernels can read ``pixels`` where it lies: native byte order, and each
    row's pixels (and an RGB pixel's samples) adjacent; rows may be any distance apart."""
    if not pixels.dtype.isnative:
        return False
    if pixels.size == 0 or pixels.ndim not in (2, 3):
        return True
    item = pixels.itemsize
    if pixels.ndim == 2:
        return pixels.shape[1] <= 1 or pixels.strides[1] == item
    samples = pixels.shape[2]
    return (samples <= 1 or pixels.strides[2] == item) and (
        pixels.shape[1] <= 1 or pixels.strides[1] == samples * item
    )


def kernel_layout(pixels: np.ndarray) -> np.ndarray:
    """The pixels in a layout the kernels read, copied only when they cannot read it.

    pydicom hands back many layouts: colour-by-plane (Planar Configuration 1, and what
    its RLE decoder returns) is a view whose samples are a plane apart; a caller's
    array may be a strided crop or big-endian. Rows that are contiguous are used in
    place (a crop, a frame of a multi-frame array, a vertical flip); anything else is
    copied once here, at the source, so that no kernel sees it and no user sees a
    kernel's layout rule as an error in their input.
    """
    if kernel_readable(pixels):
        return pixels
    if not pixels.dtype.isnative:
        return pixels.astype(pixels.dtype.newbyteorder("="), order="C")
    return np.ascontiguousarray(pixels)


def read_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Read a DICOM file (not its pixels' decoding yet), naming the file on failure."""
    try:
        try:
            ds = dcmread(path)
        except InvalidDicomError:
            ds = _without_file_meta(path)
        # Convert every element now, on this thread: the frames of a multi-frame file
        # are formatted on several threads at once, and pydicom converts raw elements
        # lazily, on first access.
        for _ in ds.iterall():
            pass
        return ds
    except (InvalidDicomError, OSError, EOFError, ValueError, TypeError, KeyError) as error:
        raise SourceError(f"{path}: not a readable DICOM file ({error})") from None


def _without_file_meta(path: str | os.PathLike[str]) -> Dataset:
    """A file without the DICOM preamble and File Meta Information (ACR-NEMA style, or
    written by old software) is still read when it holds an image; anything else is not
    a DICOM file, said in our words rather than pydicom's advice to its programmers."""
    try:
        ds = dcmread(path, force=True)
        if "PixelData" in ds and "Rows" in ds:
            if "TransferSyntaxUID" not in ds.file_meta:  # as pydicom found it encoded
                implicit, little = ds.original_encoding
                ds.file_meta.TransferSyntaxUID = (
                    "1.2.840.10008.1.2"
                    if implicit
                    else "1.2.840.10008.1.2.1"
                    if little
                    else "1.2.840.10008.1.2.2"
                )
            return ds
    except Exception:  # a forced read of a non-DICOM file fails in many ways
        pass
    raise InvalidDicomError(
        "no DICOM preamble and 'DICM' prefix, and not a bare DICOM data set with an image"
    )


def number_of_frames(ds: Dataset) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def load(
    source: str | os.PathLike[str] | Dataset | np.ndarray,
    frame: int = 0,
    *,
    photometric: str | None = None,
    bits_stored: int | None = None,
    pixel_spacing: tuple[float, float] | None = None,
) -> Image:
    """Load one frame from a path (DICOM or a Pillow format), a data set or an array."""
    if isinstance(source, np.ndarray):
        return from_array(source, photometric, bits_stored, pixel_spacing)
    if isinstance(source, Dataset):
        return from_dataset(source, frame, name=_name(source))
    path = Path(source)
    if path.suffix.lower() in PILLOW_SUFFIXES:
        if frame != 0:
            raise SourceError(f"{path}: a {path.suffix} file has one frame, not frame {frame}")
        return from_pillow(path, pixel_spacing)
    return from_dataset(read_dataset(path), frame, name=str(path))


def _name(ds: Dataset) -> str:
    filename = getattr(ds, "filename", None)
    return str(filename) if isinstance(filename, str | os.PathLike) else "data set"


def from_array(
    array: np.ndarray,
    photometric: str | None = None,
    bits_stored: int | None = None,
    pixel_spacing: tuple[float, float] | None = None,
) -> Image:
    """A numpy array from the Python API: 2-D integers (gray) or uint8 [H, W, 3] (RGB)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 3:
        if a.dtype != np.uint8:
            raise SourceError(f"an RGB array must be uint8, not {a.dtype}")
        return Image(a, "RGB", 8, pixel_spacing=pixel_spacing, description="array")
    if a.ndim != 2:
        raise SourceError(
            f"an image array must be [rows, columns] or [rows, columns, 3], not {a.shape}"
        )
    if a.dtype.kind not in "iu" or a.dtype.itemsize > 2:
        raise SourceError(
            f"a gray image array must be 8- or 16-bit integers, not {a.dtype} "
            "(scale floats to integers first)"
        )
    kind = (photometric or "MONOCHROME2").upper()
    if kind not in GRAY:
        raise SourceError(f"a 2-D array is MONOCHROME1 or MONOCHROME2, not {kind}")
    bits = bits_stored or a.dtype.itemsize * 8
    return Image(
        a,
        kind,
        bits,
        signed=a.dtype.kind == "i",
        pixel_spacing=pixel_spacing,
        description="array",
    )


def from_pillow(path: Path, pixel_spacing: tuple[float, float] | None = None) -> Image:
    """PNG, JPEG and friends via Pillow: gray stays gray (8 or 16 bits), the rest is RGB."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(path) as im:
            im.load()
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L"):
                a, kind, bits = np.array(im, dtype=np.uint16), "MONOCHROME2", 16
            elif mode == "I":
                a, kind, bits = np.clip(np.array(im), 0, 65535).astype(np.uint16), "MONOCHROME2", 16
            elif mode in ("1", "L", "LA"):
                a, kind, bits = np.array(im.convert("L")), "MONOCHROME2", 8
            else:
                a, kind, bits = np.array(im.convert("RGB")), "RGB", 8
    except (OSError, UnidentifiedImageError) as error:
        raise SourceError(f"{path}: not a readable image ({error})") from None
    return Image(a, kind, bits, pixel_spacing=pixel_spacing, description=str(path))


# -- DICOM ---------------------------------------------------------------------------


def _little_endian(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is not None:
        try:
            return bool(syntax.is_little_endian)
        except (AttributeError, ValueError):
            pass
    original = getattr(ds, "original_encoding", None)
    return True if not original or original[1] is None else bool(original[1])


def _frame_item(ds: Dataset, frame: int, sequence: str) -> Dataset | None:
    """The functional group item ``sequence`` for ``frame`` (per-frame first, then shared)."""
    for groups, index in (
        ("PerFrameFunctionalGroupsSequence", frame),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        items = ds.get(groups)
        if items and index < len(items):
            inner = items[index].get(sequence)
            if inner:
                return inner[0]
    return None


def _numbers(value: Any) -> list[float]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        return [float(value)]
    return [float(v) for v in value]


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return [str(value)]
    return [str(v) for v in value]


_NATIVE_LE = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")


def _native_view(ds: Dataset, frame: int, syntax: Any) -> np.ndarray | None:
    """A frame of uncompressed little-endian gray pixel data as a view of the data set's
    bytes (no copy), or None when pydicom must decode. Unused high bits are cleared
    (they may hold old overlay data, PS3.5 8.1.1), which then costs one copy."""
    if syntax is None or str(syntax) not in _NATIVE_LE:
        return None
    if int(ds.get("SamplesPerPixel", 1) or 1) != 1 or "PixelData" not in ds:
        return None
    allocated = int(ds.get("BitsAllocated", 0) or 0)
    stored = int(ds.get("BitsStored", allocated) or allocated)
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    if allocated not in (8, 16) or (signed and stored != allocated):
        return None
    data = ds.PixelData
    if not isinstance(data, bytes | bytearray):
        return None
    rows, columns = int(ds.Rows), int(ds.Columns)
    dtype = np.dtype(("<i" if signed else "<u") + str(allocated // 8))
    size = rows * columns * dtype.itemsize
    if len(data) < (frame + 1) * size or not np.little_endian:
        return None
    view = np.frombuffer(data, dtype, rows * columns, frame * size).reshape(rows, columns)
    if stored < allocated and int(view.max(initial=0)) >= 1 << stored:
        view = view & np.asarray((1 << stored) - 1, dtype)
    return view


def _decode(ds: Dataset, frame: int, name: str) -> np.ndarray:
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    view = _native_view(ds, frame, syntax)
    if view is not None:
        return view
    try:
        return pixel_array(ds, index=frame)
    except (RuntimeError, NotImplementedError, ValueError, AttributeError) as error:
        what = f"{syntax.name} ({syntax})" if syntax is not None else "an unknown transfer syntax"
        reason = " ".join(str(error).split())
        hint = ""
        if (
            getattr(syntax, "is_compressed", False)
            and importlib.util.find_spec("pylibjpeg") is None
        ):
            hint = " (pip install 'hcs[codecs]' adds the JPEG, JPEG-LS and JPEG 2000 decoders)"
        raise SourceError(
            f"{name} frame {frame}: cannot decode pixel data in {what}: {reason}{hint}"
        ) from None


def from_dataset(ds: Dataset, frame: int = 0, *, name: str = "data set") -> Image:
    """One frame of a DICOM data set, with the LUT attributes that apply to that frame."""
    if "PixelData" not in ds:
        raise SourceError(f"{name}: has no Pixel Data (7FE0,0010)")
    frames = number_of_frames(ds)
    if not 0 <= frame < frames:
        raise SourceError(f"{name}: frame {frame} does not exist (the image has {frames})")
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    bits_stored = int(ds.get("BitsStored", ds.get("BitsAllocated", 8)))
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    pixels = _decode(ds, frame, name)
    little = _little_endian(ds)
    description = name if frames == 1 else f"{name} frame {frame}"

    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    measures = _frame_item(ds, frame, "PixelMeasuresSequence")
    if measures is not None and measures.get("PixelSpacing"):
        spacing = measures.PixelSpacing
    pixel_spacing = tuple(_numbers(spacing)[:2]) if spacing else None
    if pixel_spacing is not None and (len(pixel_spacing) != 2 or min(pixel_spacing) <= 0):
        pixel_spacing = None
    aspect = _numbers(ds.get("PixelAspectRatio"))
    if len(aspect) == 2 and min(aspect) > 0:
        pixel_aspect = (aspect[0], aspect[1])
    elif pixel_spacing is not None:
        pixel_aspect = (pixel_spacing[0], pixel_spacing[1])
    else:
        pixel_aspect = (1.0, 1.0)

    if photometric == "PALETTE COLOR":
        rgb = _palette(ds, pixels, name)
        return Image(
            rgb,
            "RGB",
            8,
            pixel_spacing=pixel_spacing,
            pixel_aspect=pixel_aspect,
            dataset=ds,
            frame_index=frame,
            description=description,
        )
    if samples == 3 or photometric.startswith(("RGB", "YBR")):
        # pydicom's pixel_array returns RGB for YBR_* (its as_rgb default).
        rgb = _to_uint8_rgb(pixels, bits_stored)
        return Image(
            rgb,
            "RGB",
            8,
            pixel_spacing=pixel_spacing,
            pixel_aspect=pixel_aspect,
            dataset=ds,
            frame_index=frame,
            description=description,
        )
    if photometric not in GRAY:
        raise SourceError(f"{name}: Photometric Interpretation {photometric!r} is not supported")
    if pixels.ndim != 2:
        raise SourceError(f"{name}: expected one 2-D frame, got shape {pixels.shape}")

    image = Image(
        pixels,
        photometric,
        bits_stored,
        signed=signed,
        pixel_spacing=pixel_spacing,
        pixel_aspect=pixel_aspect,
        dataset=ds,
        frame_index=frame,
        description=description,
    )
    _modality(ds, frame, image, little)
    _voi(ds, frame, image, little)
    _presentation(ds, image, little)
    return image


def _modality(ds: Dataset, frame: int, image: Image, little: bool) -> None:
    sequence = ds.get("ModalityLUTSequence")
    if sequence:
        image.modality_lut = Lut.from_item(sequence[0], little, image.signed)
        return
    item = _frame_item(ds, frame, "PixelValueTransformationSequence")
    source = item if item is not None and "RescaleSlope" in item else ds
    if "RescaleSlope" in source or "RescaleIntercept" in source:
        image.slope = float(source.get("RescaleSlope", 1.0) or 1.0)
        image.intercept = float(source.get("RescaleIntercept", 0.0) or 0.0)


def _voi(ds: Dataset, frame: int, image: Image, little: bool) -> None:
    item = _frame_item(ds, frame, "FrameVOILUTSequence")
    source = item if item is not None and "WindowCenter" in item else ds
    centers = _numbers(source.get("WindowCenter"))
    widths = _numbers(source.get("WindowWidth"))
    explanations = _strings(source.get("WindowCenterWidthExplanation"))
    for i, (c, w) in enumerate(zip(centers, widths, strict=False)):
        image.windows.append(Window(c, w, explanations[i] if i < len(explanations) else ""))
    function = source.get("VOILUTFunction") or ds.get("VOILUTFunction")
    if function:
        image.voi_function = str(function).strip().upper()
    for lut_item in ds.get("VOILUTSequence") or []:
        if "LUTDescriptor" in lut_item and "LUTData" in lut_item:
            # VOI LUT input is the Modality LUT output: signed only if the stored
            # values are and no Modality LUT Sequence made them unsigned.
            signed = image.signed and image.modality_lut is None
            image.voi_luts.append(Lut.from_item(lut_item, little, signed))


def _presentation(ds: Dataset, image: Image, little: bool) -> None:
    sequence = ds.get("PresentationLUTSequence")
    if sequence:
        image.presentation_lut = Lut.from_item(sequence[0], little)
        return
    shape = ds.get("PresentationLUTShape")
    if shape:
        image.presentation_shape = str(shape).strip().upper()


def _to_uint8_rgb(pixels: np.ndarray, bits_stored: int) -> np.ndarray:
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise SourceError(f"expected an RGB frame [rows, columns, 3], got {pixels.shape}")
    if pixels.dtype == np.uint8:
        return pixels
    top = float(2 ** min(bits_stored, pixels.dtype.itemsize * 8) - 1)
    scaled = np.floor(pixels.astype(np.float64) * (255.0 / top) + 0.5)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _palette(ds: Dataset, indices: np.ndarray, name: str) -> np.ndarray:
    """PALETTE COLOR (PS3.3 C.7.6.3.1.5/6): look each index up in the three LUTs."""
    if "SegmentedRedPaletteColorLookupTableData" in ds:
        # Segmented palettes are rare; pydicom expands them (a library call).
        rgb = apply_color_lut(indices, ds)
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        return _to_uint8_rgb(rgb, bits)
    little = _little_endian(ds)
    planes = []
    for colour in ("Red", "Green", "Blue"):
        descriptor = ds.get(f"{colour}PaletteColorLookupTableDescriptor")
        data = ds.get(f"{colour}PaletteColorLookupTableData")
        if descriptor is None or data is None:
            raise SourceError(f"{name}: PALETTE COLOR without a {colour} palette")
        entries, first, bits = (int(v) for v in descriptor)
        entries = entries or 65536
        dtype = np.dtype("<u2" if little else ">u2") if bits > 8 else np.dtype(np.uint8)
        table = np.frombuffer(bytes(data), dtype=dtype)
        if bits <= 8 and len(table) == 2 * entries:
            # 8-bit entries stored in 16-bit words (PS3.3 C.7.6.3.1.6): the low byte.
            table = np.frombuffer(bytes(data), dtype="<u2" if little else ">u2")
        table = table[:entries].astype(np.float64)
        top = float(2**bits - 1)
        lut8 = np.clip(np.floor(table * (255.0 / top) + 0.5), 0, 255).astype(np.uint8)
        index = np.clip(indices.astype(np.int64) - first, 0, entries - 1)
        planes.append(lut8[index])
    return np.ascontiguousarray(np.stack(planes, axis=-1))
