"""The client protocol: HTTP/JSON on aiohttp, described by ``/openapi.json``.

Routes (see :data:`hcs.server.openapi.DOCUMENT` for the full description)::

    GET    /printers                       printers with their live status
    POST   /jobs                           submit (multipart: "job" JSON + images; or JSON
                                           with server-side "paths", local clients only)
    GET    /jobs[?state=queued,printing]   list jobs, newest first
    GET    /jobs/{id}                      one job: films, DICOM statuses, warnings, events
    DELETE /jobs/{id}                      cancel (also POST /jobs/{id}/cancel)
    POST   /jobs/{id}/hold, /release       hold a waiting job, let it go on
    POST   /jobs/{id}/priority             {"priority": "HIGH"}: its queue place and Print Priority
    POST   /jobs/{id}/reprint              a new job with the same options and images
    GET    /jobs/{id}/films/{n}/preview.png
    GET    /events                         Server-Sent Events: a note per change (the console)
    POST   /config/reload
    GET    /metrics, /openapi.json, /healthz, /health, / (the console)

A refused job gets a 4xx whose JSON body names the field and the reason
(``{"error": ..., "field": ..., "reason": ...}``), and nothing is queued or kept: its
uploads are removed before the answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

from aiohttp import BodyPartReader, web

from hcs.job import fields as job_fields
from hcs.job import frames as job_frames
from hcs.server import guard, jobspec, live
from hcs.server.config import Config, ConfigError
from hcs.server.formatting import FormatError, boxes_per_film, job_film_count
from hcs.server.jobs import JobConflict, JobService
from hcs.server.jobspec import JobError
from hcs.server.metrics import Metrics
from hcs.server.openapi import DOCUMENT
from hcs.server.spool import SpoolFull, SpoolUnavailable


class Server(Protocol):
    """What the HTTP layer needs of the server (``hcs.server.app.Server`` is one):
    the jobs service for everything about jobs, and a few views. Each call that reads
    the spool is awaited: it runs in the server's database thread, never on the loop
    (:mod:`hcs.server.database`), so a database that hangs stalls no other request."""

    config: Config
    metrics: Metrics
    executor: Executor
    jobs: JobService
    live: live.Changes

    async def printers(self) -> list[dict[str, Any]]: ...
    async def gauges(self) -> dict[str, dict[tuple, float]]: ...
    async def health(self) -> dict[str, Any]: ...
    async def reload(self) -> dict[str, Any]: ...


log = logging.getLogger("hcs.server.http")
CONSOLE = Path(__file__).parent / "console"
SERVER_KEY = web.AppKey("server", object)


def _error(status: int, field: str, reason: str) -> web.Response:
    return web.json_response(
        {"error": f"{field}: {reason}", "field": field, "reason": reason}, status=status
    )


def build_app(server: Server) -> web.Application:
    max_upload = int(server.config.server.max_upload_mb * 2**20)
    app = web.Application(
        middlewares=[
            _count,
            guard.middleware(lambda r: _server(r).config.server),
            _json_errors,
        ],
        client_max_size=max_upload + 2**20,
    )
    app[SERVER_KEY] = server
    app.router.add_get("/", console_index)
    app.router.add_static("/console/", CONSOLE, show_index=False)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/health", healthz)
    app.router.add_get("/printers", printers)
    app.router.add_get("/jobs", list_jobs)
    app.router.add_post("/jobs", submit)
    app.router.add_get("/jobs/{job_id}", get_job)
    app.router.add_delete("/jobs/{job_id}", cancel)
    app.router.add_post("/jobs/{job_id}/cancel", cancel)
    app.router.add_post("/jobs/{job_id}/hold", hold)
    app.router.add_post("/jobs/{job_id}/release", release)
    app.router.add_post("/jobs/{job_id}/priority", set_priority)
    app.router.add_post("/jobs/{job_id}/reprint", reprint)
    app.router.add_get("/jobs/{job_id}/films/{index}/preview.png", preview)
    app.router.add_post("/config/reload", reload)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/events", events)
    return app


def _server(request: web.Request) -> Server:
    return request.app[SERVER_KEY]  # type: ignore[return-value]


# ---------------------------------------------------------------------- middlewares
@web.middleware
async def _count(request: web.Request, handler):
    """Requests by method and route (the route's pattern, never the job id), in
    ``hcs_http_requests_total``: what clients ask of the server, polling included."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    _server(request).metrics.inc("hcs_http_requests_total", method=request.method, route=route)
    return await handler(request)


@web.middleware
async def _json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except SpoolUnavailable as error:
        return _error(503, "spool", f"the spool's database cannot be reached: {error}")
    except web.HTTPException as error:
        if error.content_type == "application/json" or error.status < 400:
            raise
        return _error(error.status, "request", error.reason)


# ---------------------------------------------------------------------- small routes
async def console_index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(CONSOLE / "index.html", headers={"Cache-Control": "no-cache"})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


async def healthz(request: web.Request) -> web.Response:
    health = await _server(request).health()
    return web.json_response(health, status=200 if health["ok"] else 503)


async def printers(request: web.Request) -> web.Response:
    server = _server(request)
    return web.json_response(
        {
            "printers": await server.printers(),
            "groups": {k: list(v) for k, v in server.config.groups.items()},
        }
    )


async def list_jobs(request: web.Request) -> web.Response:
    server = _server(request)
    states = tuple(s for s in request.query.get("state", "").split(",") if s) or None
    try:
        limit = int(request.query.get("limit", "200"))
    except ValueError:
        return _error(400, "limit", "must be an integer")
    jobs = await server.jobs.jobs(states, max(1, min(limit, 5000)))
    return web.json_response({"jobs": jobs})


async def get_job(request: web.Request) -> web.Response:
    server = _server(request)
    job = await server.jobs.job(request.match_info["job_id"])
    if job is None:
        return _error(404, "job", f"no job {request.match_info['job_id']!r}")
    return web.json_response(job)


async def cancel(request: web.Request) -> web.Response:
    server = _server(request)
    job_id = request.match_info["job_id"]
    state = await server.jobs.cancel(job_id)
    if state is None:
        return _error(404, "job", f"no job {job_id!r}")
    return web.json_response({"id": job_id, "state": state})


async def _job_action(request: web.Request, action, shape=lambda result: result) -> web.Response:
    """hold / release / priority / reprint: 404 for no such job, 409 when its state does
    not allow it, else the job's id and state (``shape`` makes the answer's body)."""
    job_id = request.match_info["job_id"]
    try:
        result = shape(await action(job_id))
    except JobConflict as error:
        return _error(409, "state", str(error))
    if result is None:
        return _error(404, "job", f"no job {job_id!r}")
    return web.json_response(result if "id" in result else {"id": job_id, **result})


async def hold(request: web.Request) -> web.Response:
    jobs = _server(request).jobs
    return await _job_action(request, jobs.hold, _state)


async def release(request: web.Request) -> web.Response:
    jobs = _server(request).jobs
    return await _job_action(request, jobs.release, _state)


async def set_priority(request: web.Request) -> web.Response:
    jobs = _server(request).jobs
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "priority", 'send {"priority": "HIGH"} (MED, LOW) as JSON')
    priority = body.get("priority") if isinstance(body, dict) else None
    if not isinstance(priority, str):
        return _error(400, "priority", "must be HIGH, MED or LOW")
    try:
        return await _job_action(
            request,
            lambda i: jobs.set_priority(i, priority),
            lambda value: _value("priority", value),
        )
    except ValueError as error:
        return _error(400, "priority", str(error))


async def reprint(request: web.Request) -> web.Response:
    jobs = _server(request).jobs
    try:
        return await _job_action(request, jobs.reprint)
    except SpoolFull as error:
        return _error(507, "spool", str(error))


def _state(state: str | None) -> dict[str, str] | None:
    return None if state is None else {"state": state}


def _value(name: str, value: str | None) -> dict[str, str] | None:
    return None if value is None else {name: value}


async def preview(request: web.Request) -> web.StreamResponse:
    server = _server(request)
    job_id = request.match_info["job_id"]
    try:
        index = int(request.match_info["index"])
    except ValueError:
        return _error(400, "index", "must be a film number from 0")
    path = await server.jobs.preview(job_id, index)
    if path is None:
        return _error(404, "preview", f"job {job_id} film {index} has no preview (yet)")
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


async def reload(request: web.Request) -> web.Response:
    server = _server(request)
    try:
        summary = await server.reload()
    except ConfigError as error:
        return web.json_response(
            {"error": str(error), "field": "config", "line": error.line, "reason": error.reason},
            status=422,
        )
    return web.json_response(summary)


async def metrics(request: web.Request) -> web.Response:
    server = _server(request)
    text = server.metrics.render(await server.gauges())
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Prometheus-Format": "0.0.4"},
    )


async def events(request: web.Request) -> web.StreamResponse:
    """``text/event-stream``: ``hello`` when connected, then a ``change`` event for
    each change of a job, film or printer in the whole group (:mod:`hcs.server.live`).
    Nothing here reads the database: the stream stays up while it does not answer."""
    server = _server(request)
    try:
        body = live.stream(server.live)
        first = await anext(body)
    except live.TooManyStreams as error:
        return _error(503, "events", str(error))
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # a proxy in front must not hold events back
        }
    )
    await response.prepare(request)
    try:
        await response.write(first)
        async for chunk in body:
            await response.write(chunk)
    except (ConnectionError, RuntimeError):  # the console went away
        pass
    finally:
        await body.aclose()
    return response


# ---------------------------------------------------------------------- submit
def _is_local(request: web.Request) -> bool:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not peer or isinstance(peer, str):
        return True  # a Unix socket
    try:
        return ipaddress.ip_address(peer[0]).is_loopback
    except ValueError:
        return False


async def submit(request: web.Request) -> web.Response:
    server = _server(request)
    if request.content_type == "multipart/form-data":
        return await _submit_multipart(server, request)
    if request.content_type == "application/json":
        return await _submit_paths(server, request)
    return _error(
        415,
        "Content-Type",
        f"{request.content_type!r}: send multipart/form-data "
        "(a 'job' part and image parts) or application/json (with 'paths')",
    )


def _reject(server: Server, error: JobError) -> web.Response:
    server.metrics.inc("hcs_jobs_rejected_total", status=str(error.status))
    log.info(
        json.dumps(
            {
                "event": "rejected",
                "status": error.status,
                "field": error.field,
                "reason": error.reason,
            }
        )
    )
    return web.json_response(error.as_json(), status=error.status)


async def _submit_multipart(server: Server, request: web.Request) -> web.Response:
    limit = int(server.config.server.max_upload_mb * 2**20)
    incoming = server.jobs.incoming()
    try:
        reader = await request.multipart()
        job_data: Any = None
        spec: jobspec.JobSpec | None = None
        uploads: dict[str, tuple[Path, str, int]] = {}
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                raise JobError("multipart", "nested multipart bodies are not taken")
            name = part.name or ""
            if name == "job":
                if job_data is not None:
                    raise JobError("job", "the multipart body has two 'job' parts")
                job_data = guard.load_json(await part.text())
                # Checked now, before any upload is read: a job refused for its image
                # count or a bad option costs the client nothing more.
                spec = await _parse_job(server, job_data, uploads=True)
                continue
            label = part.filename or name
            if not label:
                raise JobError("multipart", "an image part has no name")
            guard.check_name(label, "images")
            if spec is not None and label not in spec.images:
                raise JobError("images", f"{label!r} is uploaded but not named in the job")
            if len(uploads) >= jobspec.MAX_IMAGES:
                raise JobError("images", f"more than {jobspec.MAX_IMAGES} images")
            if label in uploads:
                raise JobError("images", f"{label!r} is uploaded twice")
            target, relative = incoming.file_for(label)
            size = await _receive(part, target, limit, label)
            incoming.add(label, relative, size)
            uploads[label] = (target, relative, size)
        if spec is None:
            raise JobError("job", "the multipart body has no 'job' part (the job's JSON)")
        missing = [n for n in spec.images if n not in uploads]
        if missing:
            raise JobError("images", f"{missing[0]!r} is named but not uploaded")
        extra = [n for n in uploads if n not in spec.images]
        if extra:
            raise JobError("images", f"{extra[0]!r} is uploaded but not named in the job")
        # keep the job's order
        order = {name: i for i, name in enumerate(spec.images)}
        incoming.images.sort(key=lambda image: order[image.name])
        loop = asyncio.get_running_loop()
        for image in incoming.images:
            problem, image.frames = await loop.run_in_executor(
                server.executor, check_dicom, incoming.path / image.file
            )
            if problem:
                raise JobError(f"images[{order[image.name]}]", f"{image.name}: {problem}", 415)
            await _check_roi(
                server, spec, incoming.path / image.file, image.name, order[image.name]
            )
        return await _commit(server, spec, incoming)
    except JobError as error:
        incoming.discard()
        return _reject(server, error)
    except SpoolFull as error:
        incoming.discard()
        return _reject(server, JobError("spool", str(error), 507))
    except BaseException:
        incoming.discard()
        raise


async def _receive(part: BodyPartReader, target: Path, limit: int, label: str) -> int:
    """Stream one upload to disk (fsynced), refusing it past ``limit`` bytes."""
    size = 0
    with open(target, "wb") as handle:
        while chunk := await part.read_chunk(1 << 20):
            size += len(chunk)
            if size > limit:
                raise JobError(
                    "images",
                    f"{label!r} is larger than the server's limit of "
                    f"{limit / 2**20:g} MiB (server.max_upload_mb)",
                    413,
                )
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    return size


def check_dicom(path: Path) -> tuple[str | None, int]:
    """Why ``path`` is not a DICOM image we can print (or None), and its frame count."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        dataset = pydicom.dcmread(path, defer_size="4 KB")
    except InvalidDicomError:
        return "not a DICOM file (no DICM prefix after the 128-byte preamble)", 0
    except Exception as error:
        return f"not a readable DICOM file ({type(error).__name__}: {error})", 0
    if "PixelData" not in dataset:
        return "a DICOM file without pixel data (not an image)", 0
    for keyword in ("Rows", "Columns"):
        if not dataset.get(keyword):
            return f"a DICOM image without {keyword}", 0
    try:
        frames = max(1, int(dataset.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        frames = 1
    return None, frames


def roi_problem(path: Path, roi: Sequence[int]) -> str | None:
    """Why a region of interest does not lie inside the image at ``path`` (or None)."""
    import pydicom

    dataset = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Rows", "Columns"])
    rows, columns = int(dataset.Rows), int(dataset.Columns)
    x, y, w, h = roi
    if x + w <= columns and y + h <= rows:
        return None
    return (
        f"columns {x}..{x + w - 1}, rows {y}..{y + h - 1} do not lie inside the image "
        f"({columns} columns x {rows} rows)"
    )


async def _check_roi(
    server: Server, spec: jobspec.JobSpec, path: Path, name: str, index: int
) -> None:
    """The job's region of interest (and each frame's own, on its image: field
    ``frames[i].roi``) is checked against image ``index`` when the job comes in (400),
    not found when its film is formatted."""
    job_roi = spec.options.get("roi")
    checks: list[tuple[str, Any]] = []
    if not spec.frames:
        checks = [("roi", job_roi)]
    for i, frame in enumerate(spec.frames):
        if frame.image == index:
            own = frame.options.get("roi")
            checks.append((f"frames[{i}].roi", own) if own is not None else ("roi", job_roi))
    loop = asyncio.get_running_loop()
    for field, roi in dict.fromkeys((f, tuple(r)) for f, r in checks if r is not None):
        problem = await loop.run_in_executor(server.executor, roi_problem, path, roi)
        if problem:
            raise JobError(field, f"{name}: {problem}")


async def _parse_job(server: Server, data: Any, uploads: bool) -> jobspec.JobSpec:
    """The job checked against this server's configuration. In a group, a printer this
    instance does not serve is refused (404) even if another instance serves it: the
    job's options and film count depend on the printer's profile, which only an instance
    configured with it knows; the answer names the instances that serve it."""
    try:
        return jobspec.parse(data, server.config, uploads=uploads)
    except JobError as error:
        target = data.get("printer") if isinstance(data, dict) else None
        if error.field != "printer" or error.status != 404 or not isinstance(target, str):
            raise
        others = await server.jobs.served_by(target)
        if not others:
            raise
        raise JobError(
            "printer",
            f"this instance does not serve {target!r}; the group's instance(s)"
            f" {', '.join(others)} do: submit the job there",
            404,
        ) from None


async def _submit_paths(server: Server, request: web.Request) -> web.Response:
    try:
        data = guard.load_json(await request.text())
        spec = await _parse_job(server, data, uploads=False)
        if not _is_local(request):
            raise JobError(
                "paths",
                "server-side paths are for clients on this machine; upload the images instead",
                403,
            )
        allowed = server.config.server.allowed_dirs
        if not allowed:
            raise JobError("paths", "the server allows no directories (server.allowed_dirs)", 403)
        resolved = []
        for i, name in enumerate(spec.paths):
            guard.check_name(name, f"paths[{i}]")
            path = Path(name)
            if not path.is_absolute():
                raise JobError(f"paths[{i}]", f"{name!r} is not an absolute path")
            real = path.resolve()
            if not any(real.is_relative_to(d) for d in allowed):
                raise JobError(
                    f"paths[{i}]",
                    f"{name!r} is outside the allowed directories ({', '.join(map(str, allowed))})",
                    403,
                )
            if not real.is_file():
                raise JobError(f"paths[{i}]", f"{name!r} does not exist or is not a file", 404)
            resolved.append(real)
    except JobError as error:
        return _reject(server, error)
    loop = asyncio.get_running_loop()
    counts = []
    for i, real in enumerate(resolved):
        problem, frames = await loop.run_in_executor(server.executor, check_dicom, real)
        if problem:
            return _reject(server, JobError(f"paths[{i}]", f"{real.name}: {problem}", 415))
        try:
            await _check_roi(server, spec, real, real.name, i)
        except JobError as error:
            return _reject(server, error)
        counts.append(frames)
    incoming = server.jobs.incoming()
    try:
        await server.jobs.check_room(sum(p.stat().st_size for p in resolved))
        for name, real, frames in zip(spec.paths, resolved, counts, strict=True):
            # room checked above for them all: the copy reads no spool row
            await loop.run_in_executor(server.executor, incoming.copy_from, name, real, False)
            incoming.images[-1].frames = frames
        return await _commit(server, spec, incoming)
    except JobError as error:
        incoming.discard()
        return _reject(server, error)
    except SpoolFull as error:
        incoming.discard()
        return _reject(server, JobError("spool", str(error), 507))
    except SpoolUnavailable:
        incoming.discard()
        raise
    except OSError as error:
        incoming.discard()
        return _reject(server, JobError("spool", f"cannot store the job: {error}", 507))
    except BaseException:
        incoming.discard()
        raise


async def _commit(server: Server, spec: jobspec.JobSpec, incoming) -> web.Response:
    profile = server.config.printers[server.config.printers_for(spec.printer)[0]]
    try:
        per_film = boxes_per_film(spec, profile)
    except FormatError as error:
        incoming.discard()
        raise JobError("format", f"{error} (printer {profile.name})") from None
    if spec.frames:  # each frame's image has that frame; every image is in a frame
        try:
            job_frames.check_frames(
                spec.frames, [image.frames for image in incoming.images], spec.names
            )
        except job_fields.FieldError as error:
            incoming.discard()
            field = error.field
            if field.startswith("images[") and not spec.images:
                field = "paths" + field.removeprefix("images")
            raise JobError(field, error.reason) from None
    try:
        films = job_film_count(spec, incoming.frames(), per_film)
        # one call to the database thread: each is a thread hop (docs/server.md)
        job = await server.jobs.submit(spec, incoming, films, check_room=True)
    except (SpoolFull, SpoolUnavailable):
        raise
    except OSError as error:  # ENOSPC and friends: refuse this job, keep the others
        incoming.discard()
        raise SpoolFull(f"cannot store the job: {error.strerror or error}") from None
    return web.json_response(job, status=201, headers={"Location": f"/jobs/{job['id']}"})
