"""What every HTTP request must pass before a route sees it: a browser-safe API.

A web page the user happens to visit can make the browser send requests to the server,
loopback included, and with the browser's cookies; it can also point a DNS name it owns
at 127.0.0.1 (DNS rebinding) and then read the answers. So, on every listener:

* ``Host`` must be one of the server's own names (:func:`allowed_hosts`): a rebound name
  is refused with 421 before anything is read.
* A state-changing request (POST, PUT, PATCH, DELETE) must come from the server's own
  origin: an ``Origin`` other than ``scheme://host`` or a ``Sec-Fetch-Site`` other than
  ``same-origin``/``none`` is refused with 403. It must also carry something a form
  cannot send: the ``X-HCS-Client`` header (any value) or a JSON body; a browser only
  sends either cross-site after a CORS preflight, which this server never grants.
  The console and :class:`hcs.client.Client` (``hcs submit``, ``hcs cancel``) send it.
* The token, when the server has one, comes in ``Authorization: Bearer``, or in the
  ``hcs_token`` cookie (HttpOnly, SameSite=Strict) that ``GET /?token=...`` sets for the
  console; a token in the URL is taken nowhere else (URLs end up in logs and history).
  That holds for the live stream ``GET /events`` too: the console's EventSource cannot
  set a header but sends the cookie, like its other same-origin requests.
* A declared body over the server's limit is refused with 413 before it is read.

Bad input is a 4xx, never a 500: :func:`load_json` refuses JSON nested deeper than
:data:`MAX_JSON_DEPTH`, and :func:`check_name` a path or name with a NUL or another
control character.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from hcs.server.config import ServerSettings
from hcs.server.jobspec import JobError

log = logging.getLogger("hcs.server.http")

CLIENT_HEADER = "X-HCS-Client"
"""The header a form cannot send; its value names the client (``hcs.client``, ``console``)."""
TOKEN_COOKIE = "hcs_token"
MAX_JSON_DEPTH = 32
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _error(status: int, field: str, reason: str) -> web.Response:
    return web.json_response(
        {"error": f"{field}: {reason}", "field": field, "reason": reason}, status=status
    )


def allowed_hosts(settings: ServerSettings) -> frozenset[str] | None:
    """The names ``Host`` may carry (without the port), or ``None`` for any.

    ``server.allowed_hosts`` when configured; else the listen address, plus the
    loopback names when it is a loopback address. A wildcard listener (0.0.0.0, ::)
    without ``allowed_hosts`` takes any name: it needs a token, which a rebinding page
    does not have.
    """
    if settings.allowed_hosts:
        return frozenset(h.lower() for h in settings.allowed_hosts)
    host = settings.host.lower()
    if host in ("0.0.0.0", "::", ""):
        return None
    names = {host}
    if settings.is_loopback:
        names.update(_LOOPBACK_NAMES)
    return frozenset(names)


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6][:port]`` -> (lower-case name, port); ``None`` if malformed."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^\[\]:/\s]+)(?::(\d{1,5}))?", value)
    if match is None:
        return None
    name = match.group(1).strip("[]").lower()
    return name, int(match.group(2)) if match.group(2) else None


def _local_port(request: web.Request) -> int | None:
    """The TCP port this request came in on; ``None`` on the Unix socket."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return sockname[1]
    return None


def _host_problem(request: web.Request, settings: ServerSettings) -> str | None:
    port = _local_port(request)
    if port is None:  # the Unix socket: no browser reaches it
        return None
    names = allowed_hosts(settings)
    if names is None:
        return None
    given = request.headers.get("Host", "")
    parsed = _split_host(given)
    if parsed is None:
        return f"{given!r} is not a host name"
    name, given_port = parsed
    if name not in names or given_port not in (None, port):
        return f"{given!r} is not this server (server.allowed_hosts)"
    return None


def _origin_problem(request: web.Request) -> str | None:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return f"a {site} request (Sec-Fetch-Site) may not change anything here"
    origin = request.headers.get("Origin")
    if origin is not None:
        own = f"{request.scheme}://{request.headers.get('Host', '')}".lower()
        if origin.lower() != own:
            return f"a request from {origin} may not change anything on {own}"
    if CLIENT_HEADER not in request.headers and request.content_type != "application/json":
        return (
            f"a state-changing request needs the {CLIENT_HEADER} header (any value) or a JSON"
            " body, which a form on another site cannot send"
        )
    return None


def _token_problem(request: web.Request, token: str) -> str | None:
    given = ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        given = header[7:].strip()
    given = given or request.cookies.get(TOKEN_COOKIE, "")
    if request.method == "GET" and request.path == "/" and not given:
        given = request.query.get("token", "")  # the console's login, nowhere else
    if hmac.compare_digest(given.encode(), token.encode()):
        return None
    why = "missing" if not given else "wrong"
    return (
        f"the server's token is {why}: send 'Authorization: Bearer TOKEN'"
        " (hcs --token, or HCS_TOKEN); a browser opens /?token=TOKEN once"
    )


def middleware(settings_of: Callable[[web.Request], ServerSettings]):
    """The aiohttp middleware enforcing the rules above, before any route runs."""

    @web.middleware
    async def guard(request: web.Request, handler):
        settings = settings_of(request)
        problem = _host_problem(request, settings)
        if problem is not None:
            log.info("refused %s %s: Host %s", request.method, request.path, problem)
            return _error(421, "Host", problem)
        if request.method in STATE_CHANGING:
            problem = _origin_problem(request)
            if problem is not None:
                log.info("refused %s %s: %s", request.method, request.path, problem)
                return _error(403, "Origin", problem)
        if settings.token:
            problem = _token_problem(request, settings.token)
            if problem is not None:
                return _error(401, "token", problem)
        limit = int(settings.max_request_mb * 2**20)
        if request.content_length is not None and request.content_length > limit:
            return _error(
                413,
                "Content-Length",
                f"{request.content_length} bytes is more than the server takes in one request"
                f" ({limit} bytes: server.max_request_mb)",
            )
        response = await handler(request)
        if settings.token and request.path == "/" and request.query.get("token"):
            response.set_cookie(
                TOKEN_COOKIE,
                settings.token,
                httponly=True,
                samesite="Strict",
                secure=request.scheme == "https",
            )
        return response

    return guard


def load_json(text: str, field: str = "job") -> Any:
    """``json.loads`` that refuses what would make it fail badly: nesting deeper than
    :data:`MAX_JSON_DEPTH` (Python's parser recurses) and malformed JSON, as
    :class:`JobError` naming ``field``."""
    depth = 0
    for token in _JSON_NESTING.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise JobError(field, f"nested deeper than {MAX_JSON_DEPTH} levels")
        elif char in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise JobError(
            field, f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def check_name(value: str, field: str) -> None:
    """Refuse a path or upload name holding a NUL or another control character."""
    match = _CONTROL.search(value)
    if match is not None:
        raise JobError(field, f"contains the control character U+{ord(match.group()):04X}")
