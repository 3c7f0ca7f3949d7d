"""The server's other listeners: a Unix socket, and HTTPS with a token."""

import asyncio
import ssl

import aiohttp

from tests.dul.tls_certs import make_certificates
from tests.hcs.server.helpers import running_server, write_config

TOKEN = "a-token-long-enough-1234"


def test_the_unix_socket_answers_like_the_tcp_listener(tmp_path):
    socket_path = tmp_path / "hcs.sock"
    config = write_config(tmp_path / "hcs.toml", {}, server={"unix_socket": str(socket_path)})

    async def scenario():
        async with running_server(config) as server:
            connector = aiohttp.UnixConnector(path=str(socket_path))
            async with (
                aiohttp.ClientSession(connector=connector) as client,
                client.get("http://localhost/healthz") as over_unix,
            ):
                unix_status = over_unix.status
            async with (
                aiohttp.ClientSession() as client,
                client.get(f"{server.url}/healthz") as over_tcp,
            ):
                return unix_status, over_tcp.status, server.urls

    unix_status, tcp_status, urls = asyncio.run(scenario())
    assert unix_status == tcp_status == 200
    assert f"unix:{socket_path}" in urls


def test_https_with_a_token(tmp_path):
    certs = make_certificates(tmp_path / "certs")
    config = write_config(
        tmp_path / "hcs.toml",
        {},
        server={
            "tls_cert": str(certs.cert),
            "tls_key": str(certs.key),
            "token": TOKEN,
        },
    )
    client_tls = ssl.create_default_context(cafile=str(certs.ca))

    async def scenario():
        async with running_server(config) as server, aiohttp.ClientSession() as client:
            assert server.url.startswith("https://")
            url = f"{server.url}/printers"
            async with client.get(url, ssl=client_tls) as without:
                refused = (without.status, await without.text())
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with client.get(url, ssl=client_tls, headers=headers) as with_token:
                accepted = with_token.status
            return refused, accepted

    (status, body), accepted = asyncio.run(scenario())
    assert status == 401 and "token" in body
    assert accepted == 200
