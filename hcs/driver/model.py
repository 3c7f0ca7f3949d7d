"""Moved: the values of a print job live in :mod:`hcs.job` (re-exported here for old imports)."""

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

__all__ = [
    "FilmBoxSpec",
    "FilmOutcome",
    "FilmSessionSpec",
    "FilmSpec",
    "ImageBoxSpec",
    "JobOutcome",
    "OperationRecord",
    "PrintRequest",
]
