"""The job model: the values that describe a print job, and the terms they may take.

A :class:`PrintRequest` is one film session (its attributes and its films, each film its
Film Box attributes and the Image Box pixels the formatter made); a :class:`JobOutcome`
is what printing it did. :mod:`hcs.job.terms` holds the defined terms and limits of
PS3.3 C.13 and the checks that name the attribute when a value is wrong.

This package sits at the bottom of ``hcs``: the film geometry, the formatter, the
driver, the virtual printer and the server import it, and it imports none of them
(``tests/test_architecture.py`` holds it to that).
"""

from hcs.job import terms
from hcs.job.model import (
    FilmBoxSpec,
    FilmOutcome,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    JobOutcome,
    OperationRecord,
    PrintRequest,
)
from hcs.job.terms import MAX_BOXES, InvalidAttribute

__all__ = [
    "MAX_BOXES",
    "FilmBoxSpec",
    "FilmOutcome",
    "FilmSessionSpec",
    "FilmSpec",
    "ImageBoxSpec",
    "InvalidAttribute",
    "JobOutcome",
    "OperationRecord",
    "PrintRequest",
    "terms",
]
