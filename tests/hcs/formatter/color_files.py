"""pydicom's own colour test files (RGB, YBR_*, PALETTE COLOR; every layout and codec it
ships), found on disk so that a file added by a newer pydicom is tested too."""

from __future__ import annotations

from pathlib import Path

import pydicom


def color_test_files() -> list[Path]:
    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    found = []
    for path in sorted(folder.rglob("*.dcm")):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # deliberately broken files live there too
            continue
        photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
        if photometric and not photometric.startswith("MONOCHROME"):
            found.append(path)
    return found
