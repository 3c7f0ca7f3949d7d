"""A job goes in through the HTTP API and through ``hcs submit``, prints on the virtual
printer and on DCMTK's dcmprscp, and what the printers received is what the previews
show: each image box's pixels, read back from the printer's own files, are found
pixel for pixel in the film's preview at that box's place."""

import asyncio
import sys

import numpy as np
import pydicom

from hcs.client import Client
from hcs.film import Resolution, layout
from hcs.peers import dcmprscp
from tests.hcs.server.helpers import (
    CT,
    MR,
    REPO,
    printed_films,
    printer_table,
    read_png,
    running_server,
    virtual_printer,
    wait_jobs,
    write_config,
)

FORMAT = "STANDARD\\2,1"


def boxes_of_preview(preview: np.ndarray, dpi: float = 30) -> list[np.ndarray]:
    geometry = layout(FORMAT, "14INX17IN", "PORTRAIT", Resolution(dpi=dpi))
    assert preview.shape[:2] == (geometry.height, geometry.width)
    return [preview[r.y : r.bottom, r.x : r.right] for r in geometry.boxes]


def gray(array: np.ndarray) -> np.ndarray:
    return array if array.ndim == 2 else array[:, :, 0]


def test_http_api_on_the_virtual_printer_films_match_previews(tmp_path):
    async def go():
        async with virtual_printer(tmp_path / "vp", store_dicom=True) as vp:
            config = write_config(tmp_path / "hcs.toml", {"vp": printer_table(vp.port)})
            async with running_server(config) as server, Client(server.url) as client:
                job = await client.submit(
                    {
                        "printer": "vp",
                        "format": FORMAT,
                        "copies": 2,
                        "label": "e2e-http",
                        "medium": "BLUE FILM",
                    },
                    [CT, MR, MR],
                )
                [done] = await wait_jobs(client, [job["id"]])
                previews = [await client.preview(job["id"], i) for i in range(2)]
                await vp.wait_idle()
                return done, previews

    done, previews = asyncio.run(go())
    assert done["state"] == "done", done["reason"]
    assert [f["state"] for f in done["films"]] == ["printed", "printed"]
    statuses = {op["operation"]: op["status_hex"] for op in done["films"][0]["operations"]}
    assert statuses["N-ACTION Film Box (print)"] == "0x0000"
    films = printed_films(tmp_path / "vp")
    assert len(films) == 2
    assert {f["film_session_attributes"]["NumberOfCopies"] for f in films} == {"2"} or {
        f["film_session_attributes"]["NumberOfCopies"] for f in films
    } == {2}
    assert films[0]["film_session_attributes"]["FilmSessionLabel"] == "e2e-http"
    for film, png in zip(films, previews, strict=True):
        shown = boxes_of_preview(gray(read_png(png)))
        stored = sorted((tmp_path / "vp" / "films").glob(f"{film['film_id']}-box*.dcm"))
        assert stored, "the virtual printer kept no image boxes"
        for path in stored:
            position = int(path.stem.rsplit("box", 1)[1])
            item = pydicom.dcmread(path).BasicGrayscaleImageSequence[0]
            printed = np.frombuffer(item.PixelData, np.uint8).reshape(item.Rows, item.Columns)
            np.testing.assert_array_equal(shown[position - 1], printed)


def test_hcs_submit_on_dcmprscp_films_match_previews(tmp_path):
    async def go():
        with dcmprscp(tmp_path / "dcmprscp") as port:
            config = write_config(
                tmp_path / "hcs.toml", {"dcmtk": printer_table(port, ae="PRINTER")}
            )
            async with running_server(config) as server:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "hcs.cli",
                    "submit",
                    str(CT),
                    str(MR),
                    str(CT),
                    "--printer",
                    "dcmtk",
                    "--format",
                    FORMAT,
                    "--label",
                    "e2e-cli",
                    "--server",
                    server.url,
                    "--wait",
                    cwd=REPO,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                out, err = await process.communicate()
                async with Client(server.url) as client:
                    [job] = await client.jobs()
                    previews = [await client.preview(job["id"], i) for i in range(2)]
                    job = await client.job(job["id"])
        return process.returncode, out.decode(), err.decode(), job, previews

    code, _out, err, job, previews = asyncio.run(go())
    assert code == 0, err
    assert "film   1 [####################] printed" in err
    assert job["state"] == "done" and job["spec"]["label"] == "e2e-cli"
    database = tmp_path / "dcmprscp" / "database"
    hardcopy = {}
    for path in database.glob("HG_*.dcm"):
        ds = pydicom.dcmread(path)
        hardcopy[str(ds.SOPInstanceUID)] = ds.pixel_array
    stored = sorted(database.glob("SP_*.dcm"), key=lambda p: p.stat().st_mtime_ns)
    assert len(stored) == 2
    for sp_path, png in zip(stored, previews, strict=True):
        sp = pydicom.dcmread(sp_path)
        shown = boxes_of_preview(gray(read_png(png)))
        for item in sp.ImageBoxContentSequence:
            uid = str(item.ReferencedImageSequence[0].ReferencedSOPInstanceUID)
            np.testing.assert_array_equal(shown[int(item.ImageBoxPosition) - 1], hardcopy[uid])
