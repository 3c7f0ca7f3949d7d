"""What the formatter is asked to do: frames, films, and the printer it formats for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from hcs.film import DEFAULT_DPI, CustomFormat, FilmLayout, Rect, Resolution, custom_formats_from
from hcs.formatter.magnify import Placement
from hcs.formatter.overlay import Overlay
from hcs.formatter.source import Image
from hcs.formatter.spatial import View
from hcs.job.model import FilmBoxSpec, FilmSpec, ImageBoxSpec

SCALING_MODES = ("host", "printer")


@dataclass
class Frame:
    """One image for one image box, and how to present it.

    ``source``: a file path (DICOM, or PNG/JPEG/...), a pydicom data set, a numpy array
    or an already loaded :class:`~hcs.formatter.source.Image`; ``frame`` the 0-based frame
    of a multi-frame image. ``window`` (center, width) overrides the image's VOI;
    otherwise ``voi_index`` or ``voi_explanation`` choose among the image's windows or
    VOI LUTs (the first by default). ``presentation_shape`` IDENTITY/INVERSE overrides
    the image's Presentation LUT. ``magnification`` overrides the film's.

    ``box`` and ``film`` place the frame (:func:`hcs.job.frames.arrange`): a box at or
    before the previous frame's starts the next film; boxes nobody names stay empty.

    Two polarities: ``polarity`` REVERSE inverts the pixels here, on the host (for a
    printer that ignores Polarity); ``image_box_polarity`` is sent to the printer as the
    Image Box's Polarity (2020,0020) and the printer inverts — what the job option
    ``polarity`` of ``hcs print``, ``hcs submit`` and HTTP does (docs/conformance.md 3.2.3).
    """

    source: str | os.PathLike[str] | Dataset | np.ndarray | Image
    frame: int = 0
    window: tuple[float, float] | None = None
    voi_function: str | None = None
    voi_index: int | None = None
    voi_explanation: str | None = None
    polarity: str = "NORMAL"
    image_box_polarity: str | None = None  # sent as Polarity (2020,0020): the printer inverts
    requested_image_size: float | None = None  # mm, sent as Requested Image Size (2020,0030)
    presentation_shape: str | None = None
    magnification: str | None = None
    overlays: tuple[Overlay, ...] = ()
    photometric: str | None = None  # for arrays: MONOCHROME1 or MONOCHROME2
    pixel_spacing: tuple[float, float] | None = None  # for arrays and Pillow images
    rotate: int = 0  # degrees clockwise: 0, 90, 180, 270 (Image Rotation)
    flip: str | None = None  # HORIZONTAL or VERTICAL, applied after the rotation
    zoom: float = 1.0  # times the size that fits the box (>1: the middle, larger)
    roi: tuple[int, int, int, int] | None = None  # column, row, width, height (pixels)
    box: int | None = None  # Image Box Position on its film (None: the next box)
    film: int | None = None  # which film of the job, 1-based (None: this or the next)

    def describe(self) -> str:
        source = self.source
        if isinstance(source, Image):
            return source.description
        if isinstance(source, np.ndarray):
            return f"array {source.shape} {source.dtype}"
        if isinstance(source, Dataset):
            name = getattr(source, "filename", None) or "data set"
            return f"{name} frame {self.frame}" if self.frame else str(name)
        return f"{source} frame {self.frame}" if self.frame else str(source)


@dataclass
class FilmJob:
    """One film: its film box attributes and a frame per image box (``None`` = empty),
    ``frames[i]`` going to Image Box Position ``i + 1``."""

    box: FilmBoxSpec
    frames: list[Frame | None]
    color: bool = False
    annotations: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PrinterSettings:
    """What the formatter needs to know about a printer.

    ``scaling``: ``host`` (default) sends every image at its box's pixel size;
    ``printer`` sends it at its own size with the Magnification Type and lets the
    printer scale. ``margin_mm``/``gap_mm``: the border the printer leaves at the film
    edge and between boxes. ``custom_formats``: CUSTOM\\i -> rectangles or a box count.
    """

    resolution: Resolution = field(default_factory=lambda: Resolution(dpi=DEFAULT_DPI))
    bits: int = 8
    color: bool = False
    scaling: str = "host"
    margin_mm: float = 0.0
    gap_mm: float = 0.0
    custom_formats: Mapping[int, CustomFormat | int] = field(default_factory=dict)
    magnification: str = "BILINEAR"  # when neither the film nor the frame names one

    def __post_init__(self) -> None:
        if self.bits not in (8, 12):
            raise ValueError(f"printer bits {self.bits!r} must be 8 or 12")
        if self.scaling not in SCALING_MODES:
            raise ValueError(f"scaling {self.scaling!r} must be 'host' or 'printer'")

    @classmethod
    def from_profile(cls, profile: Any, **overrides: Any) -> PrinterSettings:
        """Settings from a :class:`~hcs.driver.profile.PrinterProfile`.

        Reads ``resolution_dpi``, ``bits``, ``color`` and ``custom_formats``, and, when a
        profile has them, ``pixel_spacing_mm``, ``film_pixels``, ``scaling``,
        ``margin_mm``, ``gap_mm`` and ``custom_layouts`` (CUSTOM rectangles).
        """
        resolution = Resolution(
            dpi=float(getattr(profile, "resolution_dpi", DEFAULT_DPI) or DEFAULT_DPI),
            pixel_spacing_mm=getattr(profile, "pixel_spacing_mm", None),
            film_pixels=dict(getattr(profile, "film_pixels", None) or {}),
        )
        custom: dict[int, CustomFormat | int] = custom_formats_from(
            dict(getattr(profile, "custom_formats", None) or {})
        )
        custom.update(custom_formats_from(dict(getattr(profile, "custom_layouts", None) or {})))
        values: dict[str, Any] = {
            "resolution": resolution,
            "bits": int(getattr(profile, "bits", 8) or 8),
            "color": bool(getattr(profile, "color", False)),
            "scaling": str(getattr(profile, "scaling", "host") or "host"),
            "margin_mm": float(getattr(profile, "margin_mm", 0.0) or 0.0),
            "gap_mm": float(getattr(profile, "gap_mm", 0.0) or 0.0),
            "custom_formats": custom,
        }
        values.update(overrides)
        return cls(**values)


@dataclass
class FormattedBox:
    """One image box as formatted: the pixels for the driver, where the image lies in
    them, and what was done (for summaries and previews)."""

    position: int
    spec: ImageBoxSpec
    placement: Placement
    scale: float  # film pixels per image pixel (what the printer applies when it scales)
    source: str
    voi: str
    image_size: tuple[int, int]  # (rows, columns) of the source frame
    view: View | None = None  # the part of the source shown, turned and flipped

    @property
    def pixels(self) -> np.ndarray:
        return self.spec.pixels

    def as_json(self) -> dict[str, Any]:
        px = self.pixels
        return {
            "position": self.position,
            "source": self.source,
            "voi": self.voi,
            "image_rows": self.image_size[0],
            "image_columns": self.image_size[1],
            "rows": int(px.shape[0]),
            "columns": int(px.shape[1]),
            "color": px.ndim == 3,
            "placement": [
                self.placement.x,
                self.placement.y,
                self.placement.width,
                self.placement.height,
            ],
            "scale": round(self.scale, 4),
            **(self._view_json() if self.view is not None else {}),
        }

    def view_text(self) -> str:
        """``shows 3,5 40x20, rotated 90, flipped horizontal`` (the part of the source
        shown, the turn, the flip), or empty for the whole image as it is."""
        v = self.view
        if v is None or v.is_identity_for(*self.image_size):
            return ""
        rows, columns = self.image_size
        whole = (v.x, v.y, v.width, v.height) == (0, 0, columns, rows)
        parts = [] if whole else [f"shows {v.x},{v.y} {v.width}x{v.height}"]
        if v.describe():
            parts.append(v.describe())
        return ", ".join(parts)

    def _view_json(self) -> dict[str, Any]:
        """The region shown ([column, row, width, height] of the source), rotation and
        flip, when they are not the whole image as it is."""
        v = self.view
        assert v is not None
        if v.is_identity_for(*self.image_size):
            return {}
        return {"shown": [v.x, v.y, v.width, v.height], "rotate": v.rotate, "flip": v.flip}


@dataclass
class FormattedFilm:
    """One film as formatted: its layout, the driver's FilmSpec, and per box what was
    made; enough to print it and to draw its preview."""

    layout: FilmLayout
    box: FilmBoxSpec
    boxes: list[FormattedBox | None]
    bits: int
    color: bool
    scaling: str
    magnification: str
    border_pvalue: int
    empty_pvalue: int
    annotations: dict[int, str] = field(default_factory=dict)

    def film_spec(self) -> FilmSpec:
        """The driver's :class:`~hcs.job.model.FilmSpec` (trailing empty boxes left
        out: the printer's box count for SLIDE/CUSTOM may be smaller than ours)."""
        images = [b.spec if b is not None else None for b in self.boxes]
        while images and images[-1] is None:
            images.pop()
        return FilmSpec(box=self.box, images=images, annotations=dict(self.annotations))

    def rect(self, position: int) -> Rect:
        return self.layout.box(position)

    def as_json(self) -> dict[str, Any]:
        return {
            "display_format": str(self.layout.display_format),
            "film_size_id": self.layout.film_size_id,
            "orientation": self.layout.orientation,
            "film_pixels": [self.layout.width, self.layout.height],
            "boxes": [
                {
                    "position": i,
                    "rect": [r.x, r.y, r.width, r.height],
                    **(b.as_json() if b is not None else {"empty": True}),
                }
                for i, (r, b) in enumerate(zip(self.layout.boxes, self.boxes, strict=True), 1)
            ],
            "color": self.color,
            "bits": self.bits,
            "scaling": self.scaling,
            "magnification": self.magnification,
        }
