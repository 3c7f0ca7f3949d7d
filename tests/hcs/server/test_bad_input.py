"""Bad jobs get a 4xx that names the field and the reason, and nothing is queued or
kept: not in the queue, not in the spool's tables, not on its disk."""

import asyncio
import json

import aiohttp
import pytest

from hcs.client import Client, ServerError
from tests.hcs.server.helpers import (
    CT,
    make_dicom,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)

TOKEN = "s3cret-token-0123456789"


async def _post_multipart(url: str, job_text: str, files: dict[str, bytes], token=None):
    form = aiohttp.FormData()
    form.add_field("job", job_text, content_type="application/json")
    for name, data in files.items():
        form.add_field(name, data, filename=name, content_type="application/dicom")
    headers = {"X-HCS-Client": "test"}  # what hcs.client sends; a form on a web page cannot
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(url + "/jobs", data=form, headers=headers) as response:
                return response.status, await response.json()
        except aiohttp.ClientError:  # the server may close an oversize upload early
            return None, None


def test_each_bad_input_is_refused_and_nothing_is_queued(tmp_path, backend):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    inside = make_dicom(allowed / "ok.dcm")
    outside = make_dicom(tmp_path / "outside.dcm")
    ct = make_dicom(tmp_path / "small.dcm").read_bytes()

    async def go():
        async with virtual_printer(tmp_path / "vp") as vp:
            config = write_config(
                tmp_path / "hcs.toml",
                {"vp": printer_table(vp.port)},
                server={"max_upload_mb": 0.02, "allowed_dirs": [str(allowed)]},
                spool=backend,
            )
            async with running_server(config) as server, Client(server.url) as client:
                url = server.url
                results = {}
                results["malformed JSON"] = await _post_multipart(
                    url, '{"printer": "vp", ', {"a.dcm": ct}
                )
                try:
                    await client.submit_raw(
                        data=b'{"printer": ', headers={"Content-Type": "application/json"}
                    )
                except ServerError as error:
                    results["malformed JSON body"] = (error.status, {"field": error.field})
                results["unknown printer"] = await _post_multipart(
                    url, json.dumps({"printer": "nope", "images": ["a.dcm"]}), {"a.dcm": ct}
                )
                results["wrong display format"] = await _post_multipart(
                    url,
                    json.dumps({"printer": "vp", "format": "STANDARD\\0,3", "images": ["a.dcm"]}),
                    {"a.dcm": ct},
                )
                results["non-DICOM upload"] = await _post_multipart(
                    url,
                    json.dumps({"printer": "vp", "images": ["a.dcm"]}),
                    {"a.dcm": b"%PDF-1.4 not an image" * 10},
                )
                results["oversize upload"] = await _post_multipart(
                    url,
                    json.dumps({"printer": "vp", "images": ["a.dcm"]}),
                    {"a.dcm": ct + b"\0" * 30000},
                )
                results["bad copies"] = await _post_multipart(
                    url,
                    json.dumps({"printer": "vp", "copies": 0, "images": ["a.dcm"]}),
                    {"a.dcm": ct},
                )
                results["bad rotate"] = await _post_multipart(
                    url,
                    json.dumps({"printer": "vp", "rotate": 45, "images": ["a.dcm"]}),
                    {"a.dcm": ct},
                )
                results["roi outside the image"] = await _post_multipart(
                    url,
                    json.dumps({"printer": "vp", "roi": [20, 0, 20, 10], "images": ["a.dcm"]}),
                    {"a.dcm": ct},
                )
                try:
                    await client.submit_paths(
                        {"printer": "vp", "roi": [0, 0, 33, 1]}, [str(inside)]
                    )
                except ServerError as error:
                    results["roi outside a path's image"] = (
                        error.status,
                        {"field": error.field, "error": str(error)},
                    )
                results["named, not uploaded"] = await _post_multipart(
                    url, json.dumps({"printer": "vp", "images": ["a.dcm", "b.dcm"]}), {"a.dcm": ct}
                )
                for label, path in (("path outside", outside), ("path inside", inside)):
                    try:
                        created = await client.submit_paths({"printer": "vp"}, [str(path)])
                        results[label] = (201, created)
                    except ServerError as error:
                        results[label] = (error.status, {"field": error.field, "error": str(error)})
                jobs = await client.jobs()
                incoming = list((tmp_path / "spool" / "incoming").iterdir())
                return results, jobs, incoming

    results, jobs, incoming = asyncio.run(go())
    expected = {
        "malformed JSON": (400, "job"),
        "malformed JSON body": (400, "job"),
        "unknown printer": (404, "printer"),
        "wrong display format": (400, "format"),
        "non-DICOM upload": (415, "images[0]"),
        "oversize upload": (413, "images"),
        "bad copies": (400, "copies"),
        "bad rotate": (400, "rotate"),
        "roi outside the image": (400, "roi"),
        "roi outside a path's image": (400, "roi"),
        "named, not uploaded": (400, "images"),
        "path outside": (403, "paths[0]"),
    }
    for label, (status, field) in expected.items():
        got_status, body = results[label]
        assert got_status == status, (label, results[label])
        assert body["field"] == field, (label, body)
    assert "not a DICOM file" in results["non-DICOM upload"][1]["reason"]
    assert "outside the allowed directories" in results["path outside"][1]["error"]
    assert (
        "a.dcm: columns 20..39, rows 0..9 do not lie inside the image (32 columns x 32 rows)"
        in (results["roi outside the image"][1]["reason"])
    )
    # only the one good job (a path inside the allowed directory) was queued
    assert results["path inside"][0] == 201
    assert [j["id"] for j in jobs] == [results["path inside"][1]["id"]]
    assert incoming == []


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
def test_a_missing_or_wrong_token_is_401(tmp_path, token):
    async def go():
        config = write_config(
            tmp_path / "hcs.toml", {"vp": printer_table(1)}, server={"token": TOKEN}
        )
        async with running_server(config) as server:
            async with Client(server.url, token=token or "") as client:
                with pytest.raises(ServerError) as error:
                    await client.submit({"printer": "vp"}, [CT])
                with pytest.raises(ServerError) as listing:
                    await client.jobs()
            async with Client(server.url, token=TOKEN) as client:
                assert await client.jobs() == []
                printers = await client.printers()
            return error.value, listing.value, printers

    error, listing, printers = asyncio.run(go())
    assert error.status == 401 and error.field == "token"
    assert ("missing" if token is None else "wrong") in str(error)
    assert listing.status == 401
    assert [p["name"] for p in printers["printers"]] == ["vp"]
