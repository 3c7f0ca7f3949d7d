"""Moved: the print terms and their checks live in :mod:`hcs.job.terms` (re-exported here)."""

from hcs import film
from hcs.job.terms import *  # noqa: F403


def box_count(display_format: str, custom_boxes: dict[int, int] | None = None) -> int:
    """Old name: :func:`hcs.film.box_count` on the default film (14INX17IN, PORTRAIT)."""
    return film.box_count(display_format, custom_formats=custom_boxes)
