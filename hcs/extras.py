"""The optional extras of ``pip install hcs[...]`` and what to say when one is missing.

The core install (numpy, pydicom) prints and talks DICOM; the rest is optional, so a
command that reaches for a missing package names the extra that brings it, in one line,
instead of showing Python's "No module named 'PIL'".
"""

from __future__ import annotations

EXTRAS = {
    # top-level module: (the package to install, the extra that installs it, what needs it)
    "aiohttp": ("aiohttp", "server", "the hardcopy server and its clients"),
    "prometheus_client": ("prometheus_client", "server", "the server's /metrics"),
    "PIL": ("Pillow", "images", "PNG/JPEG input, text overlays, previews and rendered films"),
    "psycopg": ("psycopg", "postgresql", "the PostgreSQL spool"),
}


def missing_extra(error: ImportError) -> str | None:
    """One line naming the extra to install, if ``error`` is a missing optional package."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    top = error.name.partition(".")[0]
    if top not in EXTRAS:
        return None
    package, extra, needed_for = EXTRAS[top]
    return f"{package} is not installed ({needed_for} need it): pip install 'hcs[{extra}]'"
