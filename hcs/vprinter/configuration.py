"""The Printer Configuration Retrieval answer (PS3.4 H.4.11, PS3.3 C.13.9), from the
printer's configuration: what it supports, and the pixel matrix of box 1 of each
display format and film size.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from hcs.job import terms
from hcs.vprinter import geometry
from hcs.vprinter.config import VirtualPrinterConfig

# Representative layouts listed in the Printer Configuration for the bare kinds.
_CONFIGURATION_FORMATS = {
    "STANDARD": [
        "STANDARD\\1,1",
        "STANDARD\\1,2",
        "STANDARD\\2,2",
        "STANDARD\\2,3",
        "STANDARD\\3,3",
        "STANDARD\\3,4",
        "STANDARD\\4,5",
    ],
    "ROW": ["ROW\\1,2"],
    "COL": ["COL\\1,2"],
    "SLIDE": ["SLIDE"],
    "SUPERSLIDE": ["SUPERSLIDE"],
}


def printer_configuration(config: VirtualPrinterConfig) -> Dataset:
    """One Printer Configuration Sequence item (PS3.4 H.4.11, PS3.3 C.13.9): what the
    printer supports, including the pixel matrix of box 1 of each format and size."""
    film = config.film
    item = Dataset()
    supported = [
        uid
        for name, uid in terms.SOP_CLASSES.items()
        if name != "verification" and config.supports(name)
    ]
    item.SOPClassesSupported = supported
    bits = 12 if film.supports_12bit else 8
    item.MemoryBitDepth = bits
    item.PrintingBitDepth = bits
    media = []
    for medium in film.medium_types:
        entry = Dataset()
        entry.MediumType = medium
        entry.FilmSizeID = film.sizes[0]
        entry.MinDensity = film.min_density
        entry.MaxDensity = film.max_density
        media.append(entry)
    item.MediaInstalledSequence = media
    other = []
    for size in film.sizes[1:]:
        entry = Dataset()
        entry.MediumType = film.medium_types[0]
        entry.FilmSizeID = size
        other.append(entry)
    item.OtherMediaAvailableSequence = other
    formats = []
    for entry in film.display_formats:
        if entry == "CUSTOM":
            formats += [f"CUSTOM\\{k}" for k in config.custom_formats]
        else:
            formats += _CONFIGURATION_FORMATS.get(entry, [entry])
    supported_formats = []
    pixel_spacing = round(geometry.MM_PER_INCH / film.resolution_dpi, 6)
    for size in film.sizes:
        for text in dict.fromkeys(formats):
            try:
                layout = geometry.layout(
                    geometry.parse_display_format(text),
                    size,
                    "PORTRAIT",
                    margin_mm=film.margin_mm,
                    gap_mm=film.gap_mm,
                    custom_formats=config.custom_formats,
                )
            except geometry.DisplayFormatError:
                continue
            columns, rows = layout.boxes[0].pixels(film.resolution_dpi)
            entry = Dataset()
            entry.Rows = rows
            entry.Columns = columns
            entry.ImageDisplayFormat = text
            entry.FilmOrientation = "PORTRAIT"
            entry.FilmSizeID = size
            entry.PrinterResolutionID = "STANDARD"
            entry.PrinterPixelSpacing = [pixel_spacing, pixel_spacing]
            entry.RequestedImageSizeFlag = (
                "NO" if "RequestedImageSize" in film.unsupported_attributes else "YES"
            )
            supported_formats.append(entry)
    item.SupportedImageDisplayFormatsSequence = supported_formats
    item.DefaultMagnificationType = film.default_magnification
    item.OtherMagnificationTypesAvailable = [
        t for t in film.magnification_types if t != film.default_magnification
    ]
    item.DefaultSmoothingType = film.default_smoothing
    item.OtherSmoothingTypesAvailable = [
        t for t in film.smoothing_types if t != film.default_smoothing
    ]
    item.ConfigurationInformationDescription = (
        "accepted: " + ", ".join(film.configuration_information)
        if film.configuration_information
        else "any configuration information is accepted and ignored"
    )
    item.MaximumCollatedFilms = str(film.max_copies) if film.collation else "1"
    item.DecimateCropResult = {"DEMAGNIFY": "DECIMATE"}.get(film.oversize, film.oversize)
    item.Manufacturer = config.printer.manufacturer
    item.ManufacturerModelName = config.printer.model
    item.PrinterName = config.printer.name
    return item
