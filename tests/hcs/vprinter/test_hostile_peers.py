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


# ------------------------------------------------------------ bounded resources


def associate_rq_bytes(contexts=(uids.VERIFICATION,)) -> bytes:
    """An A-ASSOCIATE-RQ as our requestor would send it, for peers written by hand."""
    from dul.association import Association

    association = Association("requestor", ae_title="HOSTILE")
    association.request(
        "VPRINTER",
        [PresentationContextRQ(2 * i + 1, s, (IMPLICIT,)) for i, s in enumerate(contexts)],
    )
    association.transport_connected()
    return b"".join(bytes(p) for p in association.data_to_send())


async def raw_connection(port: int):
    return await asyncio.open_connection("127.0.0.1", port)


async def echo_works(port: int) -> bool:
    client = await RawScu.open(port, [uids.VERIFICATION])
    response = await client.ask(1, rawcommand.c_echo_rq(1, uids.VERIFICATION))
    await client.upper.release()
    return response.status == StatusCode.SUCCESS


def test_idle_associations_are_aborted_and_free_their_slots():
    """Defect 2: idle associations held every slot for as long as they stayed."""

    async def go():
        async with running_printer(max_associations=3, idle_timeout=0.5) as printer:
            idle = [await RawScu.open(printer.port, [uids.VERIFICATION]) for _ in range(3)]
            ends = [await client.upper.next_event(30) for client in idle]
            await printer.wait_idle(30)
            works = await echo_works(printer.port)
            return ends, works, list(printer.associations)

    ends, works, records = asyncio.run(asyncio.wait_for(go(), 60))
    assert all(type(e).__name__ == "Aborted" for e in ends), ends
    assert works
    assert sum("idle association" in r["end"] for r in records) == 3, records


async def raw_association(port: int, contexts=(uids.VERIFICATION,)):
    """A TCP connection that has sent an A-ASSOCIATE-RQ and read the A-ASSOCIATE-AC."""
    reader, writer = await raw_connection(port)
    writer.write(associate_rq_bytes(contexts))
    await writer.drain()
    header = await reader.readexactly(6)
    await reader.readexactly(int.from_bytes(header[2:6], "big"))
    assert header[0] == 0x02, f"PDU type {header[0]} instead of A-ASSOCIATE-AC"
    return reader, writer


async def until_closed(reader) -> bytes:
    """What the printer sends until it closes the connection (an A-ABORT, we expect; a
    peer still writing when the printer closes may get a reset instead)."""
    try:
        return await reader.read()
    except ConnectionError:
        return b""


def test_a_pdu_whose_body_never_comes_is_aborted():
    """Defect 2: a P-DATA header whose body never came held its slot for ever."""

    async def go():
        async with running_printer(pdu_read_timeout=0.5, idle_timeout=0) as printer:
            reader, writer = await raw_association(printer.port)
            writer.write(b"\x04\x00\x00\x00\x03\xe8" + b"\x00" * 10)  # 10 of 1000 bytes
            await writer.drain()
            last = await until_closed(reader)
            writer.close()
            await printer.wait_idle(30)
            return last, list(printer.associations)

    last, records = asyncio.run(asyncio.wait_for(go(), 60))
    assert last[:1] == b"\x07"  # A-ABORT
    assert "the rest of a PDU" in records[-1]["end"], records[-1]


def test_a_message_larger_than_the_largest_image_is_refused():
    """Defect 3: 512 MiB per association whatever the printer's configuration; here the
    largest image is 256 x 256 RGB, so 8 MiB of data set is refused long before its end."""
    from dul.pdu import frame_message

    command = rawcommand.command_set(
        {
            0x0003: (rawcommand.UI, uids.BASIC_GRAYSCALE_IMAGE_BOX),
            0x0100: (rawcommand.US, 0x0120),
            0x0110: (rawcommand.US, 1),
            0x0800: (rawcommand.US, 0x0000),
            0x1001: (rawcommand.UI, "1.2.3"),
        }
    )
    head = b"".join(bytes(p) for p in frame_message(1, command, [], 65536))
    fragment = 16384
    chunk = b"\x04\x00" + (fragment + 6).to_bytes(4, "big")
    chunk += (fragment + 2).to_bytes(4, "big") + b"\x01\x00" + b"\x00" * fragment

    async def go():
        async with running_printer(
            film__max_image_rows=256, film__max_image_columns=256
        ) as printer:
            reader, writer = await raw_association(printer.port, (GRAY,))
            try:
                writer.write(head)
                for _ in range(512):  # 8 MiB, never marked last
                    writer.write(chunk)
                    await writer.drain()
            except ConnectionError:
                pass
            last = await until_closed(reader)
            writer.close()
            await printer.wait_idle(30)
            return last, list(printer.associations), printer.receive_budget.used

    last, records, held = asyncio.run(asyncio.wait_for(go(), 60))
    assert last[:1] in (b"\x07", b"")  # A-ABORT, unless a reset overtook it
    assert "exceeds the limit" in records[-1]["end"], records[-1]
    assert held == 0  # the budget came back when the association ended


def test_all_associations_together_stay_within_the_receive_budget():
    """Two peers each sending most of a large message: the one that would pass the
    process's budget is aborted, the other is not, and the budget comes back."""
    from dul.pdu import frame_message

    command = rawcommand.command_set(
        {
            0x0003: (rawcommand.UI, uids.BASIC_GRAYSCALE_IMAGE_BOX),
            0x0100: (rawcommand.US, 0x0120),
            0x0110: (rawcommand.US, 1),
            0x0800: (rawcommand.US, 0x0000),
            0x1001: (rawcommand.UI, "1.2.3"),
        }
    )
    head = b"".join(bytes(p) for p in frame_message(1, command, [], 65536))
    fragment = 16384
    chunk = b"\x04\x00" + (fragment + 6).to_bytes(4, "big")
    chunk += (fragment + 2).to_bytes(4, "big") + b"\x01\x00" + b"\x00" * fragment

    async def go():
        async with running_printer(receive_budget_bytes=1024 * 1024) as printer:
            first = await raw_association(printer.port, (GRAY,))
            second = await raw_association(printer.port, (GRAY,))
            for _, writer in (first, second):  # 640 KiB each: together over the 1 MiB budget
                writer.write(head)
                for _ in range(40):
                    writer.write(chunk)
                    await writer.drain()
                while writer is first[1] and printer.receive_budget.used < 40 * fragment:
                    await asyncio.sleep(0.01)  # the first one's data is all held now
            last = await until_closed(second[0])
            alive = not first[0].at_eof()
            for _, writer in (first, second):
                writer.close()
            await printer.wait_idle(30)
            return last, alive, list(printer.associations), printer.receive_budget.used

    last, alive, records, held = asyncio.run(asyncio.wait_for(go(), 60))
    assert last[:1] in (b"\x07", b"") and alive
    assert any("budget" in r["end"] for r in records), records
    assert held == 0


@pytest.mark.parametrize("after", [b"", b"\x99garbage!"], ids=["close", "garbage"])
def test_a_peer_gone_right_after_its_request_is_no_internal_error(after, caplog):
    """Defect 5: LocalProtocolError 'Evt7 is not allowed in Sta1/Sta13' logged as a bug."""

    async def go():
        async with running_printer() as printer:
            _reader, writer = await raw_connection(printer.port)
            writer.write(associate_rq_bytes() + after)
            await writer.drain()
            writer.close()
            await printer.wait_idle(30)
            works = await echo_works(printer.port)
            return works, list(printer.associations)

    works, records = asyncio.run(asyncio.wait_for(go(), 60))
    assert works
    assert "internal error" not in records[0]["end"]
    assert "LocalProtocolError" not in caplog.text
    assert "Traceback" not in caplog.text
