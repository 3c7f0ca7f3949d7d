"""A sink print SCP for benchmarks: accepts the Basic Grayscale Print Management Meta SOP
class (and Verification) and answers every N-SET with Success, looking at nothing.

Run it in its own process, so that it does not share the benchmark's GIL::

    python bench/sink_scp.py --max-pdu 16384            # our dul.net.Acceptor + DimseConnection
    python bench/sink_scp.py --impl pynetdicom --max-pdu 16384

It binds 127.0.0.1 (a free port unless ``--port`` says otherwise), prints ``PORT <n>``
on one line once it listens, and serves until it is killed. ``--max-pdu`` is the
Maximum Length it advertises, so it decides the size of the P-DATA-TF PDUs the
requestor sends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

META = "1.2.840.10008.5.1.1.9"  # Basic Grayscale Print Management Meta SOP Class
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
AE_TITLE = "SINK"


def _ready(port: int) -> None:
    print(f"PORT {port}", flush=True)


# ------------------------------------------------------------------------------ hcs
async def _serve_hcs(port: int, max_pdu: int) -> None:
    from dimse.client import DimseConnection
    from dimse.messages import CEchoRQ, NSetRQ
    from dimse.status import StatusCode
    from dul.net import Acceptor, AcceptorSettings

    async def answer(context_id: int, request):
        if isinstance(request, NSetRQ | CEchoRQ):
            return request.respond(StatusCode.SUCCESS)
        return None

    async def handler(upper) -> None:
        DimseConnection(upper, on_request=answer)
        await upper.finished.wait()

    # A sink is driven as fast as the benchmark can: no idle or PDU read time-out.
    settings = AcceptorSettings(
        _policy(),
        ae_title=AE_TITLE,
        max_pdu_length=max_pdu,
        idle_timeout=None,
        pdu_read_timeout=None,
    )
    acceptor = Acceptor(settings, handler)
    _ready(await acceptor.listen("127.0.0.1", port))
    await asyncio.Event().wait()


# ------------------------------------------------------------------------------ raw
def _serve_raw(port: int, max_pdu: int) -> None:
    """A sink that measures the sender rather than itself.

    The association is negotiated and released by our sans-I/O ``Association``, but
    P-DATA-TF PDUs bypass it: each is read with one ``recv_into`` (MSG_WAITALL) into one
    reused buffer, its PDV headers are walked, and only command fragments are kept. When
    the last fragment of a message arrives, its response goes out. No data set is
    reassembled and no buffer is allocated per PDU, so the sender is what is measured.
    """
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", port))
    _ready(listener.getsockname()[1])
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_raw_association, args=(conn, max_pdu), daemon=True).start()


def _read_exactly(conn, view: memoryview) -> bool:
    import socket

    got = 0
    while got < len(view):
        n = conn.recv_into(view[got:], len(view) - got, socket.MSG_WAITALL)
        if not n:
            return False
        got += n
    return True


def _raw_association(conn, max_pdu: int) -> None:
    from dimse.command import decode_command
    from dimse.outgoing import encode_message
    from dimse.status import StatusCode
    from dul.association import Association
    from dul.events import AssociationRequested, ReleaseRequested
    from dul.negotiation import Accept, evaluate_request

    association = Association("acceptor", ae_title=AE_TITLE, max_pdu_length=max_pdu)
    association.transport_indication()
    header = bytearray(6)
    body = bytearray(max_pdu)
    command = bytearray()
    pending = None  # the request whose data set is arriving
    with conn:
        while _read_exactly(conn, memoryview(header)):
            length = int.from_bytes(header[2:6], "big")
            if header[0] == 0x04 and association.state == "Sta6" and length <= max_pdu:
                view = memoryview(body)[:length]
                if not _read_exactly(conn, view):
                    return
                pos, answer = 0, None
                while pos + 6 <= length:
                    item = int.from_bytes(view[pos : pos + 4], "big")
                    context_id, control = view[pos + 4], view[pos + 5]
                    if control & 1:
                        command += view[pos + 6 : pos + 4 + item]
                        if control & 2:
                            pending, has_dataset = decode_command(command)
                            command = bytearray()
                            if not has_dataset:
                                answer = pending
                    elif control & 2:
                        answer = pending
                    pos += 4 + item
                if answer is not None:
                    response = answer.respond(StatusCode.SUCCESS)
                    transfer_syntax = association.contexts[context_id].transfer_syntax
                    association.send_message(context_id, *encode_message(response, transfer_syntax))
            else:  # anything else goes through the state machine
                if length > 1 << 20:
                    return
                rest = bytearray(length)
                if not _read_exactly(conn, memoryview(rest)):
                    return
                for event in association.receive_data(bytes(header) + bytes(rest)):
                    if isinstance(event, AssociationRequested):
                        rq = event.request
                        decision = evaluate_request(
                            rq.called_ae_title,
                            rq.calling_ae_title,
                            rq.application_context,
                            rq.presentation_contexts,
                            _policy(),
                        )
                        if isinstance(decision, Accept):
                            association.accept(decision.contexts)
                        else:
                            association.reject(decision.result, decision.source, decision.reason)
                    elif isinstance(event, ReleaseRequested):
                        association.release_response()
            out = association.data_to_send()
            if out:
                conn.sendall(b"".join(out))
            if association.close_requested or association.state in ("Sta1", "Sta13"):
                return


def _policy():
    from dul.negotiation import AcceptorPolicy

    return AcceptorPolicy({META: (IMPLICIT, EXPLICIT), VERIFICATION: (IMPLICIT, EXPLICIT)})


# ----------------------------------------------------------------------- pynetdicom
def _serve_pynetdicom(port: int, max_pdu: int) -> None:
    from pynetdicom import AE, evt

    def on_n_set(event):
        return 0x0000, None

    def on_echo(event):
        return 0x0000

    ae = AE(ae_title=AE_TITLE)
    ae.maximum_pdu_size = max_pdu
    ae.add_supported_context(META, [IMPLICIT, EXPLICIT])
    ae.add_supported_context(VERIFICATION, [IMPLICIT, EXPLICIT])
    server = ae.start_server(
        ("127.0.0.1", port),
        block=False,
        evt_handlers=[(evt.EVT_N_SET, on_n_set), (evt.EVT_C_ECHO, on_echo)],
    )
    _ready(server.server_address[1])
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=("hcs", "raw", "pynetdicom"), default="hcs")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-pdu", type=int, default=16384)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.impl == "hcs":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # a sink keeps nothing
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve_hcs(args.port, args.max_pdu))
    elif args.impl == "raw":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            _serve_raw(args.port, args.max_pdu)
    else:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        _serve_pynetdicom(args.port, args.max_pdu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
