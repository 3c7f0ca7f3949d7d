"""Drawings on an image box as a job gives them (JSON): checked here, drawn by
``hcs.formatter.overlay``.

A job (or one of its frames) may carry ``graphics``: a list of objects, each with a
``type`` and the keys of that type::

    {"type": "line", "points": [[10, 10], [200, 40]], "closed": false}
    {"type": "rectangle", "corner1": [40, 40], "corner2": [120, 90]}
    {"type": "ellipse", "corner1": [40, 40], "corner2": [120, 90]}   # inscribed
    {"type": "arrow", "start": [10, 10], "end": [60, 60], "head_mm": 3}
    {"type": "text", "text": "{PatientID}", "at": [20, 30], "size_pt": 10}

Every type also takes ``units`` (``"image"``, the default: the source image's pixel
coordinates, x = column and y = row, so a drawing follows the anatomy wherever the image
lands in its box; ``"mm"``: millimetres on the film from the box's top left corner),
``color`` (a gray level 0..1, 1 = the brightest the film shows, or ``[r, g, b]``
0..255), and lines take ``width_pt`` (points on the film). Text takes ``outline`` (a
colour, or ``null`` for none) and ``{Keyword}`` fields as corner texts do.

This module is the job layer's: it knows the JSON, not Pillow. The values are kept as
JSON (a job is stored as JSON in the spool) and turned into
:mod:`hcs.formatter.overlay` objects where the film is formatted.
"""

from __future__ import annotations

import math
from typing import Any

UNITS = ("image", "mm")
COMMON = {"type", "units", "color"}
POINT = "point"
POINTS = "points"
NUMBER = "number"
TEXT = "text"
FLAG = "flag"
COLOR = "color"
OPTIONAL_COLOR = "optional color"

# type -> {key: (kind, required)}
TYPES: dict[str, dict[str, tuple[str, bool]]] = {
    "line": {"points": (POINTS, True), "closed": (FLAG, False), "width_pt": (NUMBER, False)},
    "rectangle": {
        "corner1": (POINT, True),
        "corner2": (POINT, True),
        "width_pt": (NUMBER, False),
    },
    "ellipse": {
        "corner1": (POINT, True),
        "corner2": (POINT, True),
        "width_pt": (NUMBER, False),
    },
    "arrow": {
        "start": (POINT, True),
        "end": (POINT, True),
        "width_pt": (NUMBER, False),
        "head_mm": (NUMBER, False),
    },
    "text": {
        "text": (TEXT, True),
        "at": (POINT, True),
        "size_pt": (NUMBER, False),
        "outline": (OPTIONAL_COLOR, False),
    },
}


class GraphicError(ValueError):
    """A drawing that is not one we can draw; ``field`` is its path in the job."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _point(where: str, value: Any) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != 2 or not all(map(_number, value)):
        raise GraphicError(where, "must be [x, y]")
    return [float(value[0]), float(value[1])]


def _color(where: str, value: Any) -> float | list[int]:
    if _number(value) and 0 <= value <= 1:
        return float(value)
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    ):
        return list(value)
    raise GraphicError(where, "must be a gray level from 0 to 1 or [r, g, b] from 0 to 255")


def _value(where: str, kind: str, value: Any) -> Any:
    if kind == POINT:
        return _point(where, value)
    if kind == POINTS:
        if not isinstance(value, list | tuple) or len(value) < 2:
            raise GraphicError(where, "must be a list of at least two [x, y] points")
        return [_point(f"{where}[{i}]", p) for i, p in enumerate(value)]
    if kind == NUMBER:
        if not _number(value) or value <= 0 or value > 1000:
            raise GraphicError(where, f"{value!r} must be a number above 0 (at most 1000)")
        return float(value)
    if kind == FLAG:
        if not isinstance(value, bool):
            raise GraphicError(where, "must be true or false")
        return value
    if kind == TEXT:
        if not isinstance(value, str) or not value.strip():
            raise GraphicError(where, "must be a non-empty string")
        if not value.isascii():
            raise GraphicError(where, "must be ASCII (the seed names no character sets)")
        return value
    if kind == OPTIONAL_COLOR and value is None:
        return None
    return _color(where, value)


def parse_one(where: str, item: Any) -> dict[str, Any]:
    """One drawing, checked and normalised; :class:`GraphicError` names ``where.key``."""
    if not isinstance(item, dict):
        raise GraphicError(where, "must be an object with a type")
    kind = item.get("type")
    if kind not in TYPES:
        raise GraphicError(f"{where}.type", f"{kind!r} is not one of {', '.join(TYPES)}")
    keys = TYPES[kind]
    unknown = sorted(set(item) - COMMON - set(keys))
    if unknown:
        known = ", ".join(sorted(COMMON | set(keys)))
        raise GraphicError(f"{where}.{unknown[0]}", f"not a key of a {kind} (known: {known})")
    out: dict[str, Any] = {"type": kind}
    for key, (value_kind, required) in keys.items():
        if key not in item:
            if required:
                raise GraphicError(f"{where}.{key}", f"is required for a {kind}")
            continue
        out[key] = _value(f"{where}.{key}", value_kind, item[key])
    units = item.get("units", "image")
    if units not in UNITS:
        raise GraphicError(f"{where}.units", f"{units!r} is not 'image' or 'mm'")
    out["units"] = units
    if "color" in item:
        out["color"] = _color(f"{where}.color", item["color"])
    return out


def parse(name: str, value: Any) -> list[dict[str, Any]]:
    """A list of drawings (``name`` is where it is in the job, e.g. ``graphics``)."""
    if not isinstance(value, list | tuple):
        raise GraphicError(name, "must be a list of drawings (objects with a type)")
    return [parse_one(f"{name}[{i}]", item) for i, item in enumerate(value)]


def schema() -> dict[str, Any]:
    """The JSON Schema of a list of drawings (one ``oneOf`` branch per type)."""
    kinds = {
        POINT: {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        NUMBER: {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        FLAG: {"type": "boolean"},
        TEXT: {"type": "string", "minLength": 1},
    }
    color = {
        "oneOf": [
            {"type": "number", "minimum": 0, "maximum": 1},
            {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 255},
                "minItems": 3,
                "maxItems": 3,
            },
        ]
    }
    kinds[POINTS] = {"type": "array", "items": kinds[POINT], "minItems": 2}
    kinds[COLOR] = color
    kinds[OPTIONAL_COLOR] = {"oneOf": [*color["oneOf"], {"type": "null"}]}
    branches = []
    for kind, keys in TYPES.items():
        properties: dict[str, Any] = {
            "type": {"const": kind},
            "units": {"enum": list(UNITS), "default": "image"},
            "color": color,
        }
        properties.update({key: kinds[k] for key, (k, _) in keys.items()})
        branches.append(
            {
                "type": "object",
                "properties": properties,
                "required": ["type", *(key for key, (_, req) in keys.items() if req)],
                "additionalProperties": False,
            }
        )
    return {"type": "array", "items": {"oneOf": branches}}
