"""TLS (PS3.15 BCP 195) under the Upper Layer, against DCMTK's storescp and our acceptor."""

import asyncio
import ssl

import pytest

from dimse import uids
from dimse.client import DimseConnection
from dul.items import PresentationContextRQ
from dul.negotiation import AcceptorPolicy
from dul.net import AcceptorSettings, NetworkError, Timeouts, connect, serve
from tests.dul.tls_certs import make_certificates
from tests.peers import storescp

VERIFY = [PresentationContextRQ(1, uids.VERIFICATION, (uids.IMPLICIT_VR_LITTLE_ENDIAN,))]


def client_context(ca_file) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def echo(port, context, hostname="localhost"):
    upper = await connect(
        "127.0.0.1",
        port,
        called_ae_title="STORESCP",
        contexts=VERIFY,
        tls_context=context,
        server_hostname=hostname,
        timeouts=Timeouts(connect=10, association=10, dimse=10),
    )
    dimse = DimseConnection(upper)
    response = await dimse.echo()
    version = upper.tls.version
    await dimse.release()
    return response.status, version


def tls_storescp(tmp_path, certs):
    """DCMTK's storescp on TLS with our server certificate, not asking for ours (-ic)."""
    return storescp(tmp_path, "STORESCP", "+tls", str(certs.key), str(certs.cert), "-ic")


def test_echo_over_tls_to_dcmtk_storescp(tmp_path):
    certs = make_certificates(tmp_path / "certs")
    with tls_storescp(tmp_path, certs) as port:
        status, version = asyncio.run(echo(port, client_context(certs.ca)))
    assert status == 0
    assert version in ("TLSv1.2", "TLSv1.3")


def test_an_unverifiable_printer_is_refused(tmp_path):
    certs = make_certificates(tmp_path / "certs")
    other = make_certificates(tmp_path / "other")
    with tls_storescp(tmp_path, certs) as port, pytest.raises(NetworkError, match="TLS set-up"):
        asyncio.run(echo(port, client_context(other.ca)))


def test_our_acceptor_over_tls(tmp_path):
    certs = make_certificates(tmp_path / "certs")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(str(certs.cert), str(certs.key))

    async def scenario():
        async def handler(upper):
            DimseConnection(upper)
            await upper.finished.wait()

        settings = AcceptorSettings(
            AcceptorPolicy({uids.VERIFICATION: (uids.IMPLICIT_VR_LITTLE_ENDIAN,)}),
            tls_context=server,
        )
        task, port = await serve("127.0.0.1", 0, settings, handler)
        try:
            return await echo(port, client_context(certs.ca))
        finally:
            task.cancel()

    status, _ = asyncio.run(scenario())
    assert status == 0


def test_hcs_echo_over_tls(tmp_path):
    from tests.peers import run_hcs

    certs = make_certificates(tmp_path / "certs")
    with tls_storescp(tmp_path, certs) as port:
        done = run_hcs("echo", "127.0.0.1", str(port), "--tls", "--tls-ca", str(certs.ca))
        plain = run_hcs("echo", "127.0.0.1", str(port), "--timeout", "3")
    assert done.returncode == 0, done.stderr
    assert plain.returncode in (1, 3) and "Traceback" not in plain.stderr
