"""Moved: the print terms and their checks live in :mod:`hcs.job.terms` (re-exported here)."""

from hcs.job.terms import *  # noqa: F403
