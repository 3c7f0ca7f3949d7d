"""The root of hcs's domain errors.

Every error that means "this input, job, film, printer or configuration is wrong" derives
from :class:`HcsError`, so code that must survive bad input (a server worker, the CLI)
catches ``HcsError`` and lets anything else — a real bug — surface as one. The concrete
classes keep ``ValueError`` (or ``OSError``...) as a second base where callers have always
caught them that way.
"""

from __future__ import annotations


class HcsError(Exception):
    """A domain error: its message is a sentence for the person who sent the input."""


class ConfigError(HcsError, ValueError):
    """A configuration file or table that cannot be used; the message names the key."""
