"""Moved: the values of a print job live in :mod:`hcs.job.model` (re-exported here)."""

from hcs.job.model import *  # noqa: F403
