"""A fast print SCP for benchmarks: the whole Print Management sequence, no rendering.

It answers N-GET Printer (NORMAL), creates Film Sessions and Film Boxes (with as many
Image Boxes as the display format makes), and answers N-SET, N-ACTION and N-DELETE with
Success without decoding the pixels, so that what is measured is the SCU and the wire.
Both libraries under test print to the same sink, each in its own process::

    python bench/print_sink.py [--max-pdu 65536]     # prints "PORT <n>" once it listens
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from pydicom.dataset import Dataset

from dimse import uids
from dimse.client import DimseConnection
from dimse.messages import CEchoRQ, NActionRQ, NCreateRQ, NDeleteRQ, NGetRQ, NSetRQ
from dul.negotiation import AcceptorPolicy
from dul.net import AcceptorSettings, Timeouts, serve

_counter = itertools.count(1)
SYNTAXES = (uids.EXPLICIT_VR_LITTLE_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN)


def new_uid() -> str:
    return f"1.2.826.0.1.3680043.10.1234.{next(_counter)}"


def box_count(display_format: str) -> int:
    kind, _, rest = display_format.partition("\\")
    numbers = [int(n) for n in re.findall(r"\d+", rest)]
    if kind == "STANDARD":
        return numbers[0] * numbers[1]
    return sum(numbers) if numbers else 1


async def answer(connection: DimseConnection, context_id: int, request):
    ok = 0
    if isinstance(request, NGetRQ):
        ds = Dataset()
        ds.PrinterStatus = "NORMAL"
        ds.PrinterStatusInfo = "NORMAL"
        return request.respond(ok, dataset=ds)
    if isinstance(request, NCreateRQ):
        uid = request.affected_sop_instance_uid or new_uid()
        reply = None
        if request.affected_sop_class_uid == uids.BASIC_FILM_BOX:
            ts = connection.contexts[context_id].transfer_syntax
            fmt = str(request.decode_dataset(ts).ImageDisplayFormat)
            box_class = (
                uids.BASIC_COLOR_IMAGE_BOX
                if connection.contexts[context_id].abstract_syntax
                == uids.BASIC_COLOR_PRINT_MANAGEMENT_META
                else uids.BASIC_GRAYSCALE_IMAGE_BOX
            )
            reply = Dataset()
            items = []
            for _ in range(box_count(fmt)):
                item = Dataset()
                item.ReferencedSOPClassUID = box_class
                item.ReferencedSOPInstanceUID = new_uid()
                items.append(item)
            reply.ReferencedImageBoxSequence = items
        return request.respond(ok, affected_sop_instance_uid=uid, dataset=reply)
    if isinstance(request, NSetRQ | NActionRQ | NDeleteRQ | CEchoRQ):
        return request.respond(ok)
    return None


async def main(port: int, max_pdu: int) -> None:
    policy = AcceptorPolicy(
        {
            uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META: SYNTAXES,
            uids.BASIC_COLOR_PRINT_MANAGEMENT_META: SYNTAXES,
            uids.VERIFICATION: SYNTAXES,
        }
    )

    async def handler(upper) -> None:
        connection = DimseConnection(upper)
        connection.on_request = lambda ctx, rq: answer(connection, ctx, rq)
        await upper.finished.wait()

    settings = AcceptorSettings(
        policy, ae_title="SINK", max_pdu_length=max_pdu, timeouts=Timeouts(artim=30)
    )
    task, bound = await serve("127.0.0.1", port, settings, handler)
    print(f"PORT {bound}", flush=True)
    await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-pdu", type=int, default=65536)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.port, args.max_pdu))
