"""A job's frames: which image goes in which box of which film, with that box's own values.

The seed's Job is made of Frames, each "a physical region of a film and the contents
thereof": an image, where it goes on the film, and how it is presented. A job without
``frames`` fills the boxes with its images in order (every frame of a multi-frame file).
A job with ``frames`` says it box by box::

    "frames": [
      {"image": "ct1.dcm", "box": 1, "window": [40, 400]},
      {"image": 1, "frame": 3, "box": 4, "polarity": "REVERSE",
       "text": {"top-left": "{PatientName}"},
       "graphics": [{"type": "arrow", "start": [10, 10], "end": [60, 60]}]},
      {"empty": true}
    ]

- ``image``: an image of the job, by its name (a multipart part name, or a path of
  ``paths``) or its 0-based index in ``images``/``paths``; ``frame``: the 0-based frame of
  a multi-frame image (default 0). ``{"empty": true}`` is a box left empty.
- ``box``: the Image Box Position (1-based) on the film; without it, the box after the
  previous frame's. A box at or before the previous one starts the next film, and so
  does running past the last box, so ``box`` alone lays out any number of films;
  ``film`` (1-based) names the film outright. Boxes no frame names are left empty
  (Empty Image Density). A box beyond the display format's count is refused.
- Every job option that applies per box (:func:`frame_fields`: the image box and frame
  levels of :mod:`hcs.job.fields`, and magnification) may be given per frame, and
  replaces the job's value for that box (``text`` as a whole, ``graphics`` as a whole).

Adding a per-frame option is adding a :class:`~hcs.job.fields.JobField` at level FRAME
(or IMAGE_BOX, or ``per_frame=True``): it is then a key of ``frames[i]``, of the OpenAPI
Frame schema and of ``--frame KEY=VALUE``, with no change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hcs.job import fields as job_fields

PLACEMENT_KEYS = ("image", "frame", "box", "film", "empty")
MAX_FRAMES = 10000


def frame_fields() -> tuple[job_fields.JobField, ...]:
    """The job options a frame may set for its own box."""
    return tuple(f for f in job_fields.FIELDS if f.in_frame)


@dataclass(frozen=True)
class FrameSpec:
    """One frame of a job, checked: ``image`` an index into the job's images (``None``:
    the box is left empty), ``frame`` the frame of that image, ``box``/``film`` where it
    goes (``None``: the next box), ``options`` its own values by option name."""

    image: int | None
    frame: int = 0
    box: int | None = None
    film: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.image is None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"empty": True} if self.empty else {"image": self.image}
        if not self.empty and self.frame:
            data["frame"] = self.frame
        if self.box is not None:
            data["box"] = self.box
        if self.film is not None:
            data["film"] = self.film
        for name, value in self.options.items():
            data[name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameSpec:
        """A frame as :meth:`as_json` stored it (checked when the job came in)."""
        options = {
            name: tuple(value) if name == "window" else value
            for name, value in data.items()
            if name not in PLACEMENT_KEYS
        }
        return cls(
            None if data.get("empty") else int(data["image"]),
            int(data.get("frame", 0)),
            data.get("box"),
            data.get("film"),
            options,
        )


def _positive(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise job_fields.FieldError(where, f"{value!r} must be a whole number from 1")
    return value


def image_names(frames: Any) -> list[str]:
    """The images a job's frames name, in the order first named (for a job that lists
    its images only in its frames)."""
    names: list[str] = []
    if isinstance(frames, list):
        for item in frames:
            image = item.get("image") if isinstance(item, dict) else None
            if isinstance(image, str) and image not in names:
                names.append(image)
    return names


def parse(value: Any, images: Sequence[str], what: str = "frames") -> tuple[FrameSpec, ...]:
    """A job's ``frames`` checked against its images (names or paths, in order).

    Raises :class:`~hcs.job.fields.FieldError` naming the path, e.g. ``frames[3].window``;
    frame counts of multi-frame images and box counts are checked where they are known
    (:func:`check_frames`, :func:`arrange`)."""
    if not isinstance(value, list) or not value:
        raise job_fields.FieldError(what, "must be a non-empty list of frames (objects)")
    if len(value) > MAX_FRAMES:
        raise job_fields.FieldError(what, f"{len(value)} frames, more than {MAX_FRAMES}")
    allowed = {f.name: f for f in frame_fields()}
    index_of = {name: i for i, name in reversed(list(enumerate(images)))}
    parsed = []
    for i, item in enumerate(value):
        where = f"{what}[{i}]"
        if not isinstance(item, dict):
            raise job_fields.FieldError(where, "must be an object (image, box, ... or empty)")
        unknown = sorted(set(item) - set(PLACEMENT_KEYS) - set(allowed))
        if unknown:
            key = unknown[0]
            reason = (
                "is a job option for the whole film or job, not for one frame"
                if key in job_fields.BY_NAME
                else "unknown key"
            )
            known = ", ".join([*PLACEMENT_KEYS, *allowed])
            raise job_fields.FieldError(f"{where}.{key}", f"{reason} (a frame takes: {known})")
        empty = item.get("empty", False)
        if not isinstance(empty, bool):
            raise job_fields.FieldError(f"{where}.empty", "must be true or false")
        box = None if item.get("box") is None else _positive(f"{where}.box", item["box"])
        film = None if item.get("film") is None else _positive(f"{where}.film", item["film"])
        if empty:
            extra = sorted(set(item) - {"empty", "box", "film"})
            if extra:
                raise job_fields.FieldError(
                    f"{where}.{extra[0]}", "an empty box takes only box and film"
                )
            parsed.append(FrameSpec(None, 0, box, film))
            continue
        if "image" not in item:
            raise job_fields.FieldError(
                f"{where}.image", 'is required (or {"empty": true} for an empty box)'
            )
        image = _image(f"{where}.image", item["image"], images, index_of)
        frame = item.get("frame", 0)
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise job_fields.FieldError(f"{where}.frame", f"{frame!r} must be a frame index ≥ 0")
        options = {}
        for name, raw in item.items():
            if name in allowed and raw is not None:
                try:
                    options[name] = allowed[name].convert(raw)
                except job_fields.FieldError as error:
                    raise job_fields.FieldError(f"{where}.{error.field}", error.reason) from None
        parsed.append(FrameSpec(image, frame, box, film, options))
    if all(f.empty for f in parsed):
        raise job_fields.FieldError(what, "names no image: every frame is empty")
    return tuple(parsed)


def _image(where: str, value: Any, images: Sequence[str], index_of: dict[str, int]) -> int:
    if isinstance(value, bool):
        raise job_fields.FieldError(where, "must be an image name or index")
    if isinstance(value, int):
        if not 0 <= value < len(images):
            raise job_fields.FieldError(
                where, f"index {value} is not one of the job's {len(images)} image(s)"
            )
        return value
    if isinstance(value, str) and value in index_of:
        return index_of[value]
    if isinstance(value, str):
        raise job_fields.FieldError(
            where, f"{value!r} is not one of the job's images ({', '.join(images) or 'none'})"
        )
    raise job_fields.FieldError(where, "must be an image name or index")


def check_frames(
    frames: Sequence[FrameSpec], counts: Sequence[int], images: Sequence[str], what: str = "frames"
) -> None:
    """Each frame's ``frame`` exists in its image (``counts``: frames per image), and
    every image is used (an image sent but printed nowhere is a mistake, not a wish)."""
    for i, spec in enumerate(frames):
        if spec.image is not None and spec.frame >= counts[spec.image]:
            raise job_fields.FieldError(
                f"{what}[{i}].frame",
                f"{images[spec.image]!r} has {counts[spec.image]} frame(s) (0 to "
                f"{counts[spec.image] - 1})",
            )
    used = {spec.image for spec in frames}
    for index, name in enumerate(images):
        if index not in used:
            raise job_fields.FieldError(
                f"images[{index}]", f"{name!r} is in no frame (leave it out, or add a frame)"
            )


def arrange(
    places: Sequence[tuple[int | None, int | None]], per_film: int, what: str = "frames"
) -> list[dict[int, int]]:
    """Lay items out on films: ``places[i]`` is item i's (film, box), either ``None``
    for "next"; returns, per film, {box position: item index}. Raises
    :class:`~hcs.job.fields.FieldError` naming ``frames[i].box`` or ``.film``."""
    films: list[dict[int, int]] = [{}]
    film, last = 1, 0  # the current film, and the last box used on it
    for i, (want_film, want_box) in enumerate(places):
        if want_film is not None:
            if want_film < film:
                raise job_fields.FieldError(
                    f"{what}[{i}].film", f"film {want_film} comes before film {film} (in order)"
                )
            if want_film > film:
                film, last = want_film, 0
        if want_box is not None:
            if want_box > per_film:
                raise job_fields.FieldError(
                    f"{what}[{i}].box",
                    f"box {want_box} is beyond the film's {per_film} image box(es)",
                )
            if want_box <= last:
                if want_film is not None:
                    taken = films[film - 1].get(want_box)
                    raise job_fields.FieldError(
                        f"{what}[{i}].box",
                        f"box {want_box} of film {film} is already used"
                        + (f" by {what}[{taken}]" if taken is not None else "")
                        + " (boxes go in order on a film)",
                    )
                film, last = film + 1, 0
            position = want_box
        else:
            position = last + 1
            if position > per_film:
                film, position = film + 1, 1
        while len(films) < film:
            films.append({})
        films[film - 1][position] = i
        last = position
    return films


# -- the command line: --frame IMAGE,KEY=VALUE,... and --frames FILE.json -----------------


def from_text(text: str) -> dict[str, Any]:
    """``--frame`` as a frame object: ``IMAGE[,KEY=VALUE]...``, IMAGE a file, an index
    into the command's files, or ``-`` for an empty box; KEY ``box``, ``film``, ``frame``
    or any per-frame option (``-`` or ``_``). ``window=C:W``; ``roi=X:Y:W:H``;
    ``text=CORNER:TEMPLATE`` (repeatable); a flag alone is true (``overlay_planes``).
    Values with commas, and graphics, go in a ``--frames`` file. Raises ``ValueError``
    with the reason."""
    image, *pairs = text.split(",")
    frame: dict[str, Any] = {}
    image = image.strip()
    if image in ("-", ""):
        frame["empty"] = True
    else:
        frame["image"] = int(image) if image.isdigit() else image
    per_frame = {f.name: f for f in frame_fields()}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if key in ("box", "film", "frame"):
            if not value.strip().isdigit():
                raise ValueError(f"{key}={value!r} must be a whole number")
            frame[key] = int(value)
            continue
        job_field = per_frame.get(key)
        if job_field is None:
            raise ValueError(
                f"{key!r} is not a frame key (box, film, frame, {', '.join(per_frame)})"
            )
        if job_field.kind is bool:
            frame[key] = (value.strip().lower() in ("", "true", "yes", "1")) if sep else True
        elif job_field.kind is job_fields.WINDOW:
            center, colon, width = value.replace("/", ":").partition(":")
            if not colon:
                raise ValueError(f"window={value!r} must be CENTER:WIDTH")
            frame[key] = [float(center), float(width)]
        elif job_field.kind is job_fields.ROI:
            parts = value.replace("/", ":").split(":")
            try:
                frame[key] = [int(part) for part in parts]
            except ValueError:
                raise ValueError(f"roi={value!r} must be X:Y:WIDTH:HEIGHT (pixels)") from None
        elif job_field.kind is job_fields.TEXTS:
            corner, colon, template = value.partition(":")
            if not colon:
                raise ValueError(f"text={value!r} must be CORNER:TEMPLATE")
            frame.setdefault(key, {})[corner] = template.replace("\\n", "\n")
        elif job_field.kind is job_fields.GRAPHICS:
            raise ValueError("graphics go in a --frames FILE (JSON), not in --frame")
        elif job_field.kind in (int, float):
            try:
                frame[key] = job_field.kind(value)
            except ValueError:
                raise ValueError(f"{key}={value!r} is not a number") from None
        else:
            frame[key] = value
    return frame


def read_file(path: str) -> list[Any]:
    """``--frames FILE``: a JSON list of frames, or a job object with ``frames``."""
    import json

    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        data = data.get("frames")
    if not isinstance(data, list):
        raise ValueError(f"{path}: must hold a JSON list of frames (or an object with frames)")
    return data


def with_files(frames: list[Any], files: Sequence[str]) -> tuple[list[Any], list[str]]:
    """Frames whose images are files (as on a command line) -> frames whose images are
    indexes into the returned file list: the command's files, then every other file a
    frame names, in order. An index names one of the command's files."""
    import os

    files = list(files)
    where = {os.path.realpath(f): i for i, f in reversed(list(enumerate(files)))}
    out = []
    for item in frames:
        if isinstance(item, dict) and isinstance(item.get("image"), str):
            real = os.path.realpath(item["image"])
            if real not in where:
                where[real] = len(files)
                files.append(item["image"])
            item = {**item, "image": where[real]}
        out.append(item)
    return out, files


def add_arguments(parser: Any) -> None:
    """``--frame`` and ``--frames`` for ``hcs print`` and ``hcs submit``."""
    group = parser.add_argument_group(
        "frames", "box by box: which image goes where, with its own values (docs/server.md)"
    )
    group.add_argument(
        "--frame",
        action="append",
        dest="frame",
        metavar="IMAGE,KEY=VALUE...",
        help="one box: IMAGE (a file, an index into FILE..., or - for an empty box: "
        "--frame=-,box=2), "
        "then box=N, film=N, frame=N and per-frame options, e.g. "
        "'ct.dcm,box=3,window=40:400,polarity=REVERSE,text=top-left:{PatientID}'; repeat "
        "for each box",
    )
    group.add_argument(
        "--frames",
        dest="frames_file",
        metavar="JSON",
        help="a file holding the job's frames as in the HTTP job (a list, or an object "
        "with frames); images are file paths or indexes into FILE...",
    )


def from_args(args: Any) -> tuple[list[Any] | None, list[str]]:
    """The frames a command line gives (``None``: none) and the files to send, which are
    the command's files and then the ones only frames name. ``ValueError`` says why."""
    frames: list[Any] = []
    if getattr(args, "frames_file", None):
        frames += read_file(args.frames_file)
    for text in getattr(args, "frame", None) or ():
        try:
            frames.append(from_text(text))
        except ValueError as error:
            raise ValueError(f"--frame {text!r}: {error}") from None
    if not frames:
        return None, list(args.files)
    return with_files(frames, args.files)


def schema() -> dict[str, Any]:
    """The JSON Schema of one frame: its placement keys and every per-frame job option
    (from :data:`hcs.job.fields.FIELDS`, so the schema follows the table)."""
    image_ref = {
        "oneOf": [{"type": "string"}, {"type": "integer", "minimum": 0}],
        "description": "An image of the job: its name in images (or path in paths), "
        "or its 0-based index there.",
    }
    properties: dict[str, Any] = {
        "image": image_ref,
        "frame": {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "The 0-based frame of a multi-frame image.",
        },
        "box": {
            "type": "integer",
            "minimum": 1,
            "description": "Image Box Position on the film (default: the next box); a box "
            "at or before the previous frame's starts the next film.",
        },
        "film": {"type": "integer", "minimum": 1, "description": "The film, 1-based."},
        "empty": {"type": "boolean", "description": "true: the box is left empty."},
    }
    properties.update({f.name: f.schema() for f in frame_fields()})
    return {
        "type": "object",
        "description": "One box of the job: an image (or empty), where it goes, and values "
        "that replace the job's for this box.",
        "properties": properties,
        "additionalProperties": False,
    }
