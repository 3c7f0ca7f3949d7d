"""``make mutate``: break one thing we send at a time and check that a test notices.

Each :class:`Mutation` changes one piece of source text (an attribute we stop sending, a
request we stop making, a value we change, a transfer syntax we stop proposing). The
runner copies the working tree to a temporary directory, checks that the selected tests
pass there unchanged, then for each mutation applies it, runs only that mutation's tests
(``-x``: the first failure is enough) and restores the file. It fails unless every
mutation applies (its text is found exactly once: a mutation whose code moved must be
moved with it) and every one is caught by a failing test — a collection error or a
crash does not count as caught.

Run by hand (it is slow, and not part of ``make test``)::

    make mutate                          # every mutation
    .venv/bin/python -m tests.mutate no-film-box-delete no-print-priority
    .venv/bin/python -m tests.mutate --list
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

DRIVER_WIRE = "tests/hcs/driver/test_wire.py"
CLI_WIRE = "tests/hcs/test_print_command_wire.py"
SERVER_WIRE = "tests/hcs/server/test_wire.py"
BEFORE_ASSOCIATION = "tests/hcs/driver/test_checked_before_association.py"
COLLATE = "tests/hcs/server/test_collate.py"
DCMPRSCP_WIRE = "tests/hcs/driver/test_dcmprscp_wire.py"
FRAMES_WIRE = "tests/hcs/server/test_frames_wire.py"
FRAMES = "tests/hcs/job/test_frames.py"
DEFAULTS = "tests/hcs/test_frames_and_defaults.py"
SERVER_DEFAULTS = "tests/hcs/server/test_printer_defaults.py"
REQUEST = "hcs/formatter/request.py"
DATASETS = "hcs/driver/datasets.py"
SESSION = "hcs/driver/session.py"
IMAGEBOX = "hcs/driver/imagebox.py"


def _wire(test: str) -> str:
    return f"{DRIVER_WIRE}::test_{test}"


W_SESSION = _wire("the_film_session_carries_every_attribute_we_were_given")
W_BOX = _wire("the_film_box_carries_every_attribute_we_were_given")
W_IMAGE = _wire("each_image_box_carries_its_attributes_and_pixels")
W_NAMED = _wire("image_boxes_are_set_on_the_instances_the_film_box_named")
W_PLUT = _wire("the_presentation_lut_carries_its_shape")
W_ORDER = _wire("the_operations_come_in_the_documented_order")
W_IMPLICIT = _wire("implicit_vr_is_what_we_prefer_by_default")
W_COLOR = _wire("a_colour_image_box_is_rgb_frame_interleaved")
W_COLLATE = _wire("a_collated_session_is_printed_with_one_film_session_action")
W_PLUT_SESSION = _wire("the_film_session_references_the_lut_on_pre_cp173_printers")
W_EXPLICIT = _wire("explicit_vr_carries_the_same_values_as_implicit_vr")
SPATIAL = "hcs/formatter/spatial.py"
SPATIAL_TESTS = "tests/hcs/formatter/test_formatter_spatial.py"
SPATIAL_CLI = (
    "tests/hcs/test_print_command_wire.py::test_rotate_flip_zoom_and_roi_reach_the_image_box"
)
SPATIAL_HTTP = (
    "tests/hcs/server/test_wire.py::test_http_rotate_flip_zoom_and_roi_reach_the_image_box"
)
_TURN = (
    "        if self.rotate:\n"
    "            pixels = np.rot90(pixels, k=-self.rotate // 90, axes=(0, 1))\n"
)
_MIRROR = '        if self.flip == "HORIZONTAL":\n            pixels = pixels[:, ::-1]\n'


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...] = (DRIVER_WIRE,)
    why: str = ""


def _unsent(name: str, path: str, value: str, tests: tuple[str, ...]) -> Mutation:
    """The attribute fed by ``value`` (e.g. ``spec.print_priority,``) is never sent."""
    return Mutation(name, path, value, "None,", tests, f"{value.rstrip(',')} is not sent")


MUTATIONS: tuple[Mutation, ...] = (
    # --- operations the driver makes (hcs/driver/session.py)
    Mutation(
        "no-film-box-delete",
        SESSION,
        "        await self._print_film_box(outcome, film_outcome, meta, film_uid)\n"
        '        await self._delete(outcome, "N-DELETE Film Box", meta, uids.BASIC_FILM_BOX, '
        "film_uid)\n",
        "        await self._print_film_box(outcome, film_outcome, meta, film_uid)\n",
        (W_ORDER,),
        "the Film Box is never deleted",
    ),
    Mutation(
        "no-film-session-delete",
        SESSION,
        "await self._delete(\n"
        '                    outcome, "N-DELETE Film Session", meta, uids.BASIC_FILM_SESSION, '
        "session_uid\n                )",
        "pass",
        (W_ORDER,),
        "the Film Session is never deleted",
    ),
    Mutation(
        "no-presentation-lut-delete",
        SESSION,
        "                if plut_uid is not None:\n                    await self._delete(",
        "                if False:\n                    await self._delete(",
        (W_ORDER,),
        "the Presentation LUT is never deleted",
    ),
    Mutation(
        "no-printer-n-get",
        SESSION,
        "            await self.printer_status(outcome)\n",
        "",
        (W_ORDER,),
        "the Printer is not asked for its status before printing",
    ),
    Mutation(
        "no-annotations",
        SESSION,
        "if film.annotations and self.annotation:",
        "if False:",
        (W_NAMED,),
        "Annotation Boxes are not set",
    ),
    Mutation(
        "print-action-type-2",
        SESSION,
        "NActionRQ(self.dimse.next_message_id(), uids.BASIC_FILM_BOX, film_uid, 1)",
        "NActionRQ(self.dimse.next_message_id(), uids.BASIC_FILM_BOX, film_uid, 2)",
        (W_ORDER,),
        "the print N-ACTION has the wrong Action Type ID",
    ),
    Mutation(
        "collate-prints-film-by-film",
        SESSION,
        "collate = request.collate and self.profile.session_print\n",
        "collate = False\n",
        (W_COLLATE,),
        "a collated job is printed film by film",
    ),
    Mutation(
        "image-boxes-out-of-order",
        SESSION,
        "zip(boxes, film.images, strict=False), start=1",
        "zip(reversed(boxes), film.images, strict=False), start=1",
        (W_NAMED,),
        "image boxes are set on the wrong instances",
    ),
    Mutation(
        "no-plut-shape",
        SESSION,
        "        dataset.PresentationLUTShape = shape\n",
        "",
        (W_PLUT,),
        "the Presentation LUT has no shape",
    ),
    # --- transfer syntaxes (hcs/driver/profile.py)
    Mutation(
        "explicit-only-by-default",
        "hcs/driver/profile.py",
        'transfer_syntaxes: tuple[str, ...] = ("implicit",)',
        'transfer_syntaxes: tuple[str, ...] = ("explicit",)',
        (W_IMPLICIT,),
        "only Explicit VR is proposed by default",
    ),
    Mutation(
        "explicit-preferred-by-default",
        "hcs/driver/profile.py",
        'transfer_syntaxes: tuple[str, ...] = ("implicit",)',
        'transfer_syntaxes: tuple[str, ...] = ("explicit", "implicit")',
        (W_IMPLICIT,),
        "Explicit VR is preferred by default",
    ),
    # --- Film Session N-CREATE (hcs/driver/datasets.py)
    _unsent("no-number-of-copies", DATASETS, "spec.number_of_copies,", (W_SESSION,)),
    _unsent("no-print-priority", DATASETS, "spec.print_priority,", (W_SESSION,)),
    _unsent("no-medium-type", DATASETS, "spec.medium_type,", (W_SESSION,)),
    _unsent("no-film-destination", DATASETS, "spec.film_destination,", (W_SESSION,)),
    _unsent("no-film-session-label", DATASETS, "spec.film_session_label,", (W_SESSION,)),
    _unsent("no-memory-allocation", DATASETS, "spec.memory_allocation,", (W_SESSION,)),
    _unsent("no-owner-id", DATASETS, "spec.owner_id,", (W_SESSION,)),
    Mutation(
        "no-plut-reference-in-session",
        DATASETS,
        "if plut_uid is not None and p.presentation_lut_in_session:",
        "if False:",
        (W_PLUT_SESSION,),
        "a pre-CP-173 printer's session does not reference the LUT",
    ),
    # --- Film Box N-CREATE
    _unsent("no-film-orientation", DATASETS, "spec.film_orientation,", (W_BOX,)),
    _unsent("no-film-size-id", DATASETS, "spec.film_size_id,", (W_BOX,)),
    _unsent("no-film-box-magnification", DATASETS, "spec.magnification_type,", (W_BOX,)),
    _unsent("no-film-box-smoothing", DATASETS, "spec.smoothing_type,", (W_BOX,)),
    _unsent("no-border-density", DATASETS, "spec.border_density,", (W_BOX,)),
    _unsent("no-empty-image-density", DATASETS, "spec.empty_image_density,", (W_BOX,)),
    _unsent("no-min-density", DATASETS, "spec.min_density,", (W_BOX,)),
    _unsent("no-max-density", DATASETS, "spec.max_density,", (W_BOX,)),
    _unsent("no-trim", DATASETS, "spec.trim,", (W_BOX,)),
    _unsent(
        "no-configuration-information",
        DATASETS,
        "spec.configuration_information or p.configuration_information,",
        (W_BOX,),
    ),
    _unsent("no-requested-resolution-id", DATASETS, "spec.requested_resolution_id,", (W_BOX,)),
    _unsent("no-illumination", DATASETS, "spec.illumination,", (W_BOX,)),
    _unsent("no-reflected-ambient-light", DATASETS, "spec.reflected_ambient_light,", (W_BOX,)),
    _unsent(
        "no-annotation-display-format-id",
        DATASETS,
        "spec.annotation_display_format_id,",
        (W_BOX,),
    ),
    Mutation(
        "no-referenced-film-session",
        DATASETS,
        "    ds.ReferencedFilmSessionSequence = "
        "[reference(uids.BASIC_FILM_SESSION, session_uid)]\n",
        "",
        (W_BOX,),
        "the Film Box does not reference its Film Session",
    ),
    Mutation(
        "no-plut-reference-in-film-box",
        DATASETS,
        "if plut_uid is not None and not p.presentation_lut_in_session:",
        "if False:",
        (W_BOX,),
        "the Film Box does not reference the Presentation LUT",
    ),
    # --- Image Box N-SET (hcs/driver/imagebox.py: both encoders)
    *(
        Mutation(
            f"no-image-box-{name}",
            IMAGEBOX,
            f"if spec.{field} is not None and",
            "if False and",
            (W_IMAGE,),
            f"the Image Box's {field} is not sent",
        )
        for name, field in (
            ("polarity", "polarity"),
            ("magnification", "magnification_type"),
            ("smoothing", "smoothing_type"),
            ("min-density", "min_density"),
            ("max-density", "max_density"),
            ("configuration-information", "configuration_information"),
            ("requested-image-size", "requested_image_size"),
            ("decimate-crop", "requested_decimate_crop_behavior"),
        )
    ),
    Mutation(
        "explicit-vr-planar-configuration-0",
        IMAGEBOX,
        "        item.PlanarConfiguration = 1\n",
        "        item.PlanarConfiguration = 0\n",
        (W_COLOR,),
        "the pydicom encoder says colour is pixel-interleaved",
    ),
    Mutation(
        "explicit-vr-no-pixel-aspect-ratio",
        IMAGEBOX,
        "    item.PixelAspectRatio = [1, 1]\n",
        "",
        (W_EXPLICIT,),
        "the pydicom encoder leaves out Pixel Aspect Ratio",
    ),
    Mutation(
        "explicit-vr-drops-optional-attributes",
        IMAGEBOX,
        "    for keyword, value in optional.items():\n        setattr(dataset, keyword, value)\n",
        "",
        (W_EXPLICIT,),
        "on an explicit VR context the Image Box loses Polarity and the rest",
    ),
    # --- the job options (hcs/job/fields.py: one table for hcs print, hcs submit, HTTP)
    Mutation(
        "table-drops-memory-allocation",
        "hcs/job/fields.py",
        '"memory_allocation",\n        SESSION,',
        '"memory_allocation_",\n        SESSION,',
        (CLI_WIRE, SERVER_WIRE),
        "the job option memory_allocation no longer reaches JobOptions",
    ),
    Mutation(
        "table-drops-resolution",
        "hcs/job/fields.py",
        'attribute="requested_resolution_id",',
        'attribute="requested_resolution",',
        (CLI_WIRE,),
        "the resolution option goes nowhere",
    ),
    *(
        Mutation(f"options-no-{name}", "hcs/formatter/request.py", old, new, tests)
        for name, old, new, tests in (
            (
                "print-priority",
                "print_priority=self.priority,",
                "print_priority=None,",
                (CLI_WIRE,),
            ),
            ("medium-type", "medium_type=self.medium,", "medium_type=None,", (CLI_WIRE,)),
            (
                "destination",
                "film_destination=self.destination,",
                "film_destination=None,",
                (CLI_WIRE,),
            ),
            (
                "copies",
                'number_of_copies=self.copies if self.copies is not None else BUILT_IN["copies"],',
                "number_of_copies=1,",
                (CLI_WIRE,),
            ),
            (
                "memory-allocation",
                "memory_allocation=self.memory_allocation,",
                "memory_allocation=None,",
                (CLI_WIRE,),
            ),
            ("owner-id", "owner_id=self.owner_id,", "owner_id=None,", (CLI_WIRE,)),
            ("smoothing", "smoothing_type=self.smoothing,", "smoothing_type=None,", (CLI_WIRE,)),
            ("trim", "trim=self.trim,", "trim=None,", (CLI_WIRE,)),
            (
                "empty-image-density",
                "empty_image_density=self.empty_image_density,",
                "empty_image_density=None,",
                (CLI_WIRE,),
            ),
            ("min-density", "min_density=self.min_density,", "min_density=None,", (CLI_WIRE,)),
            ("max-density", "max_density=self.max_density,", "max_density=None,", (CLI_WIRE,)),
            (
                "configuration-information",
                "configuration_information=self.configuration_information,",
                "configuration_information=None,",
                (CLI_WIRE,),
            ),
            (
                "polarity",
                "image_box_polarity=options.polarity,",
                "image_box_polarity=None,",
                (CLI_WIRE,),
            ),
            (
                "requested-image-size",
                "requested_image_size=options.requested_image_size,",
                "requested_image_size=None,",
                (CLI_WIRE,),
            ),
        )
    ),
    Mutation(
        "formatter-no-image-box-polarity",
        "hcs/formatter/frame.py",
        "polarity=frame.image_box_polarity,",
        "polarity=None,",
        (CLI_WIRE,),
        "the formatter does not pass the job's polarity to the image box",
    ),
    Mutation(
        "formatter-no-requested-image-size",
        "hcs/formatter/frame.py",
        "requested_image_size=frame.requested_image_size,",
        "requested_image_size=None,",
        (CLI_WIRE,),
    ),
    # --- the HTTP job (hcs/server/jobspec.py): the options go to the formatter
    Mutation(
        "http-options-dropped",
        "hcs/server/jobspec.py",
        "JobOptions(**job_fields.job_options_arguments(self.options))",
        "JobOptions(**job_fields.job_options_arguments({}))",
        (SERVER_WIRE,),
        "the HTTP job's options are not passed on",
    ),
    Mutation(
        "http-priority-not-sent",
        "hcs/server/jobspec.py",
        "options = replace(options, priority=self.priority)",
        "options = replace(options, priority=None)",
        (SERVER_WIRE,),
        "a job naming no priority is queued MED but sends no Print Priority (the job's own "
        "priority is an option like the others: http-options-dropped)",
    ),
    Mutation(
        "status-poll-on-a-second-association",
        "hcs/server/worker.py",
        "answer = await self.driver.query_status()",
        "answer = None",
        (f"{SERVER_WIRE}::test_status_is_polled_on_the_open_association",),
        "the status poll opens its own association beside the one held idle",
    ),
    Mutation(
        "resume-prints-past-the-last-film",
        "hcs/server/jobs.py",
        '            if index < job["film_count"]:\n',
        "            if True:\n",
        (
            "tests/hcs/server/test_durability.py::test_a_job_whose_films_all_printed_is_done_after_a_restart",
        ),
        "a job killed between its last film and done prints a blank extra film after a restart",
    ),
    Mutation(
        "finished-job-leaves-the-printer-asleep",
        "hcs/server/jobs.py",
        '            )\n        was = State(job["state"])\n',
        '            )\n            return None\n        was = State(job["state"])\n',
        (
            "tests/hcs/server/test_durability.py::test_a_job_whose_films_all_printed_is_done_after_a_restart",
        ),
        "after finishing such a job the worker sleeps with jobs waiting (caught by the 50-run)",
    ),
    # --- only DCMTK's stored images see it: the virtual printer's records keep the pixel
    # data's length, not its bytes (tests/hcs/dcmprscp_wire.py)
    Mutation(
        "image-pixels-upside-down",
        IMAGEBOX,
        "    pixels = np.ascontiguousarray(spec.pixels)\n",
        "    pixels = np.ascontiguousarray(spec.pixels[::-1])\n",
        (f"{DCMPRSCP_WIRE}::test_dcmprscp_stored_every_image_box_attribute_and_its_pixels",),
        "the image box's pixels go out upside down (same length: only dcmprscp's HG sees it)",
    ),
    # --- collated jobs in the server (tests/hcs/server/test_collate.py)
    Mutation(
        "server-collate-prints-film-by-film",
        "hcs/server/jobs.py",
        'session = bool(spec.options.get("collate"))',
        "session = False",
        (f"{COLLATE}::test_a_collated_job_prints_as_one_film_session_action",),
        "the server prints a collated job film by film",
    ),
    Mutation(
        "server-collate-without-session-print",
        "hcs/server/jobspec.py",
        'if spec.options.get("collate") and not profile.session_print:',
        "if False:",
        (f"{COLLATE}::test_collate_is_refused_on_a_printer_without_session_print",),
        "a collated job is accepted for a printer that cannot print a session",
    ),
    Mutation(
        "session-films-sending-from-the-start",
        "hcs/server/worker.py",
        "staged = turn.session and self.profile.session_print",
        "staged = False",
        (f"{COLLATE}::test_killed_before_the_session_action_the_session_prints_once_with_no_note",),
        "a session killed before its N-ACTION gets at-least-once notes though nothing printed",
    ),
    Mutation(
        "session-films-never-sending",
        "hcs/driver/session.py",
        "            await before_action([film.index for film in films])",
        "            pass",
        (f"{COLLATE}::test_killed_during_the_session_action_every_film_keeps_the_note",),
        "a session killed after its N-ACTION went out is printed again with no note",
    ),
    # --- the formatter's viewing transformations (hcs/formatter/spatial.py, frame.py)
    Mutation(
        "rotation-ignored",
        SPATIAL,
        "pixels = np.rot90(pixels, k=-self.rotate // 90, axes=(0, 1))",
        "pixels = pixels",
        (SPATIAL_TESTS,),
        "rotate turns nothing",
    ),
    Mutation(
        "rotation-anticlockwise",
        SPATIAL,
        "k=-self.rotate // 90",
        "k=self.rotate // 90",
        (SPATIAL_TESTS,),
        "rotate turns anticlockwise",
    ),
    Mutation(
        "flip-ignored",
        SPATIAL,
        '        if self.flip == "HORIZONTAL":\n            pixels = pixels[:, ::-1]',
        '        if self.flip == "HORIZONTAL":\n            pass',
        (SPATIAL_TESTS,),
        "flip horizontal mirrors nothing",
    ),
    Mutation(
        "vertical-flip-ignored",
        SPATIAL,
        '        elif self.flip == "VERTICAL":\n            pixels = pixels[::-1]',
        '        elif self.flip == "VERTICAL":\n            pass',
        (SPATIAL_TESTS,),
    ),
    Mutation(
        "flip-before-rotation",
        SPATIAL,
        _TURN + _MIRROR,
        _MIRROR + _TURN,
        (SPATIAL_TESTS,),
        "the flip is applied before the rotation (PS3.3 C.10.6 says after)",
    ),
    Mutation(
        "roi-ignored",
        SPATIAL,
        "        return cls(x, y, w, h, rotate, flip)",
        "        return cls(0, 0, columns, rows, rotate, flip)",
        (SPATIAL_TESTS,),
        "the region of interest is not cut",
    ),
    Mutation(
        "roi-not-checked-against-the-image",
        SPATIAL,
        "        if x + w > columns or y + h > rows:",
        "        if False:",
        (SPATIAL_TESTS,),
    ),
    Mutation(
        "zoom-ignored",
        "hcs/formatter/frame.py",
        "rows, columns, target.width, target.height, method, aspect, zoom",
        "rows, columns, target.width, target.height, method, aspect, 1.0",
        (SPATIAL_TESTS,),
    ),
    Mutation(
        "spacing-not-swapped-by-a-turn",
        SPATIAL,
        "return (value[1], value[0]) if self.turned else",
        "return (value[0], value[1]) if self.turned else",
        (SPATIAL_TESTS,),
        "a quarter turn keeps the row/column pixel spacing (aspect and scale bar wrong)",
    ),
    Mutation(
        "overlay-planes-not-turned",
        "hcs/formatter/overlay.py",
        "        if canvas.view is not None:  # the plane is in image coordinates",
        "        if False:  # the plane is in image coordinates",
        (SPATIAL_TESTS,),
    ),
    Mutation(
        "graphics-not-turned",
        "hcs/formatter/overlay.py",
        "            x, y = self.view.point(x, y)",
        "            pass",
        (SPATIAL_TESTS,),
    ),
    Mutation(
        "zoom-out-not-padded-for-the-printer",
        "hcs/formatter/frame.py",
        "        if zoom < 1.0:\n            out_rows",
        "        if False:\n            out_rows",
        (SPATIAL_TESTS,),
    ),
    # --- rotate, flip, zoom, roi through every interface (hcs/job/fields.py -> JobOptions)
    Mutation(
        "job-rotate-dropped",
        "hcs/formatter/request.py",
        "            rotate=options.rotate or 0,",
        "            rotate=0,",
        (SPATIAL_CLI, SPATIAL_HTTP),
        "--rotate / HTTP rotate never reach the formatter",
    ),
    Mutation(
        "job-flip-dropped",
        "hcs/formatter/request.py",
        "            flip=options.flip,",
        "            flip=None,",
        (SPATIAL_CLI, SPATIAL_HTTP),
    ),
    Mutation(
        "job-zoom-dropped",
        "hcs/formatter/request.py",
        "            zoom=1.0 if options.zoom is None else options.zoom,",
        "            zoom=1.0,",
        (SPATIAL_CLI, SPATIAL_HTTP),
    ),
    Mutation(
        "job-roi-dropped",
        "hcs/formatter/request.py",
        "            roi=tuple(options.roi) if options.roi is not None else None,",
        "            roi=None,",
        (SPATIAL_CLI, SPATIAL_HTTP),
    ),
    Mutation(
        "job-rotate-values-not-checked",
        "hcs/job/fields.py",
        "            if self.terms is not None and value not in self.terms:",
        "            if False:",
        (
            "tests/hcs/test_print_command_wire.py::test_a_wrong_value_exits_2_and_opens_no_association",
        ),
        "--rotate 45 is refused only by the formatter, not named as the option",
    ),
    Mutation(
        "frame-cli-roi-not-parsed",
        "hcs/job/frames.py",
        "                frame[key] = [int(part) for part in parts]",
        "                frame[key] = value",
        ("tests/hcs/job/test_frames.py::test_the_command_lines_frame_syntax",),
        "--frame IMAGE,roi=X:Y:W:H is not read as a region",
    ),
    Mutation(
        "http-roi-not-checked-at-submit",
        "hcs/server/http.py",
        "        if problem:\n            raise JobError(field,",
        "        if False:\n            raise JobError(field,",
        ("tests/hcs/server/test_bad_input.py",),
        "a region outside the image is found only when its film is formatted",
    ),
    # --- a job's frames (hcs/job/frames.py, the server's film_boxes, JobOptions.frame)
    Mutation(
        "frame-window-ignored",
        REQUEST,
        "window=options.window,",
        "window=self.window,",
        (f"{FRAMES_WIRE}::test_http_frames_go_to_their_boxes_with_their_own_values",),
        "a frame's window is ignored: its box gets the job's",
    ),
    Mutation(
        "frame-polarity-ignored",
        REQUEST,
        "image_box_polarity=options.polarity,",
        "image_box_polarity=self.polarity,",
        (f"{FRAMES_WIRE}::test_http_frames_go_to_their_boxes_with_their_own_values",),
        "a frame's polarity is ignored: its Image Box gets the job's",
    ),
    Mutation(
        "frame-magnification-ignored",
        REQUEST,
        "magnification=magnification,",
        "magnification=None,",
        (f"{FRAMES_WIRE}::test_hcs_submit_frames_from_the_command_line_and_a_file",),
        "a frame's magnification is not sent on its Image Box",
    ),
    Mutation(
        "frame-graphics-ignored",
        REQUEST,
        "drawings = [from_json(o) if isinstance(o, dict) else o for o in self.overlays or ()]",
        "drawings = []",
        (f"{FRAMES_WIRE}::test_http_frames_go_to_their_boxes_with_their_own_values",),
        "a job's or frame's graphics are not drawn",
    ),
    Mutation(
        "frame-values-not-passed",
        "hcs/server/formatting.py",
        "options.frame(str(box[0]), box[1], box[2])",
        "options.frame(str(box[0]), box[1])",
        (f"{FRAMES_WIRE}::test_http_frames_go_to_their_boxes_with_their_own_values",),
        "the server formats each frame with the job's values only",
    ),
    Mutation(
        "frame-box-ignored",
        "hcs/server/formatting.py",
        "films = job_frames.arrange([(f.film, f.box) for f in spec.frames], per_film)",
        "films = job_frames.arrange([(None, None) for f in spec.frames], per_film)",
        (f"{FRAMES_WIRE}::test_http_frames_go_to_their_boxes_with_their_own_values",),
        "the server fills the boxes in order, whatever box a frame names",
    ),
    Mutation(
        "frame-beyond-the-format-taken",
        "hcs/job/frames.py",
        "            if want_box > per_film:\n",
        "            if False:\n",
        (FRAMES, f"{FRAMES_WIRE}::test_bad_frames_are_refused_naming_the_path_and_queue_nothing"),
        "a box beyond the display format's count is not refused",
    ),
    Mutation(
        "group-layout-difference-taken",
        "hcs/server/jobspec.py",
        "    if len(set(boxes.values())) > 1:\n",
        "    if False:\n",
        (SERVER_DEFAULTS,),
        "a group job its printers lay out differently is queued (films would lose frames)",
    ),
    Mutation(
        "film-annotations-not-set",
        "hcs/server/formatting.py",
        "            annotations=options.film_annotations(index + 1),\n",
        "",
        (f"{FRAMES_WIRE}::test_annotation_text_per_film_reaches_the_annotation_boxes",),
        "the job's annotation texts never reach the server's films",
    ),
    # --- printer defaults (PrinterProfile.job_defaults, JobOptions.with_printer_defaults)
    Mutation(
        "printer-default-ignored",
        REQUEST,
        "values.update(job_fields.job_options_arguments(job_defaults()))",
        "pass",
        (DEFAULTS, SERVER_DEFAULTS),
        "a printer's defaults never reach a job",
    ),
    Mutation(
        "printer-default-over-job-value",
        REQUEST,
        "missing = {k: v for k, v in values.items() if getattr(self, k) is None}",
        "missing = values",
        (DEFAULTS, SERVER_DEFAULTS),
        "a printer's default replaces the job's own value",
    ),
    Mutation(
        "printer-first-film-size-ignored",
        "hcs/driver/profile.py",
        'values["film_size"] = self.film_sizes[0]',
        "pass",
        (f"{SERVER_WIRE}::test_a_job_without_a_film_size_takes_its_printers",),
        "a job without a film size gets 14INX17IN, not its printer's first film size",
    ),
    Mutation(
        "printer-defaults-not-checked-at-load",
        "hcs/server/config.py",
        "        check_defaults(printers[printer])\n",
        "",
        (DEFAULTS,),
        "a default the printer would refuse is found only when a job fails",
    ),
    # --- checked before the association (hcs/driver/printer.py)
    Mutation(
        "image-box-values-checked-late",
        "hcs/driver/printer.py",
        "                optional_attributes(image, profile.omit)",
        "                pass",
        (BEFORE_ASSOCIATION,),
        "an invalid Image Box Polarity is found after the association opened",
    ),
    Mutation(
        "film-box-values-checked-late",
        "hcs/driver/printer.py",
        "        film_box_dataset(profile, film.box, _PLACEHOLDER_UID, None)\n",
        "",
        (BEFORE_ASSOCIATION,),
    ),
)


# ---------------------------------------------------------------------------- runner


def copy_tree(destination: Path) -> None:
    """The working tree as it is (tracked and new files, and the built kernels)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    paths = [Path(p.decode()) for p in listed if p]
    paths += [p.relative_to(REPO) for p in (REPO / "hcs" / "_fastpath").glob("*.so")]
    for relative in paths:
        source = REPO / relative
        if not source.is_file():
            continue  # deleted in the working tree
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    """pytest on ``tests`` in ``tree`` (its code first on the path); (exit code, output)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return result.returncode, result.stdout + result.stderr


def first_failure(output: str) -> str:
    found = re.search(r"^(FAILED|ERROR) (\S+)", output, re.MULTILINE)
    if found is None:
        return "?"
    return found.group(2) + (" (error in its fixture)" if found.group(1) == "ERROR" else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args(argv)
    by_name = {m.name: m for m in MUTATIONS}
    assert len(by_name) == len(MUTATIONS), "two mutations share a name"
    if args.list:
        for mutation in MUTATIONS:
            print(f"{mutation.name:40} {mutation.path}  {mutation.why}")
        return 0
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        parser.error(f"unknown mutation(s): {', '.join(unknown)} (see --list)")
    chosen = [by_name[n] for n in args.names] if args.names else list(MUTATIONS)
    # SIGTERM (make interrupted, a CI timeout) unwinds like ^C: the copy is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    with tempfile.TemporaryDirectory(prefix="hcs-mutate-") as directory:
        tree = Path(directory)
        copy_tree(tree)
        selected = tuple(sorted({t for m in chosen for t in m.tests}))
        code, output = run_tests(tree, selected)
        if code != 0:
            print(output)
            print(f"the unmutated tree fails {' '.join(selected)}: fix that first")
            return 1
        survivors, results = [], []
        for mutation in chosen:
            path = tree / mutation.path
            original = path.read_text()
            count = original.count(mutation.old)
            if count != 1:
                results.append((mutation.name, f"DOES NOT APPLY ({count} matches)", ""))
                survivors.append(mutation.name)
                continue
            path.write_text(original.replace(mutation.old, mutation.new))
            started = time.monotonic()
            try:
                code, output = run_tests(tree, mutation.tests)
            finally:
                path.write_text(original)
            seconds = time.monotonic() - started
            if code == 1:
                verdict = "caught"
            else:
                verdict = "SURVIVED" if code == 0 else f"NOT CAUGHT (pytest exit {code})"
                survivors.append(mutation.name)
            caught_by = first_failure(output) if code == 1 else ""
            results.append((mutation.name, f"{verdict} ({seconds:.1f} s)", caught_by))
            print(f"{mutation.name:40} {verdict:9} {caught_by}", flush=True)
    print()
    print(f"{'mutation':40} {'result':22} caught by")
    for name, verdict, caught_by in results:
        print(f"{name:40} {verdict:22} {caught_by}")
    print(
        f"\n{len(results) - len(survivors)} of {len(results)} mutations caught"
        + (f"; not caught: {', '.join(survivors)}" if survivors else "")
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
