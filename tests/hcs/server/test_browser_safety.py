"""The HTTP API against what a hostile web page or a careless client sends (issue 14).

Each test talks to ``hcs serve`` (the server in this process, on a real socket) with
aiohttp or with bytes written by hand, as a browser on another site would: requests
from another origin, a rebound ``Host``, a token in the URL, a NUL in a path, JSON nested
100,000 deep, a 10,000-image job, a 2 GiB ``Content-Length``. Each is refused with a 4xx
naming what was wrong; none reaches a route, and nothing is queued.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp

from hcs.client import Client
from tests.hcs.server.helpers import (
    make_dicom,
    printer_table,
    running_server,
    virtual_printer,
    write_config,
)

TOKEN = "a-token-long-enough-1234"
EVIL = "http://evil.example"


def scenario(tmp_path, body, **server):
    """Run ``body(url, client)`` against a server printing to a virtual printer."""

    async def go():
        async with virtual_printer(tmp_path / "vp") as vp:
            config = write_config(
                tmp_path / "hcs.toml", {"vp": printer_table(vp.port)}, server=server
            )
            async with (
                running_server(config) as server_,
                Client(server_.url, token=server.get("token", "")) as client,
            ):
                return await body(server_.url, client, server_)

    return asyncio.run(asyncio.wait_for(go(), 120))


def _form(image: bytes, names=("a.dcm",)) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("job", json.dumps({"printer": "vp", "images": list(names)}))
    for name in names:
        form.add_field(name, image, filename=name, content_type="application/dicom")
    return form


async def _status(session, method, url, **kwargs) -> tuple[int, dict]:
    async with session.request(method, url, **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, body


async def _raw(url: str, head: bytes, body: bytes = b"", wait: float = 30) -> bytes:
    """Write a request by hand (and not all of its body); the status line it gets."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head + body)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readline(), wait)
    finally:
        writer.close()


def test_a_page_on_another_site_cannot_submit_cancel_or_reload(tmp_path):
    """Defect 4: with Origin: http://evil.example, POST /jobs was 201, cancel and reload 200."""
    image = make_dicom(tmp_path / "a.dcm").read_bytes()

    async def body(url, client, server):
        job = await client.submit(
            {"printer": "vp", "format": "STANDARD\\1,1"}, [tmp_path / "a.dcm"]
        )
        results = {}
        async with aiohttp.ClientSession() as session:
            for name, headers in {
                "Origin": {"Origin": EVIL},
                "Sec-Fetch-Site": {"Sec-Fetch-Site": "cross-site"},
                "no header": {},  # a form from an old browser: no Origin at all
            }.items():
                results[f"submit {name}"] = await _status(
                    session, "POST", url + "/jobs", data=_form(image), headers=headers
                )
                results[f"cancel {name}"] = await _status(
                    session, "POST", f"{url}/jobs/{job['id']}/cancel", headers=headers
                )
                results[f"reload {name}"] = await _status(
                    session, "POST", url + "/config/reload", headers=headers
                )
            results["delete from evil"] = await _status(
                session, "DELETE", f"{url}/jobs/{job['id']}", headers={"Origin": EVIL}
            )
        jobs = await client.jobs()
        return results, jobs

    results, jobs = scenario(tmp_path, body)
    for name, (status, answer) in results.items():
        assert status == 403, (name, status, answer)
        assert answer["field"] == "Origin", (name, answer)
    assert len(jobs) == 1 and jobs[0]["state"] != "cancelled"


def test_the_servers_own_origin_and_its_clients_may(tmp_path):
    async def body(url, client, server):
        async with aiohttp.ClientSession() as session:
            own = await _status(
                session,
                "POST",
                url + "/config/reload",
                headers={"Origin": url, "Sec-Fetch-Site": "same-origin", "X-HCS-Client": "t"},
            )
            json_body = await _status(
                session, "POST", url + "/config/reload", json={}, headers={"Origin": url}
            )
        return own, json_body, await client.reload()

    own, json_body, by_client = scenario(tmp_path, body)
    assert own[0] == 200 and json_body[0] == 200 and by_client is not None


def test_a_rebound_host_name_is_refused(tmp_path):
    """Defect 4: Host was not checked, so a DNS-rebinding page could read the API."""

    async def body(url, client, server):
        port = url.rsplit(":", 1)[1]
        async with aiohttp.ClientSession() as session:
            evil = await _status(
                session, "GET", url + "/jobs", headers={"Host": f"evil.example:{port}"}
            )
            local = await _status(
                session, "GET", url + "/jobs", headers={"Host": f"localhost:{port}"}
            )
        return evil, local

    (status, answer), (local, _) = scenario(tmp_path, body)
    assert status == 421 and answer["field"] == "Host"
    assert local == 200


def test_the_token_is_not_taken_from_the_url_except_by_the_console_login(tmp_path):
    """Defect 4: with a token, ?token= was taken on every route (URLs leak to logs)."""

    async def body(url, client, server):
        jar = aiohttp.CookieJar(unsafe=True)  # keep cookies for 127.0.0.1, as a browser does
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            in_url = await _status(session, "GET", f"{url}/jobs?token={TOKEN}")
            stream_in_url = await _status(session, "GET", f"{url}/events?token={TOKEN}")
            header = await _status(
                session, "GET", url + "/jobs", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            async with session.get(f"{url}/?token={TOKEN}") as login:
                cookie = login.headers.get("Set-Cookie", "")
                login_status = login.status
            with_cookie = await _status(session, "GET", url + "/jobs")  # the jar has it now
            # the console's live stream: EventSource sends the cookie, never a header
            async with session.get(url + "/events") as stream:
                stream_with_cookie = stream.status, await stream.content.readline()
        return in_url, stream_in_url, header, login_status, cookie, with_cookie, stream_with_cookie

    in_url, stream_in_url, header, login, cookie, with_cookie, stream_with_cookie = scenario(
        tmp_path, body, token=TOKEN
    )
    assert in_url[0] == 401 and stream_in_url[0] == 401
    assert stream_with_cookie == (200, b"retry: 2000\n")
    assert header[0] == 200
    assert login == 200 and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    assert with_cookie[0] == 200


def test_bad_input_is_a_4xx_never_a_500(tmp_path):
    """Defect 5: a NUL in a server-side path and JSON 100,000 deep were 500s."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()

    async def body(url, client, server):
        results = {}
        headers = {"X-HCS-Client": "test", "Content-Type": "application/json"}
        async with aiohttp.ClientSession() as session:
            nul = {"printer": "vp", "paths": [str(allowed) + "/a\x00.dcm"]}
            results["NUL in a path"] = await _status(
                session, "POST", url + "/jobs", data=json.dumps(nul), headers=headers
            )
            deep = '{"printer": "vp", "paths": ' + "[" * 100_000 + "]" * 100_000 + "}"
            results["deep JSON"] = await _status(
                session, "POST", url + "/jobs", data=deep, headers=headers
            )
            form = aiohttp.FormData()
            form.add_field(
                "job",
                '{"printer": "vp", "images": ' + "[" * 100_000 + "]" * 100_000 + "}",
                content_type="application/json",  # a typed part: multipart/form-data
            )
            results["deep JSON part"] = await _status(
                session, "POST", url + "/jobs", data=form, headers={"X-HCS-Client": "test"}
            )
        return results, await client.jobs()

    results, jobs = scenario(tmp_path, body, allowed_dirs=[str(allowed)])
    assert results["NUL in a path"][0] == 400, results
    assert results["NUL in a path"][1]["field"] == "paths[0]"
    for name in ("deep JSON", "deep JSON part"):
        status, answer = results[name]
        assert status == 400 and "nested deeper" in answer["reason"], (name, results[name])
    assert jobs == []


def test_a_job_with_too_many_images_is_refused_before_its_uploads(tmp_path):
    """Defect 5: a 10,000-image job was refused only after every upload was received.
    Here the job part is sent and the uploads never are: the answer must still come."""
    names = [f"i{n}.dcm" for n in range(10_000)]
    job = json.dumps({"printer": "vp", "images": names}).encode()
    part = (
        b'--XyZ\r\nContent-Disposition: form-data; name="job"\r\n'
        b"Content-Type: application/json\r\n\r\n" + job + b"\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="i0.dcm"; filename="i0.dcm"\r\n\r\n'
    )

    async def body(url, client, server):
        head = (
            f"POST /jobs HTTP/1.1\r\nHost: {url.removeprefix('http://')}\r\n"
            "X-HCS-Client: test\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
            f"Content-Length: {len(part) + 100 * 2**20}\r\n\r\n"
        ).encode()
        return await _raw(url, head, part)

    status_line = scenario(tmp_path, body)
    assert status_line.startswith(b"HTTP/1.1 400"), status_line


def test_a_declared_body_over_the_limit_is_refused_at_once(tmp_path):
    """Defect 5: Content-Length 2 GiB with 1 KB sent held the connection, unanswered."""

    async def body(url, client, server):
        head = (
            f"POST /jobs HTTP/1.1\r\nHost: {url.removeprefix('http://')}\r\n"
            "X-HCS-Client: test\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
            f"Content-Length: {2 * 2**30}\r\n\r\n"
        ).encode()
        return await _raw(url, head, b"x" * 1024)

    status_line = scenario(tmp_path, body)
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
