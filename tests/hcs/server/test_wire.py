"""A job submitted over HTTP: each of its fields reaches the printer as the attribute it
names (the virtual printer's association record, see ``tests/hcs/wire.py``)."""

import asyncio

import numpy as np
import pydicom

from hcs.client import Client
from tests.hcs.formatter.helpers import sent_at_own_size
from tests.hcs.server.helpers import (
    MR,
    make_dicom,
    printer_table,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)
from tests.hcs.wire import associations, print_associations


def test_every_field_of_an_http_job_is_on_the_wire(tmp_path):
    out = tmp_path / "vp"

    async def go():
        options = {"film.configuration_information": ["GAMMA 2.2"], "film.memory_allocation": True}
        async with virtual_printer(out, **options) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit(
                    {
                        "printer": "vp",
                        "priority": "HIGH",
                        "copies": 2,
                        "format": "STANDARD\\2,1",
                        "film_size": "10INX14IN",
                        "orientation": "LANDSCAPE",
                        "magnification": "REPLICATE",
                        "smoothing": "SMOOTH",
                        "trim": "YES",
                        "border_density": "WHITE",
                        "empty_image_density": "BLACK",
                        "min_density": 10,
                        "max_density": 300,
                        "configuration_information": "GAMMA 2.2",
                        "medium": "PAPER",
                        "destination": "PROCESSOR",
                        "label": "http wire",
                        "memory_allocation": 512,
                        "owner_id": "http owner",
                        "resolution": "HIGH",
                        "polarity": "REVERSE",
                        "requested_image_size": 60,
                        "text": {"top-left": "{PatientID}", "bottom-right": "hcs"},
                        "overlay_planes": True,
                        "window": [600, 1600],
                        "voi_function": "SIGMOID",
                    },
                    [MR, MR],
                )
                [done] = await wait_jobs(client, [job["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done
    [association] = print_associations(out)
    assert association.only("N-CREATE Film Session").dataset == {
        "NumberOfCopies": 2,
        "PrintPriority": "HIGH",
        "MediumType": "PAPER",
        "FilmDestination": "PROCESSOR",
        "FilmSessionLabel": "http wire",
        "MemoryAllocation": 512,
        "OwnerID": "http owner",
    }
    box = dict(association.only("N-CREATE Film Box").dataset)
    box.pop("ReferencedFilmSessionSequence")
    assert box == {
        "ImageDisplayFormat": "STANDARD\\2,1",
        "FilmOrientation": "LANDSCAPE",
        "FilmSizeID": "10INX14IN",
        "MagnificationType": "REPLICATE",
        "SmoothingType": "SMOOTH",
        "BorderDensity": "WHITE",
        "EmptyImageDensity": "BLACK",
        "MinDensity": 10,
        "MaxDensity": 300,
        "Trim": "YES",
        "ConfigurationInformation": "GAMMA 2.2",
        "RequestedResolutionID": "HIGH",
    }
    images = association.all("N-SET Grayscale Image Box")
    assert len(images) == 2
    for image in images:
        assert image.dataset["Polarity"] == "REVERSE"
        assert image.dataset["RequestedImageSize"] == 60.0
    assert association.operations[-3:] == [
        "N-ACTION Film Box",
        "N-DELETE Film Box",
        "N-DELETE Film Session",
    ]


def test_a_job_without_a_film_size_takes_its_printers(tmp_path):
    """The printer profile says ``film_sizes = ["8INX10IN"]``: a job naming no film size
    is printed on 8INX10IN (not refused for the 14INX17IN fallback)."""
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(out) as vp:
            table = printer_table(vp.port, film_sizes=["8INX10IN", "14INX17IN"])
            config = write_config(tmp_path / "hcs.toml", {"vp": table})
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit({"printer": "vp", "label": "default size"}, [MR])
                [done] = await wait_jobs(client, [job["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done
    [association] = print_associations(out)
    assert association.only("N-CREATE Film Box").dataset["FilmSizeID"] == "8INX10IN"
    # no priority named: the queue's (MED) is sent as the Print Priority
    assert association.only("N-CREATE Film Session").dataset["PrintPriority"] == "MED"


def test_status_is_polled_on_the_open_association(tmp_path):
    """A printer that allows one association: while the server holds it idle after a
    job, its status polls go on that association (no second one, which the printer
    would refuse with local-limit-exceeded), and /printers says NORMAL."""
    out = tmp_path / "vp"

    async def go():
        async with virtual_printer(out, max_associations=1) as vp:
            config = write_config(
                tmp_path / "hcs.toml",
                {"vp": printer_table(vp.port)},
                server={"status_poll": 0.2},
                timeouts={"idle_release": 60},
            )
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit({"printer": "vp", "label": "poll"}, [MR])
                [done] = await wait_jobs(client, [job["id"]])
                finished = done.get("finished")
                for _ in range(600):  # until two polls have come after the job
                    [printer] = (await client.printers())["printers"]
                    checked = printer.get("status_checked") or 0
                    if finished is not None and checked > finished + 0.5:
                        break
                    await asyncio.sleep(0.05)
                return done, printer, list(vp.associations)

    done, printer, _ = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done
    assert printer["status"] == "NORMAL" and printer["status_error"] is None, printer
    records = associations(out)
    assert all(r.record["result"] == "accepted" for r in records)  # none refused
    [printing] = print_associations(out)
    after = printing.operations[printing.operations.index("N-DELETE Film Session") :]
    assert after.count("N-GET Printer") >= 2  # the polls after the job, on its association


def test_http_rotate_flip_zoom_and_roi_reach_the_image_box(tmp_path):
    """On a printer that magnifies itself, the Image Box of a job with ``rotate``,
    ``flip``, ``roi`` and ``zoom`` carries the region turned, mirrored and padded for the
    zoom, pixel for pixel (the virtual printer keeps the Image Boxes it received)."""
    image = make_dicom(tmp_path / "sc.dcm", rows=30, columns=50, seed=3)  # 8 bits, no VOI
    out = tmp_path / "vp"
    job = {"rotate": 90, "flip": "HORIZONTAL", "roi": [3, 5, 20, 10], "zoom": 0.5}

    async def go():
        async with virtual_printer(out, store_dicom=True) as vp:
            table = printer_table(vp.port, scaling="printer")
            config = write_config(tmp_path / "hcs.toml", {"vp": table})
            async with running_server(config) as server, Client(server.url) as client:
                created = await client.submit({"printer": "vp", **job}, [image])
                [done] = await wait_jobs(client, [created["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done
    [association] = print_associations(out)
    [item] = association.only("N-SET Grayscale Image Box").dataset["BasicGrayscaleImageSequence"]
    assert (item["Rows"], item["Columns"]) == (40, 20)  # 20 x 10 turned, twice for zoom 0.5
    [stored] = (out / "films").glob("*-box01.dcm")
    sent = pydicom.dcmread(stored).BasicGrayscaleImageSequence[0]
    pixels = np.frombuffer(sent.PixelData, np.uint8).reshape(sent.Rows, sent.Columns)
    raw = pydicom.dcmread(image).pixel_array  # 8-bit, no VOI: the P-values as stored
    view, where, shape = sent_at_own_size(raw, 90, "horizontal", (3, 5, 20, 10), 0.5)
    assert shape == (40, 20) and np.array_equal(pixels[where], view)


def test_http_frames_each_with_their_own_rotate_flip_zoom_and_roi(tmp_path):
    """A job's frames each turn, mirror, cut and zoom their own box: every Image Box the
    printer received (it magnifies itself, so each box is the image at its own size) is
    the numpy reference of that frame's values."""
    image = make_dicom(tmp_path / "sc.dcm", rows=30, columns=50, seed=5)  # 8 bits, no VOI
    out = tmp_path / "vp"
    frames = [
        {"image": 0, "rotate": 90, "flip": "HORIZONTAL"},
        {"image": 0, "roi": [3, 5, 20, 10], "rotate": 270},
        {"image": 0, "flip": "VERTICAL", "zoom": 0.5},
        {"image": 0},  # the job's own values: rotate 180
    ]

    async def go():
        async with virtual_printer(out, store_dicom=True) as vp:
            table = printer_table(vp.port, scaling="printer")
            config = write_config(tmp_path / "hcs.toml", {"vp": table})
            async with running_server(config) as server, Client(server.url) as client:
                job = {"printer": "vp", "format": "STANDARD\\2,2", "rotate": 180}
                created = await client.submit({**job, "frames": frames}, [image])
                [done] = await wait_jobs(client, [created["id"]])
                await vp.wait_idle()
                return done

    done = asyncio.run(asyncio.wait_for(go(), 120))
    assert done["state"] == "done", done
    raw = pydicom.dcmread(image).pixel_array
    expected = [
        (90, "horizontal", None, 1.0),
        (270, None, (3, 5, 20, 10), 1.0),
        (180, "vertical", None, 0.5),  # the job's rotate, its own flip and zoom
        (180, None, None, 1.0),
    ]
    for position, (rotate, flip, roi, zoom) in enumerate(expected, 1):
        [stored] = (out / "films").glob(f"*-box{position:02d}.dcm")
        sent = pydicom.dcmread(stored).BasicGrayscaleImageSequence[0]
        pixels = np.frombuffer(sent.PixelData, np.uint8).reshape(sent.Rows, sent.Columns)
        view, where, shape = sent_at_own_size(raw, rotate, flip, roi, zoom)
        assert pixels.shape == shape, position
        assert np.array_equal(pixels[where], view), position
