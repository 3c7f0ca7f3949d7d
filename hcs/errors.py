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
    """A configuration file, table or option that cannot be used; the message names the key.

    ``reason`` is the sentence alone; ``path`` and ``line`` say where it is when known,
    and then lead the message (``hcs.toml, line 12: printers.x.port: ...``).
    """

    def __init__(self, message: str, line: int | None = None, path: str | None = None):
        self.reason = message
        self.line = line
        self.path = path
        if path is not None or line is not None:
            where = path or "configuration"
            if line is not None:
                where += f", line {line}"
            message = f"{where}: {message}"
        super().__init__(message)
