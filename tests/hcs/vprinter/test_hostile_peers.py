"""The virtual printer against a peer that sends what no SCU should (issue 14).

Each test plays the broken peer over a real socket with our Upper Layer and hand-built
command sets (:mod:`tests.hcs.vprinter.rawcommand`), then checks that the printer
answers as PS3.7 says and keeps serving: the request after the bad one is answered too.
"""

from __future__ import annotations

import asyncio

import pytest

from dimse import uids
from dimse.assembler import MessageAssembler
from dimse.status import StatusCode
from dul.events import PDataReceived
from dul.items import PresentationContextRQ
from dul.net import Timeouts, connect
from tests.hcs.vprinter import rawcommand
from tests.hcs.vprinter.helpers import IMPLICIT, running_printer

BAD_UIDS = {
    "letters": "1.2.x",
    "80 characters": "1." + "2" * 78,
    "DEL byte": "1.2.\x7f3",
}


class RawScu:
    """An association on which the test writes command sets byte for byte."""

    def __init__(self, upper):
        self.upper = upper
        self.assembler = MessageAssembler()

    @classmethod
    async def open(cls, port: int, abstract_syntaxes: list[str]) -> RawScu:
        contexts = [
            PresentationContextRQ(2 * i + 1, syntax, (IMPLICIT,))
            for i, syntax in enumerate(abstract_syntaxes)
        ]
        upper = await connect(
            "127.0.0.1",
            port,
            called_ae_title="VPRINTER",
            calling_ae_title="HOSTILE",
            contexts=contexts,
            timeouts=Timeouts(connect=5, association=5, dimse=5, artim=5),
        )
        return cls(upper)

    async def ask(self, context_id: int, command: bytes):
        """Send one command set; the response the printer sends back (10 s at most)."""
        await self.upper.send_message(context_id, command)
        while True:
            event = await self.upper.next_event(10)
            assert isinstance(event, PDataReceived), f"instead of a response: {event}"
            for value in event.values:
                received = self.assembler.feed(value)
                if received is not None:
                    return received.message


def exchange(make_bad, syntaxes=(uids.VERIFICATION,)):
    async def go():
        async with running_printer() as printer:
            client = await RawScu.open(printer.port, list(syntaxes))
            bad = await client.ask(1, make_bad())
            echo_context = 2 * list(syntaxes).index(uids.VERIFICATION) + 1
            good = await client.ask(echo_context, rawcommand.c_echo_rq(99, uids.VERIFICATION))
            client.upper.abort()
            await client.upper.close()
            await printer.wait_idle(10)
            return bad, good, list(printer.associations)

    return asyncio.run(asyncio.wait_for(go(), 60))


@pytest.mark.parametrize("bad", BAD_UIDS.values(), ids=BAD_UIDS.keys())
def test_a_c_echo_with_a_bad_sop_class_is_refused_and_the_next_is_answered(bad):
    response, after, associations = exchange(lambda: rawcommand.c_echo_rq(7, bad))
    assert response.NAME == "C-ECHO-RSP" and response.message_id_being_responded_to == 7
    assert response.status == StatusCode.SOP_CLASS_NOT_SUPPORTED
    assert response.affected_sop_class_uid is None  # never the peer's value copied back
    assert "not a UID" in response.error_comment
    assert after.status == StatusCode.SUCCESS and after.message_id_being_responded_to == 99
    assert associations[-1]["end"] != "internal error"


GRAY = uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META


@pytest.mark.parametrize("bad", BAD_UIDS.values(), ids=BAD_UIDS.keys())
@pytest.mark.parametrize(
    ("build", "status"),
    [
        (lambda bad: rawcommand.n_create_rq(3, uids.BASIC_FILM_SESSION, bad), 0x0117),
        (lambda bad: rawcommand.n_create_rq(3, bad, "1.2.3"), 0x0122),
        (lambda bad: rawcommand.n_get_rq(3, uids.PRINTER, bad), 0x0117),
        (lambda bad: rawcommand.n_get_rq(3, bad, uids.PRINTER_INSTANCE), 0x0122),
        (lambda bad: rawcommand.n_delete_rq(3, uids.BASIC_FILM_SESSION, bad), 0x0117),
    ],
    ids=["n-create-instance", "n-create-class", "n-get-instance", "n-get-class", "n-delete"],
)
def test_n_requests_with_a_bad_uid_get_the_ps37_failure(bad, build, status):
    response, after, associations = exchange(lambda: build(bad), syntaxes=(GRAY, uids.VERIFICATION))
    assert response.status == status, hex(response.status)
    assert response.message_id_being_responded_to == 3
    assert after.status == StatusCode.SUCCESS
    assert associations[-1]["end"] != "internal error"
