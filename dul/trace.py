"""One line per PDU for the ``dul.pdu`` logger at DEBUG (``hcs -d``), like DCMTK's ``-d``.

The association calls these only when that logger is enabled for DEBUG, checked once per
batch of PDUs, so tracing costs nothing when it is off. P-DATA values are described by
their headers only (context, command or data, last fragment, length), never their bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

log = logging.getLogger("dul.pdu")


def enabled() -> bool:
    return log.isEnabledFor(logging.DEBUG)


def describe(pdu: object) -> str:
    """A PDU in a line: its PS3.8 name and the fields a person reads first."""
    name = type(pdu).__name__
    if name in ("AAssociateRQ", "AAssociateAC"):
        contexts = getattr(pdu, "presentation_contexts", ())
        user = getattr(pdu, "user_information", None)
        max_pdu = getattr(user, "max_length", None)
        kind = "A-ASSOCIATE-RQ" if name == "AAssociateRQ" else "A-ASSOCIATE-AC"
        return (
            f"{kind} called {pdu.called_ae_title!r} calling {pdu.calling_ae_title!r}, "
            f"{len(contexts)} presentation context(s), max PDU {max_pdu}"
        )
    if name == "AAssociateRJ":
        return f"A-ASSOCIATE-RJ result {pdu.result} source {pdu.source} reason {pdu.reason}"
    if name == "PDataTF":
        return "P-DATA-TF " + "; ".join(_pdv(v) for v in pdu.values)
    if name == "AAbort":
        return f"A-ABORT source {pdu.source} reason {pdu.reason}"
    return {"AReleaseRQ": "A-RELEASE-RQ", "AReleaseRP": "A-RELEASE-RP"}.get(name, name)


def _pdv(value: object) -> str:
    kind = "command" if value.is_command else "data set"
    last = ", last" if value.is_last else ""
    return f"PDV context {value.context_id} {kind}{last}, {len(value.data)} bytes"


def received(pdus: Sequence[object]) -> None:
    for pdu in pdus:
        log.debug("received %s", describe(pdu))


def sent(pdu: object) -> None:
    log.debug("sent %s", describe(pdu))


def sent_message(context_id: int, command_bytes: int, dataset_bytes: int, pdus: int) -> None:
    log.debug(
        "sent %d P-DATA-TF PDU(s) on context %d: command %d bytes, data set %d bytes",
        pdus,
        context_id,
        command_bytes,
        dataset_bytes,
    )
