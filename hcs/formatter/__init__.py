"""The Formatter: image viewing transformations, contrast and brightness, overlays, and
the film layout that places frames on film (the seed's Formatter, DESIGN.md step 4).

Modules, one job each: ``source`` (reading a frame and its LUT attributes), ``gray``
(Modality, VOI, polarity, Presentation LUT -> P-values), ``magnify`` (fit into a box),
``spatial`` (region of interest, rotation, flip: the viewing
transformations), ``overlay`` (text and graphics at print resolution), ``density`` (densities as
P-values), ``frame`` (one frame through all of it), ``engine`` (the thread pool and
films), ``request`` (a job -> the driver's PrintRequest). Geometry is ``hcs.film``;
previews are ``hcs.preview``. See docs/formatter.md.
"""

from hcs.formatter.engine import FormatError, Formatter
from hcs.formatter.job import FilmJob, FormattedBox, FormattedFilm, Frame, PrinterSettings
from hcs.formatter.overlay import (
    Arrow,
    Ellipse,
    Line,
    OverlayPlanes,
    Rectangle,
    ScaleBar,
    Text,
)
from hcs.formatter.request import (
    JobFrame,
    JobOptions,
    build_print_request,
    build_print_request_async,
)
from hcs.formatter.source import Image, SourceError

__all__ = [
    "Arrow",
    "Ellipse",
    "FilmJob",
    "FormatError",
    "FormattedBox",
    "FormattedFilm",
    "Formatter",
    "Frame",
    "Image",
    "JobFrame",
    "JobOptions",
    "Line",
    "OverlayPlanes",
    "PrinterSettings",
    "Rectangle",
    "ScaleBar",
    "SourceError",
    "Text",
    "build_print_request",
    "build_print_request_async",
]
