"""dul.net.Acceptor's public hooks over real sockets: decide, ended, timeouts, abort."""

import asyncio

import pytest

from dimse import uids
from dul.events import Aborted
from dul.items import PresentationContextRQ
from dul.negotiation import Accept, AcceptorPolicy, Reject
from dul.net import (
    Acceptor,
    AcceptorSettings,
    AssociationRejectedError,
    Timeouts,
    connect,
)

IMPLICIT = uids.IMPLICIT_VR_LITTLE_ENDIAN
POLICY = AcceptorPolicy({uids.VERIFICATION: (IMPLICIT,)}, ae_title="SCP")


async def _connect(port: int):
    return await connect(
        "127.0.0.1",
        port,
        called_ae_title="SCP",
        contexts=[PresentationContextRQ(1, uids.VERIFICATION, (IMPLICIT,))],
        timeouts=Timeouts(connect=5, association=5, artim=5),
    )


def run(settings: AcceptorSettings, handler, client):
    async def go():
        acceptor = Acceptor(settings, handler)
        port = await acceptor.listen("127.0.0.1", 0)
        try:
            return await client(port, acceptor)
        finally:
            await acceptor.close(grace=5)

    return asyncio.run(asyncio.wait_for(go(), 30))


async def _wait_ended(upper):
    await upper.finished.wait()


def test_decide_may_reject_with_any_reason_and_ended_hears_of_it():
    ended = []

    async def decide(connection, rq, proposal):
        assert isinstance(proposal, Accept) and rq.calling_ae_title.strip()
        return Reject(1, 1, 3)

    settings = AcceptorSettings(
        POLICY, ae_title="SCP", decide=decide, ended=lambda c, how: ended.append(how)
    )

    async def client(port, acceptor):
        with pytest.raises(AssociationRejectedError) as refused:
            await _connect(port)
        await acceptor.wait_idle()
        return refused.value.event

    event = run(settings, _wait_ended, client)
    assert (event.result, event.source, event.reason) == (1, 1, 3)
    assert ended == ["rejected"]


def test_decide_may_announce_a_smaller_pdu_and_abort_with_source_and_reason():
    async def decide(connection, rq, proposal):
        return Accept(proposal.contexts, max_pdu_length=4096)

    async def handler(upper):
        upper.abort(2, 6)  # service provider, invalid PDU parameter value
        await upper.finished.wait()

    async def client(port, acceptor):
        upper = await _connect(port)
        announced = upper.association.peer_max_pdu_length
        event = await upper.next_event(10)
        await upper.close()
        return announced, event

    announced, event = run(AcceptorSettings(POLICY, ae_title="SCP", decide=decide), handler, client)
    assert announced == 4096
    assert isinstance(event, Aborted) and (event.source, event.reason) == (2, 6)


def test_an_idle_association_is_aborted_and_ended_says_why():
    ended = []
    settings = AcceptorSettings(
        POLICY, ae_title="SCP", idle_timeout=0.3, ended=lambda c, how: ended.append(how)
    )

    async def client(port, acceptor):
        upper = await _connect(port)
        event = await upper.next_event(10)
        await upper.close()
        await acceptor.wait_idle()
        return event

    event = run(settings, _wait_ended, client)
    assert isinstance(event, Aborted)
    assert len(ended) == 1 and "idle association" in ended[0]


def test_more_than_max_associations_are_rejected_as_a_local_limit():
    settings = AcceptorSettings(POLICY, ae_title="SCP", max_associations=1)

    async def client(port, acceptor):
        first = await _connect(port)
        with pytest.raises(AssociationRejectedError) as refused:
            await _connect(port)
        await first.release()
        return refused.value.event

    event = run(settings, _wait_ended, client)
    assert (event.result, event.source, event.reason) == (2, 3, 2)
