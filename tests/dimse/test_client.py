"""DimseConnection over real sockets: what happens when handling a message goes wrong.

A bug in a request handler (or in our own code on the read path) must end the
association at once and visibly: the peer gets an A-ABORT, the log says why, and a
request the SCU was waiting on fails with the reason instead of waiting for its timeout.
"""

import asyncio
import logging

import pytest

from dimse import uids
from dimse.client import DimseConnection
from dimse.messages import CEchoRQ, NEventReportRQ
from dimse.status import StatusCode
from dul.items import PresentationContextRQ
from dul.negotiation import AcceptorPolicy
from dul.net import AcceptorSettings, AssociationFailed, Timeouts, connect, serve

IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN
LONG = 600.0  # far longer than the test may run: an answer must not come from a timeout


async def scp_and_scu(on_request):
    """An SCP whose DIMSE handler is ``on_request``, and an SCU associated with it."""
    handlers: list[DimseConnection] = []

    async def handler(upper):
        handlers.append(DimseConnection(upper, on_request=on_request))
        await upper.finished.wait()

    policy = AcceptorPolicy({uids.VERIFICATION: (IMPLICIT,)}, ae_title="SCP")
    settings = AcceptorSettings(policy, ae_title="SCP", timeouts=Timeouts(artim=5))
    task, port = await serve("127.0.0.1", 0, settings, handler)
    upper = await connect(
        "127.0.0.1",
        port,
        called_ae_title="SCP",
        contexts=[PresentationContextRQ(1, uids.VERIFICATION, (IMPLICIT,))],
        timeouts=Timeouts(dimse=LONG),
    )
    return task, DimseConnection(upper), handlers


def test_a_handler_that_raises_aborts_the_association_at_once(caplog):
    async def broken(context_id, request):
        raise RuntimeError("a bug in the handler")

    async def go():
        task, scu, handlers = await scp_and_scu(broken)
        with pytest.raises(AssociationFailed) as failure:
            await scu.echo()
        await scu.close()
        task.cancel()
        return failure.value, handlers[0].ended

    with caplog.at_level(logging.ERROR, logger="dimse.client"):
        error, ended = asyncio.run(asyncio.wait_for(go(), 30))
    assert "abort" in str(error).lower()
    assert "RuntimeError: a bug in the handler" in str(ended)
    assert "RuntimeError" in caplog.text


def test_a_request_with_a_bad_uid_is_refused_without_copying_it():
    seen = []

    async def handler(context_id, request):
        seen.append(request)
        return request.respond(StatusCode.SUCCESS)

    async def go():
        task, scu, _ = await scp_and_scu(handler)
        # Our encoder refuses the bad UID, so this goes through the connection's send,
        # with the command built for a good UID and patched after encoding.
        from dimse.outgoing import encode_message

        request = CEchoRQ(scu.next_message_id(), "1.2.840.10008.1.1")
        command, _ = encode_message(request, IMPLICIT)
        bad = command.replace(b"1.2.840.10008.1.1\x00", b"1.2.840.10008.1.x\x00")
        future = asyncio.get_running_loop().create_future()
        scu._waiting[request.message_id] = future  # the test plays a broken SCU
        await scu.upper_layer.send_message(1, bad)
        response = await asyncio.wait_for(future, 10)
        good = await scu.echo()
        await scu.release()
        task.cancel()
        return response, good

    response, good = asyncio.run(asyncio.wait_for(go(), 30))
    assert response.status == StatusCode.SOP_CLASS_NOT_SUPPORTED
    assert response.affected_sop_class_uid is None
    assert good.status == StatusCode.SUCCESS
    assert len(seen) == 1  # the handler only saw the good one


def test_respond_copies_only_valid_uids():
    request = NEventReportRQ(5, uids.PRINTER, "1.2.x", 2)
    response = request.respond(StatusCode.SUCCESS)
    assert response.message_id_being_responded_to == 5
    assert response.affected_sop_class_uid == uids.PRINTER
    assert response.affected_sop_instance_uid is None
    assert response.event_type_id == 2
    assert request.invalid()[0] == StatusCode.INVALID_SOP_INSTANCE
