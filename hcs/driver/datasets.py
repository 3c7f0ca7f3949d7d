"""The Film Session and Film Box N-CREATE data sets, every value checked before it is sent.

Built from the job's specs and the printer's profile: a value outside PS3.3's terms or
outside the printer's own list is an :class:`~hcs.job.terms.InvalidAttribute` naming
the attribute, and attributes the profile omits are left out (REFERENCE.md 1.3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydicom.dataset import Dataset

from dimse import uids
from hcs import film
from hcs.driver.profile import PrinterProfile
from hcs.job import terms
from hcs.job.model import FilmBoxSpec, FilmSessionSpec


def reference(sop_class: str, sop_instance: str) -> Dataset:
    """One item of a Referenced ... Sequence."""
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = sop_instance
    return item


def _short_text(attribute: str, value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise terms.InvalidAttribute(attribute, f"longer than {max_length} characters")
    return terms.ascii_only(attribute, value)


def _fill(
    ds: Dataset, profile: PrinterProfile, rules: list[tuple[str, Any, Callable[[Any], Any]]]
) -> None:
    for keyword, value, check in rules:
        if value is not None and keyword not in profile.omit:
            setattr(ds, keyword, check(value))


def film_session_dataset(
    p: PrinterProfile, spec: FilmSessionSpec, plut_uid: str | None = None
) -> Dataset:
    """Basic Film Session N-CREATE (PS3.4 Table H.4-2)."""
    ds = Dataset()
    _fill(
        ds,
        p,
        [
            (
                "NumberOfCopies",
                spec.number_of_copies,
                lambda v: terms.unsigned("NumberOfCopies", v, 1, 99),
            ),
            (
                "PrintPriority",
                spec.print_priority,
                lambda v: terms.one_of("PrintPriority", v, terms.PRINT_PRIORITIES),
            ),
            (
                "MediumType",
                spec.medium_type,
                lambda v: p.check_value(
                    "MediumType", terms.one_of("MediumType", v, terms.MEDIUM_TYPES), p.medium_types
                ),
            ),
            (
                "FilmDestination",
                spec.film_destination,
                lambda v: terms.film_destination(v, p.film_destinations),
            ),
            (
                "FilmSessionLabel",
                spec.film_session_label,
                lambda v: terms.text("FilmSessionLabel", v, 64),
            ),
            (
                "MemoryAllocation",
                spec.memory_allocation,
                lambda v: terms.unsigned("MemoryAllocation", v, 0, 2**31 - 1),
            ),
            ("OwnerID", spec.owner_id, lambda v: terms.text("OwnerID", v, 16)),
        ],
    )
    if plut_uid is not None and p.presentation_lut_in_session:
        ds.ReferencedPresentationLUTSequence = [reference(uids.PRESENTATION_LUT, plut_uid)]
    return ds


def film_box_dataset(
    p: PrinterProfile, spec: FilmBoxSpec, session_uid: str, plut_uid: str | None = None
) -> Dataset:
    """Basic Film Box N-CREATE (PS3.4 Table H.4-6); Referenced Film Session Sequence always
    (fo-dicom#967: a real printer refused a Film Box without it)."""
    ds = Dataset()
    # Parsed by the one grammar (hcs.job.terms), sent in its canonical spelling.
    display_format = str(terms.parse_display_format(spec.image_display_format))
    film.box_count(display_format, custom_formats=p.custom_formats)
    ds.ImageDisplayFormat = p.check_value("ImageDisplayFormat", display_format, p.display_formats)
    ds.ReferencedFilmSessionSequence = [reference(uids.BASIC_FILM_SESSION, session_uid)]
    _fill(
        ds,
        p,
        [
            (
                "FilmOrientation",
                spec.film_orientation,
                lambda v: terms.one_of("FilmOrientation", v, terms.FILM_ORIENTATIONS),
            ),
            (
                "FilmSizeID",
                spec.film_size_id,
                lambda v: p.check_value(
                    "FilmSizeID", terms.one_of("FilmSizeID", v, terms.FILM_SIZE_IDS), p.film_sizes
                ),
            ),
            (
                "MagnificationType",
                spec.magnification_type,
                lambda v: p.check_value(
                    "MagnificationType",
                    terms.one_of("MagnificationType", v, terms.MAGNIFICATION_TYPES),
                    p.magnification_types,
                ),
            ),
            (
                "SmoothingType",
                spec.smoothing_type,
                lambda v: p.check_value(
                    "SmoothingType", terms.text("SmoothingType", v, 16), p.smoothing_types
                ),
            ),
            ("BorderDensity", spec.border_density, lambda v: terms.density("BorderDensity", v)),
            (
                "EmptyImageDensity",
                spec.empty_image_density,
                lambda v: terms.density("EmptyImageDensity", v),
            ),
            ("MinDensity", spec.min_density, lambda v: terms.unsigned("MinDensity", v)),
            ("MaxDensity", spec.max_density, lambda v: terms.unsigned("MaxDensity", v)),
            ("Trim", spec.trim, lambda v: terms.one_of("Trim", v, terms.TRIM_VALUES)),
            (
                "ConfigurationInformation",
                spec.configuration_information or p.configuration_information,
                lambda v: _short_text("ConfigurationInformation", v, 1024),
            ),
            (
                "RequestedResolutionID",
                spec.requested_resolution_id,
                lambda v: terms.one_of("RequestedResolutionID", v, terms.RESOLUTION_IDS),
            ),
            ("Illumination", spec.illumination, lambda v: terms.unsigned("Illumination", v)),
            (
                "ReflectedAmbientLight",
                spec.reflected_ambient_light,
                lambda v: terms.unsigned("ReflectedAmbientLight", v),
            ),
            (
                "AnnotationDisplayFormatID",
                spec.annotation_display_format_id,
                lambda v: terms.text("AnnotationDisplayFormatID", v, 16),
            ),
        ],
    )
    if plut_uid is not None and not p.presentation_lut_in_session:
        ds.ReferencedPresentationLUTSequence = [reference(uids.PRESENTATION_LUT, plut_uid)]
    return ds


# What each N-CREATE / N-SET may carry from us: the conformance statement's tables are
# checked against these, and these against what the builders above really set.
FILM_SESSION_ATTRIBUTES = (
    "NumberOfCopies",
    "PrintPriority",
    "MediumType",
    "FilmDestination",
    "FilmSessionLabel",
    "MemoryAllocation",
    "OwnerID",
    "ReferencedPresentationLUTSequence",
)
FILM_BOX_ATTRIBUTES = (
    "ImageDisplayFormat",
    "ReferencedFilmSessionSequence",
    "FilmOrientation",
    "FilmSizeID",
    "MagnificationType",
    "SmoothingType",
    "BorderDensity",
    "EmptyImageDensity",
    "MinDensity",
    "MaxDensity",
    "Trim",
    "ConfigurationInformation",
    "RequestedResolutionID",
    "Illumination",
    "ReflectedAmbientLight",
    "AnnotationDisplayFormatID",
    "ReferencedPresentationLUTSequence",
)
IMAGE_BOX_ATTRIBUTES = (
    "ImageBoxPosition",
    "Polarity",
    "MagnificationType",
    "SmoothingType",
    "MinDensity",
    "MaxDensity",
    "ConfigurationInformation",
    "RequestedImageSize",
    "RequestedDecimateCropBehavior",
    "BasicGrayscaleImageSequence",
    "BasicColorImageSequence",
)
IMAGE_ITEM_ATTRIBUTES = (
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "PlanarConfiguration",
    "Rows",
    "Columns",
    "PixelAspectRatio",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelData",
)
