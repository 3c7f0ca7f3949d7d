"""Moved: the values of a print job live in :mod:`hcs.job` (re-exported here for old imports)."""

from hcs.job.model import (  # noqa: F401
    FilmBoxSpec,
    FilmOutcome,
    FilmSessionSpec,
    FilmSpec,
    ImageBoxSpec,
    JobOutcome,
    OperationRecord,
    PrintRequest,
)
