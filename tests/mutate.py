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
DATASETS = "hcs/driver/datasets.py"
SESSION = "hcs/driver/session.py"
IMAGEBOX = "hcs/driver/imagebox.py"


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...] = (DRIVER_WIRE,)
    why: str = ""


def _unsent(name: str, path: str, value: str, tests=(DRIVER_WIRE,)) -> Mutation:
    """The attribute fed by ``value`` (e.g. ``spec.print_priority,``) is never sent."""
    return Mutation(name, path, value, "None,", tests, f"{value.rstrip(',')} is not sent")


MUTATIONS: tuple[Mutation, ...] = (
    # --- operations the driver makes (hcs/driver/session.py)
    Mutation(
        "no-film-box-delete",
        SESSION,
        '        await self._delete(outcome, "N-DELETE Film Box", meta, uids.BASIC_FILM_BOX, '
        "film_uid)\n",
        "",
        why="the Film Box is never deleted",
    ),
    Mutation(
        "no-film-session-delete",
        SESSION,
        "await self._delete(\n"
        '                    outcome, "N-DELETE Film Session", meta, uids.BASIC_FILM_SESSION, '
        "session_uid\n                )",
        "pass",
        why="the Film Session is never deleted",
    ),
    Mutation(
        "no-presentation-lut-delete",
        SESSION,
        "                if plut_uid is not None:\n                    await self._delete(",
        "                if False:\n                    await self._delete(",
        why="the Presentation LUT is never deleted",
    ),
    Mutation(
        "no-printer-n-get",
        SESSION,
        "            await self.printer_status(outcome)\n",
        "",
        why="the Printer is not asked for its status before printing",
    ),
    Mutation(
        "no-annotations",
        SESSION,
        "if film.annotations and self.annotation:",
        "if False:",
        why="Annotation Boxes are not set",
    ),
    Mutation(
        "print-action-type-2",
        SESSION,
        "NActionRQ(self.dimse.next_message_id(), uids.BASIC_FILM_BOX, film_uid, 1)",
        "NActionRQ(self.dimse.next_message_id(), uids.BASIC_FILM_BOX, film_uid, 2)",
        why="the print N-ACTION has the wrong Action Type ID",
    ),
    Mutation(
        "collate-prints-film-by-film",
        SESSION,
        "collate = request.collate and self.profile.session_print\n",
        "collate = False\n",
        why="a collated job is printed film by film",
    ),
    Mutation(
        "image-boxes-out-of-order",
        SESSION,
        "zip(boxes, film.images, strict=False), start=1",
        "zip(reversed(boxes), film.images, strict=False), start=1",
        why="image boxes are set on the wrong instances",
    ),
    Mutation(
        "no-plut-shape",
        SESSION,
        "        dataset.PresentationLUTShape = shape\n",
        "",
        why="the Presentation LUT has no shape",
    ),
    # --- transfer syntaxes (hcs/driver/profile.py)
    Mutation(
        "explicit-only-by-default",
        "hcs/driver/profile.py",
        'transfer_syntaxes: tuple[str, ...] = ("implicit", "explicit")',
        'transfer_syntaxes: tuple[str, ...] = ("explicit",)',
        why="only Explicit VR is proposed by default",
    ),
    Mutation(
        "explicit-preferred-by-default",
        "hcs/driver/profile.py",
        'transfer_syntaxes: tuple[str, ...] = ("implicit", "explicit")',
        'transfer_syntaxes: tuple[str, ...] = ("explicit", "implicit")',
        why="Explicit VR is preferred by default",
    ),
    # --- Film Session N-CREATE (hcs/driver/datasets.py)
    _unsent("no-number-of-copies", DATASETS, "spec.number_of_copies,"),
    _unsent("no-print-priority", DATASETS, "spec.print_priority,"),
    _unsent("no-medium-type", DATASETS, "spec.medium_type,"),
    _unsent("no-film-destination", DATASETS, "spec.film_destination,"),
    _unsent("no-film-session-label", DATASETS, "spec.film_session_label,"),
    _unsent("no-memory-allocation", DATASETS, "spec.memory_allocation,"),
    _unsent("no-owner-id", DATASETS, "spec.owner_id,"),
    Mutation(
        "no-plut-reference-in-session",
        DATASETS,
        "if plut_uid is not None and p.presentation_lut_in_session:",
        "if False:",
        why="a pre-CP-173 printer's session does not reference the LUT",
    ),
    # --- Film Box N-CREATE
    _unsent("no-film-orientation", DATASETS, "spec.film_orientation,"),
    _unsent("no-film-size-id", DATASETS, "spec.film_size_id,"),
    _unsent("no-film-box-magnification", DATASETS, "spec.magnification_type,"),
    _unsent("no-film-box-smoothing", DATASETS, "spec.smoothing_type,"),
    _unsent("no-border-density", DATASETS, "spec.border_density,"),
    _unsent("no-empty-image-density", DATASETS, "spec.empty_image_density,"),
    _unsent("no-min-density", DATASETS, "spec.min_density,"),
    _unsent("no-max-density", DATASETS, "spec.max_density,"),
    _unsent("no-trim", DATASETS, "spec.trim,"),
    _unsent(
        "no-configuration-information",
        DATASETS,
        "spec.configuration_information or p.configuration_information,",
    ),
    _unsent("no-requested-resolution-id", DATASETS, "spec.requested_resolution_id,"),
    _unsent("no-illumination", DATASETS, "spec.illumination,"),
    _unsent("no-reflected-ambient-light", DATASETS, "spec.reflected_ambient_light,"),
    _unsent("no-annotation-display-format-id", DATASETS, "spec.annotation_display_format_id,"),
    Mutation(
        "no-referenced-film-session",
        DATASETS,
        "    ds.ReferencedFilmSessionSequence = "
        "[reference(uids.BASIC_FILM_SESSION, session_uid)]\n",
        "",
        why="the Film Box does not reference its Film Session",
    ),
    Mutation(
        "no-plut-reference-in-film-box",
        DATASETS,
        "if plut_uid is not None and not p.presentation_lut_in_session:",
        "if False:",
        why="the Film Box does not reference the Presentation LUT",
    ),
    # --- Image Box N-SET (hcs/driver/imagebox.py: both encoders)
    Mutation(
        "no-polarity",
        IMAGEBOX,
        "if spec.polarity is not None and",
        "if False and",
        why="Polarity (2020,0020) is not sent",
    ),
    Mutation(
        "no-image-box-magnification",
        IMAGEBOX,
        "if spec.magnification_type is not None and",
        "if False and",
    ),
    Mutation(
        "no-image-box-smoothing", IMAGEBOX, "if spec.smoothing_type is not None and", "if False and"
    ),
    Mutation(
        "no-image-box-min-density", IMAGEBOX, "if spec.min_density is not None and", "if False and"
    ),
    Mutation(
        "no-image-box-max-density", IMAGEBOX, "if spec.max_density is not None and", "if False and"
    ),
    Mutation(
        "no-image-box-configuration-information",
        IMAGEBOX,
        "if spec.configuration_information is not None and",
        "if False and",
    ),
    Mutation(
        "no-requested-image-size",
        IMAGEBOX,
        "if spec.requested_image_size is not None and",
        "if False and",
    ),
    Mutation(
        "no-requested-decimate-crop",
        IMAGEBOX,
        "if spec.requested_decimate_crop_behavior is not None and (",
        "if False and (",
    ),
    Mutation(
        "explicit-vr-planar-configuration-0",
        IMAGEBOX,
        "        item.PlanarConfiguration = 1\n",
        "        item.PlanarConfiguration = 0\n",
        why="the pydicom encoder says colour is pixel-interleaved",
    ),
    Mutation(
        "explicit-vr-no-pixel-aspect-ratio",
        IMAGEBOX,
        "    item.PixelAspectRatio = [1, 1]\n",
        "",
    ),
    Mutation(
        "explicit-vr-drops-optional-attributes",
        IMAGEBOX,
        "    for keyword, value in optional.items():\n        setattr(dataset, keyword, value)\n",
        "",
        why="on an explicit VR context the Image Box loses Polarity and the rest",
    ),
    # --- the job options of `hcs print` (hcs/print_command.py, hcs/formatter/request.py)
    Mutation(
        "cli-no-priority",
        "hcs/print_command.py",
        "priority=args.priority,",
        "priority=None,",
        (CLI_WIRE,),
    ),
    Mutation(
        "cli-no-medium", "hcs/print_command.py", "medium=args.medium,", "medium=None,", (CLI_WIRE,)
    ),
    Mutation(
        "cli-no-destination",
        "hcs/print_command.py",
        "destination=args.destination,",
        "destination=None,",
        (CLI_WIRE,),
    ),
    Mutation(
        "cli-no-empty-density",
        "hcs/print_command.py",
        "empty_image_density=args.empty_density,",
        "empty_image_density=None,",
        (CLI_WIRE,),
    ),
    Mutation(
        "options-no-print-priority",
        "hcs/formatter/request.py",
        "print_priority=self.priority,",
        "print_priority=None,",
        (CLI_WIRE, SERVER_WIRE),
    ),
    Mutation(
        "options-no-medium-type",
        "hcs/formatter/request.py",
        "medium_type=self.medium,",
        "medium_type=None,",
        (CLI_WIRE, SERVER_WIRE),
    ),
    Mutation(
        "options-no-film-destination",
        "hcs/formatter/request.py",
        "film_destination=self.destination,",
        "film_destination=None,",
        (CLI_WIRE, SERVER_WIRE),
    ),
    Mutation(
        "options-no-smoothing",
        "hcs/formatter/request.py",
        "smoothing_type=self.smoothing,",
        "smoothing_type=None,",
        (SERVER_WIRE,),
    ),
    Mutation(
        "options-no-trim",
        "hcs/formatter/request.py",
        "trim=self.trim,",
        "trim=None,",
        (SERVER_WIRE,),
    ),
    Mutation(
        "options-no-copies",
        "hcs/formatter/request.py",
        "number_of_copies=self.copies,",
        "number_of_copies=1,",
        (CLI_WIRE, SERVER_WIRE),
    ),
    # --- the HTTP job (hcs/server/jobspec.py)
    Mutation(
        "http-no-smoothing",
        "hcs/server/jobspec.py",
        "smoothing=self.smoothing,",
        "smoothing=None,",
        (SERVER_WIRE,),
    ),
    Mutation(
        "http-no-configuration-information",
        "hcs/server/jobspec.py",
        "configuration_information=self.configuration_information,",
        "configuration_information=None,",
        (SERVER_WIRE,),
    ),
    Mutation(
        "http-no-min-density",
        "hcs/server/jobspec.py",
        "min_density=self.min_density,",
        "min_density=None,",
        (SERVER_WIRE,),
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
