"""The asyncio transport against real peers and against peers that misbehave on purpose."""

import asyncio
import contextlib
import socket
import subprocess
import threading
import time

import numpy as np
import pytest

from dimse import uids
from dimse.client import DimseConnection
from dimse.messages import NSetRQ
from dul.items import PresentationContextRQ
from dul.negotiation import AcceptorPolicy
from dul.net import AcceptorSettings, Timeouts, connect, serve
from dul.pdu import (
    AAssociateAC,
    PDataTF,
    decode_pdu,
)
from dul.pdu_values import PresentationDataValue
from tests.dul.machines import ACCEPTED, CONTEXT
from tests.peers import BackgroundLoop, require, run_hcs

IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN
EXPLICIT = uids.EXPLICIT_VR_LITTLE_ENDIAN


@contextlib.contextmanager
def our_acceptor(policy: AcceptorPolicy, handler=None, max_pdu_length=16384):
    """Our own acceptor on a free loopback port, answering C-ECHO by default."""
    background = BackgroundLoop()

    async def default_handler(upper):
        DimseConnection(upper)
        await upper.finished.wait()

    async def start():
        settings = AcceptorSettings(
            policy, ae_title="HCS_SCP", max_pdu_length=max_pdu_length, timeouts=Timeouts(artim=5)
        )
        return await serve("127.0.0.1", 0, settings, handler or default_handler)

    task, port = background.run(start())
    try:
        yield port, background
    finally:
        background.loop.call_soon_threadsafe(task.cancel)
        time.sleep(0.05)
        background.close()


def test_dcmtk_echoscu_against_our_acceptor():
    policy = AcceptorPolicy({uids.VERIFICATION: (EXPLICIT, IMPLICIT)}, ae_title="HCS_SCP")
    with our_acceptor(policy) as (port, _):
        done = subprocess.run(
            [require("echoscu"), "-v", "-aec", "HCS_SCP", "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        wrong = subprocess.run(
            [require("echoscu"), "-aec", "SOMEONE", "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Received Echo Response (Success)" in done.stdout + done.stderr
    assert wrong.returncode != 0
    assert "Called AE Title Not Recognized" in wrong.stdout + wrong.stderr


def test_hcs_echo_against_our_acceptor_over_ipv6_when_the_host_has_it():
    policy = AcceptorPolicy({uids.VERIFICATION: (IMPLICIT,)})
    with our_acceptor(policy) as (port, _):
        done = run_hcs("echo", "localhost", str(port), "--called-ae", "HCS_SCP")
    assert done.returncode == 0, done.stderr


def test_a_16_mib_n_set_arrives_whole_through_a_16_kib_max_pdu():
    """Our requestor fragments to the acceptor's maximum; our acceptor reassembles it."""
    received = {}

    async def handler(upper):
        async def on_request(context_id, request):
            received["length"] = len(request.dataset)
            received["tail"] = bytes(request.dataset[-16:])
            return request.respond(0)

        DimseConnection(upper, on_request=on_request)
        await upper.finished.wait()

    meta = uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
    policy = AcceptorPolicy({meta: (IMPLICIT,)})
    pixels = np.arange(16 << 20, dtype=np.uint32).view(np.uint8)[: 16 << 20]
    encoded = [b"\x20\x20\x10\x00\x02\x00\x00\x00\x01\x00", memoryview(pixels)]

    async def send(port):
        upper = await connect(
            "127.0.0.1",
            port,
            called_ae_title="HCS_SCP",
            contexts=[PresentationContextRQ(1, meta, (IMPLICIT,))],
        )
        assert upper.association.peer_max_pdu_length == 16384
        dimse = DimseConnection(upper)
        response = await dimse.request(
            1, NSetRQ(dimse.next_message_id(), uids.BASIC_GRAYSCALE_IMAGE_BOX, "1.2.3", encoded)
        )
        await dimse.release()
        return response

    with our_acceptor(policy, handler) as (port, _):
        response = asyncio.run(send(port))
    assert response.status == 0
    assert received["length"] == 10 + len(pixels)
    assert received["tail"] == pixels[-16:].tobytes()


# ---------------------------------------------------------------- misbehaving peers
@contextlib.contextmanager
def scripted_peer(script):
    """A TCP server on loopback that runs ``script(connection)`` for each client."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    stop = threading.Event()

    def run():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                script(conn, stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def read_pdu(conn) -> bytes:
    header = b""
    while len(header) < 6:
        chunk = conn.recv(6 - len(header))
        if not chunk:
            raise OSError("closed")
        header += chunk
    length = int.from_bytes(header[2:6], "big")
    body = b""
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            raise OSError("closed")
        body += chunk
    return header + body


def accept_pdu() -> bytes:
    from dul.items import UserInformation

    return AAssociateAC(
        "ANY-SCP",
        "HCS_PRINT_SCU",
        (ACCEPTED,),
        UserInformation(max_length=16384, implementation_class_uid="1.2.3"),
    ).encode()


def answer_with(data: bytes, then_wait: float = 0.0):
    def script(conn, stop):
        read_pdu(conn)
        conn.sendall(data)
        stop.wait(then_wait)

    return script


def accept_then(action):
    def script(conn, stop):
        read_pdu(conn)
        conn.sendall(accept_pdu())
        action(conn, stop)

    return script


def _close(conn, stop):
    conn.shutdown(socket.SHUT_RDWR)


def _silence(conn, stop):
    stop.wait(30)


def _garbage_after_echo(conn, stop):
    read_pdu(conn)
    conn.sendall(b"\x04\x00\x00\x00\x00\x08\x00\x00\x00\x04\x01\x03\xff\xff")
    stop.wait(5)


def _reply_on_another_context(conn, stop):
    read_pdu(conn)
    conn.sendall(PDataTF((PresentationDataValue(7, True, True, b"\x00\x00"),)).encode())
    stop.wait(5)


LYING_AC = bytearray(accept_pdu())
LYING_AC[6 + 68 + 2 : 6 + 68 + 4] = (5000).to_bytes(2, "big")  # the first item claims 5000 bytes

MISBEHAVIOURS = {
    "garbage": answer_with(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4, 5),
    "unknown PDU type": answer_with(b"\x11\x00\x00\x00\x00\x04\x00\x00\x00\x00", 5),
    "PDU claiming 4 GiB": answer_with(b"\x02\x00\xff\xff\xff\xff" + b"\x00" * 1000, 5),
    "P-DATA claiming 4 GiB": accept_then(
        lambda c, s: (read_pdu(c), c.sendall(b"\x04\x00\xff\xff\xff\xf0" + bytes(4096)), s.wait(5))
    ),
    "A-ASSOCIATE-AC whose lengths lie": answer_with(bytes(LYING_AC), 5),
    "accepts then closes": accept_then(_close),
    "accepts then never answers": accept_then(_silence),
    "answers the echo with a broken command": accept_then(_garbage_after_echo),
    "answers on a context never accepted": accept_then(_reply_on_another_context),
    "closes at once": lambda conn, stop: conn.shutdown(socket.SHUT_RDWR),
    "never answers the association request": lambda conn, stop: stop.wait(30),
}


@pytest.mark.parametrize("name", list(MISBEHAVIOURS))
def test_a_misbehaving_peer_gets_one_line_and_exit_1_or_3(name):
    with scripted_peer(MISBEHAVIOURS[name]) as port:
        started = time.monotonic()
        done = run_hcs("echo", "127.0.0.1", str(port), "--timeout", "2", timeout=30)
        elapsed = time.monotonic() - started
    assert done.returncode in (1, 3), (done.returncode, done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == ""
    # Bounded by the configured timeouts (2 s each), not by the peer's 30 s of silence.
    assert elapsed < 20


def test_an_incoming_pdu_over_our_maximum_is_aborted():
    """Our acceptor refuses a P-DATA-TF longer than the maximum it advertised."""
    policy = AcceptorPolicy({uids.VERIFICATION: (IMPLICIT,)})
    with (
        our_acceptor(policy, max_pdu_length=4096) as (port, _),
        socket.create_connection(("127.0.0.1", port), 5) as sock,
    ):
        from dul.items import UserInformation
        from dul.pdu import AAssociateRQ

        sock.sendall(
            AAssociateRQ("HCS_SCP", "FUZZ", (CONTEXT,), UserInformation(max_length=0)).encode()
        )
        assert isinstance(decode_pdu(read_pdu(sock)), AAssociateAC)
        big = PDataTF((PresentationDataValue(1, True, True, bytes(8000)),)).encode()
        sock.sendall(big)
        abort = decode_pdu(read_pdu(sock))
    assert (abort.source, abort.reason) == (2, 6)
