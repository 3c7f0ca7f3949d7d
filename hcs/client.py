"""A client of the hardcopy server's HTTP API (``hcs submit``, ``jobs``, ``printers``,
``cancel``, the demo and the tests use it).

``server`` is a URL (``http://127.0.0.1:8631``, ``https://...``) or ``unix:/path`` for
the server's Unix socket. The token, when the server wants one, goes in the
``Authorization`` header. Errors come back as :class:`ServerError` with the server's
field and reason, so a caller can print one line that says what was wrong.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from hcs.errors import HcsError

DEFAULT_SERVER = "http://127.0.0.1:8631"


class ServerError(HcsError):
    """The server answered with an error (``status`` >= 400) or could not be reached
    (``status`` 0)."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


def unreachable(server: str, error: aiohttp.ClientConnectionError) -> str:
    """Why the server cannot be reached, in our words (aiohttp's text names its own
    internals, such as ``ssl:default``)."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        why = f"its TLS certificate is not trusted ({error.certificate_error})"
    elif isinstance(error, aiohttp.ClientConnectorError):
        cause, code = error.os_error, getattr(error.os_error, "errno", None)
        if isinstance(cause, socket.gaierror):
            why = f"its host name does not resolve ({cause.strerror})"
        else:
            why = os.strerror(code).lower() if code else "the connection failed"
        if "refused" in why:
            why += " (is `hcs serve` running there?)"
    elif isinstance(error, aiohttp.ServerDisconnectedError):
        why = "it closed the connection without an answer"
    else:
        why = re.sub(r"\s*\[[^\]]*\]|\s*ssl:\S+", "", str(error)).strip() or type(error).__name__
    return f"cannot reach the server at {server}: {why}"


class Client:
    """``async with Client(url) as client: await client.submit(...)``."""

    def __init__(
        self,
        server: str | None = None,
        token: str | None = None,
        timeout: float = 300.0,
        verify_tls: bool = True,
    ):
        self.server = server or os.environ.get("HCS_SERVER") or DEFAULT_SERVER
        self.token = token if token is not None else os.environ.get("HCS_TOKEN")
        self.timeout = timeout
        self.verify_tls = verify_tls
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        # X-HCS-Client: the server refuses a state-changing request without it (or a JSON
        # body), because a form on another web site cannot send it (docs/server.md).
        headers = {"X-HCS-Client": "hcs.client"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.server.startswith("unix:"):
            connector = aiohttp.UnixConnector(path=self.server[5:])
            self.base = "http://localhost"
        else:
            connector = aiohttp.TCPConnector(ssl=None if self.verify_tls else False)
            self.base = self.server.rstrip("/")
        self._session = aiohttp.ClientSession(
            connector=connector, headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout)
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, **kwargs) -> Any:
        assert self._session is not None, "use 'async with Client(...)'"
        try:
            async with self._session.request(method, self.base + path, **kwargs) as response:
                if response.content_type == "application/json":
                    body = await response.json()
                else:
                    body = await response.read()
                if response.status >= 400:
                    if isinstance(body, dict):
                        raise ServerError(
                            response.status, body.get("error", str(body)), body.get("field")
                        )
                    raise ServerError(response.status, f"HTTP {response.status}")
                return body
        except aiohttp.ClientConnectionError as error:
            raise ServerError(0, unreachable(self.server, error)) from None
        except TimeoutError:
            raise ServerError(0, f"the server at {self.server} did not answer in time") from None

    async def printers(self) -> dict[str, Any]:
        return await self._call("GET", "/printers")

    async def jobs(self, states: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        params = {"limit": str(limit)}
        if states:
            params["state"] = states
        return (await self._call("GET", "/jobs", params=params))["jobs"]

    async def job(self, job_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/jobs/{job_id}")

    async def cancel(self, job_id: str) -> dict[str, Any]:
        return await self._call("DELETE", f"/jobs/{job_id}")

    async def hold(self, job_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/jobs/{job_id}/hold")

    async def release(self, job_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/jobs/{job_id}/release")

    async def set_priority(self, job_id: str, priority: str) -> dict[str, Any]:
        return await self._call("POST", f"/jobs/{job_id}/priority", json={"priority": priority})

    async def reprint(self, job_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/jobs/{job_id}/reprint")

    async def reload(self) -> dict[str, Any]:
        return await self._call("POST", "/config/reload")

    async def preview(self, job_id: str, index: int) -> bytes:
        return await self._call("GET", f"/jobs/{job_id}/films/{index}/preview.png")

    async def metrics(self) -> str:
        return (await self._call("GET", "/metrics")).decode()

    async def changes(self) -> AsyncIterator[dict[str, Any]]:
        """The server's live updates (``GET /events``, Server-Sent Events), one dict per
        event: ``{"kind": "hello"}`` on connecting (fetch what you follow then), then
        ``{"kind": "job"|"film"|"printer", "id": ...}`` or ``{"kind": "resync"}`` per
        change. It ends when the server closes the stream. Use it under
        ``contextlib.aclosing`` when leaving early."""
        assert self._session is not None, "use 'async with Client(...)'"
        # no total time: the stream stays open; the server's keep-alive comes every 15 s
        timeout = aiohttp.ClientTimeout(total=None, sock_read=max(60.0, self.timeout))
        try:
            async with self._session.get(self.base + "/events", timeout=timeout) as response:
                if response.status >= 400:
                    body = await response.json() if response.content_type.endswith("json") else {}
                    message = body.get("error", f"HTTP {response.status}")
                    raise ServerError(response.status, message, body.get("field"))
                data = ""
                async for raw in response.content:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if line.startswith("data:"):
                        data += line[5:].strip()
                    elif not line and data:
                        yield json.loads(data)
                        data = ""
        except aiohttp.ClientConnectionError as error:
            raise ServerError(0, unreachable(self.server, error)) from None
        except TimeoutError:
            raise ServerError(0, f"the server at {self.server} went silent") from None

    async def submit(
        self, job: dict[str, Any], files: list[str | os.PathLike[str]]
    ) -> dict[str, Any]:
        """Upload ``files`` with the job (their names go in ``job["images"]``)."""
        names = _unique_names(files)
        job = {**job, "images": names}
        form = aiohttp.FormData()
        form.add_field("job", json.dumps(job), content_type="application/json")
        handles = []
        try:
            for name, path in zip(names, files, strict=True):
                handle = open(path, "rb")  # noqa: SIM115 - closed below, after the upload
                handles.append(handle)
                form.add_field(name, handle, filename=name, content_type="application/dicom")
            return await self._call("POST", "/jobs", data=form)
        finally:
            for handle in handles:
                handle.close()

    async def submit_paths(self, job: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """Name files on the server's machine (inside its allowed directories)."""
        body = {**job, "paths": [str(Path(p).resolve()) for p in paths]}
        return await self._call("POST", "/jobs", json=body)

    async def submit_raw(self, **kwargs) -> dict[str, Any]:
        """POST /jobs with any body (for tests of what the server refuses)."""
        return await self._call("POST", "/jobs", **kwargs)


def _unique_names(files: list[str | os.PathLike[str]]) -> list[str]:
    """Part names from file names, made unique (two 'IM0001' from different folders)."""
    names: list[str] = []
    for i, path in enumerate(files):
        name = Path(path).name or f"image{i}"
        if name in names:
            name = f"{i:04d}-{name}"
        names.append(name)
    return names
