"""A job's ``frames`` over HTTP and through ``hcs submit``: each frame reaches the box it
names, the boxes it leaves out stay empty, and its own values reach the printer — as
Image Box attributes (polarity, requested image size, a printer-scaled box's
magnification) or in the pixels (window, graphics, text), which are compared with the
film's preview box by box (``tests/hcs/wire.py`` reads what the printer received)."""

import asyncio
import json
import sys

import numpy as np
import pydicom

from hcs.client import Client, ServerError
from hcs.film import Resolution, layout
from tests.hcs.server.helpers import (
    CT,
    MR,
    REPO,
    printer_table,
    read_png,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)
from tests.hcs.wire import print_associations

FORMAT = "STANDARD\\2,2"


def image_boxes(out) -> list[list[dict]]:
    """Per film printed (in order), the N-SET Image Box data sets the printer received."""
    films = []
    for association in print_associations(out):
        current: list[dict] = []
        for request in association.requests:
            if request.operation == "N-SET Grayscale Image Box":
                current.append(request.dataset)
            elif request.operation == "N-ACTION Film Box":
                films.append(current)
                current = []
    return films


def stored_boxes(out, film_id: str) -> dict[int, np.ndarray]:
    """The pixels of each image box of a film, as the virtual printer stored them."""
    boxes = {}
    for path in sorted((out / "films").glob(f"{film_id}-box*.dcm")):
        item = pydicom.dcmread(path).BasicGrayscaleImageSequence[0]
        pixels = np.frombuffer(item.PixelData, np.uint8).reshape(item.Rows, item.Columns)
        boxes[int(path.stem.rsplit("box", 1)[1])] = pixels
    return boxes


def preview_boxes(png: bytes, dpi: float = 30) -> list[np.ndarray]:
    preview = read_png(png)
    preview = preview if preview.ndim == 2 else preview[:, :, 0]
    geometry = layout(FORMAT, "14INX17IN", "PORTRAIT", Resolution(dpi=dpi))
    return [preview[r.y : r.bottom, r.x : r.right] for r in geometry.boxes]


def film_ids(out) -> list[str]:
    records = [json.loads(p.read_text()) for p in (out / "films").glob("*.json")]
    return [r["film_id"] for r in sorted(records, key=lambda r: r["film_id"])]


def test_http_frames_go_to_their_boxes_with_their_own_values(tmp_path):
    out = tmp_path / "vp"
    rectangle = {"type": "rectangle", "corner1": [2, 2], "corner2": [20, 20], "units": "mm"}
    job = {
        "printer": "vp",
        "format": FORMAT,
        "polarity": "NORMAL",
        "window": [0, 4000],
        "frames": [
            {
                "image": "CT_small.dcm",
                "box": 1,
                "window": [40, 400],
                "polarity": "REVERSE",
                "requested_image_size": 50,
            },
            {"image": 0, "box": 3},  # the same CT with the job's window
            {
                "image": "MR_small.dcm",
                "box": 4,
                "graphics": [rectangle, {"type": "text", "text": "L", "at": [5, 5]}],
                "text": {"bottom-left": "frame text"},
            },
            {"image": "MR_small.dcm", "box": 2},  # box 2 <= 4: the next film
            {"empty": True},  # box 3 of film 2 left empty; box 4 follows
            {"image": 1, "polarity": "REVERSE"},
        ],
    }

    async def go():
        async with virtual_printer(out, store_dicom=True) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                created = await client.submit(job, [CT, MR])
                [done] = await wait_jobs(client, [created["id"]])
                previews = [await client.preview(created["id"], i) for i in range(2)]
                await vp.wait_idle()
                return created, done, previews

    created, done, previews = asyncio.run(asyncio.wait_for(go(), 120))
    assert created["film_count"] == 2
    assert done["state"] == "done", done
    # the frames are kept in the job as sent (images by index)
    assert done["spec"]["frames"][0] == {
        "image": 0,
        "box": 1,
        "window": [40.0, 400.0],
        "polarity": "REVERSE",
        "requested_image_size": 50.0,
    }
    first, second = image_boxes(out)
    # only the boxes with an image are set; the others stay empty
    assert [box["ImageBoxPosition"] for box in first] == [1, 3, 4]
    assert [box["ImageBoxPosition"] for box in second] == [2, 4]
    by_position = {box["ImageBoxPosition"]: box for box in first}
    assert by_position[1]["Polarity"] == "REVERSE"  # the frame's, over the job's NORMAL
    assert by_position[1]["RequestedImageSize"] == 50.0
    assert by_position[3]["Polarity"] == "NORMAL"  # the job's
    assert "RequestedImageSize" not in by_position[3]
    assert [box["Polarity"] for box in second] == ["NORMAL", "REVERSE"]

    ids = film_ids(out)
    films = [stored_boxes(out, film_id) for film_id in ids]
    assert sorted(films[0]) == [1, 3, 4] and sorted(films[1]) == [2, 4]
    reversed_boxes = [{1}, {4}]  # the preview shows the film: the printer inverts these
    for stored, png, reverse in zip(films, previews, reversed_boxes, strict=True):
        shown = preview_boxes(png)
        for position, pixels in stored.items():
            expected = 255 - pixels if position in reverse else pixels
            np.testing.assert_array_equal(shown[position - 1], expected)
    # the window changes the pixels: the same CT frame in boxes 1 and 3 differs
    assert not np.array_equal(films[0][1], films[0][3])
    # the graphics and text are drawn: box 4 of film 1 differs from the same MR, with
    # the same options and no drawings, in box 2 of film 2 — inside the drawings only
    drawn, plain = films[0][4], films[1][2]
    assert drawn.shape == plain.shape
    changed = np.argwhere(drawn != plain)
    assert len(changed) > 0
    px_per_mm = 30 / 25.4
    assert changed[:, 0].min() >= int(2 * px_per_mm) - 2  # nothing above the rectangle
    top = round(2 * px_per_mm)  # the rectangle's top edge, white, 2 mm from the box top
    assert (drawn[top - 1 : top + 2, round(10 * px_per_mm)] == 255).any()


def test_bad_frames_are_refused_naming_the_path_and_queue_nothing(tmp_path):
    out = tmp_path / "vp"
    cases = [
        ({"frames": [{"image": 0, "box": 5}]}, "frames[0].box", "beyond the film's 4"),
        ({"frames": [{"image": 0}, {"image": 0, "window": [40]}]}, "frames[1].window", "width"),
        ({"frames": [{"image": 0, "copies": 2}]}, "frames[0].copies", "whole film or job"),
        ({"frames": [{"image": "nope.dcm"}]}, "frames[0].image", "not one of the job's"),
        (
            {"frames": [{"image": 0, "graphics": [{"type": "line", "points": [[0, 0]]}]}]},
            "frames[0].graphics[0].points",
            "at least two",
        ),
        ({"frames": [{"image": 0, "frame": 3}]}, "frames[0].frame", "has 1 frame(s)"),
        ({"frames": [{"image": 0, "magnification": "CUBIC"}]}, "frames[0].magnification", "vp"),
        ({"frames": [{"image": 0, "roi": [0, 0, 500, 9]}]}, "frames[0].roi", "do not lie inside"),
        (
            {"frames": [{"image": 0, "box": 2}, {"image": 0, "box": 2, "film": 1}]},
            "frames[1].box",
            "already used",
        ),
    ]

    async def go():
        async with virtual_printer(out) as vp:
            table = printer_table(vp.port, magnification_types=["REPLICATE", "BILINEAR"])
            config = write_config(tmp_path / "hcs.toml", {"vp": table})
            async with running_server(config) as server, Client(server.url) as client:
                answers = []
                for extra, _field, _reason in cases:
                    try:
                        await client.submit({"printer": "vp", "format": FORMAT, **extra}, [CT])
                    except ServerError as error:
                        answers.append((error.status, error.field, str(error)))
                    else:
                        answers.append((201, None, "queued"))
                # a file uploaded but in no frame
                try:
                    await client.submit({"printer": "vp", "frames": [{"image": 1}]}, [CT, MR])
                except ServerError as error:
                    answers.append((error.status, error.field, str(error)))
                return answers, await client.jobs()

    answers, jobs = asyncio.run(asyncio.wait_for(go(), 120))
    assert jobs == []  # nothing queued
    for (status, field, message), (_extra, want_field, reason) in zip(answers, cases, strict=False):
        assert (status, field) == (400, want_field), message
        assert reason in message, message
    assert answers[-1][:2] == (400, "images[0]"), answers[-1]


def test_hcs_submit_frames_from_the_command_line_and_a_file(tmp_path):
    """``--frame`` boxes (a printer-scaled box sends its own Magnification Type) and a
    ``--frames`` file with graphics, through ``hcs submit``."""
    out = tmp_path / "vp"
    frames_file = tmp_path / "frames.json"
    frames_file.write_text(
        json.dumps(
            [
                {
                    "image": str(CT),
                    "box": 1,
                    "graphics": [{"type": "ellipse", "corner1": [10, 10], "corner2": [60, 60]}],
                }
            ]
        )
    )

    async def go():
        async with virtual_printer(out) as vp:
            table = printer_table(vp.port, scaling="printer")
            config = write_config(tmp_path / "hcs.toml", {"vp": table})
            async with running_server(config) as server:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "hcs.cli",
                    "submit",
                    "--printer",
                    "vp",
                    "--format",
                    FORMAT,
                    "--magnification",
                    "BILINEAR",
                    "--frames",
                    str(frames_file),
                    "--frame",
                    f"{MR},box=3,magnification=REPLICATE,window=100:500,polarity=REVERSE",
                    "--frame=-,box=4",  # an empty box: '=' as its value starts with -
                    "--server",
                    server.url,
                    "--wait",
                    "--json",
                    cwd=REPO,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                stdout, stderr = await process.communicate()
                await vp.wait_idle()
                return process.returncode, stdout.decode(), stderr.decode()

    code, stdout, stderr = asyncio.run(asyncio.wait_for(go(), 120))
    assert code == 0, stderr
    job = json.loads(stdout)
    assert job["state"] == "done"
    assert job["spec"]["images"] == ["CT_small.dcm", "MR_small.dcm"]
    assert job["spec"]["frames"][1] == {
        "image": 1,
        "box": 3,
        "magnification": "REPLICATE",
        "window": [100.0, 500.0],
        "polarity": "REVERSE",
    }
    [boxes] = image_boxes(out)
    assert [(b["ImageBoxPosition"], b.get("MagnificationType")) for b in boxes] == [
        (1, "BILINEAR"),  # the job's, sent because the printer scales
        (3, "REPLICATE"),  # the frame's own
    ]
    assert boxes[1]["Polarity"] == "REVERSE" and "Polarity" not in boxes[0]


def test_annotation_text_per_film_reaches_the_annotation_boxes(tmp_path):
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(out) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                created = await client.submit(
                    {
                        "printer": "vp",
                        "format": "STANDARD\\1,1",
                        "annotation_format": "2",
                        "annotations": ["ward 3, film {film}", "hcs"],
                    },
                    [CT, MR],
                )
                [done] = await wait_jobs(client, [created["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done
    films = []
    for association in print_associations(out):
        for request in association.requests:
            if request.operation == "N-CREATE Film Box":
                assert request.dataset["AnnotationDisplayFormatID"] == "2"
                films.append([])
            elif request.operation == "N-SET Annotation Box":
                films[-1].append(
                    (request.dataset["AnnotationPosition"], request.dataset["TextString"])
                )
    assert films == [
        [(1, "ward 3, film 1"), (2, "hcs")],
        [(1, "ward 3, film 2"), (2, "hcs")],
    ]
