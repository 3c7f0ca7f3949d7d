"""DIMSE (PS3.7): command sets, N-service and C-ECHO messages, statuses, data sets.

Sans-I/O, between the Upper Layer (:mod:`dul`) and the print logic: messages in, bytes
out; PDVs in, messages out. Imports :mod:`dul` and pydicom only, and pydicom only when a
data set is encoded or decoded (a C-ECHO never loads it).

Messages (:mod:`dimse.messages`), one frozen dataclass per type, mandatory fields
positional, optional ones keyword-only and ``None`` when absent::

    CEchoRQ(message_id, affected_sop_class_uid=VERIFICATION)
    CEchoRSP(message_id_being_responded_to, status, *, affected_sop_class_uid,
             offending_element, error_comment, error_id)
    CCancelRQ(message_id_being_responded_to)
    NEventReportRQ(message_id, affected_sop_class_uid, affected_sop_instance_uid,
                   event_type_id, *, dataset)
    NGetRQ(message_id, requested_sop_class_uid, requested_sop_instance_uid, *,
           attribute_identifier_list)
    NSetRQ(message_id, requested_sop_class_uid, requested_sop_instance_uid, dataset)
    NActionRQ(message_id, requested_sop_class_uid, requested_sop_instance_uid,
              action_type_id, *, dataset)
    NCreateRQ(message_id, affected_sop_class_uid, *, affected_sop_instance_uid, dataset)
    NDeleteRQ(message_id, requested_sop_class_uid, requested_sop_instance_uid)
    N*RSP(message_id_being_responded_to, status, *, affected_sop_class_uid,
          affected_sop_instance_uid, offending_element, error_comment, error_id,
          [attribute_identifier_list: GET/SET/CREATE], [event_type_id: EVENT-REPORT],
          [action_type_id: ACTION], [dataset: all but DELETE])

Each request class knows its response class (``NSetRQ.RESPONSE is NSetRSP``) and builds
it: ``request.respond(status, **fields)`` copies the Message ID, the SOP class and
instance UIDs (only when they are valid UIDs) and the action or event type;
``request.invalid()`` is the PS3.7 failure status (0122, 0117) and reason for a request
whose UIDs are not UIDs.

A ``dataset`` is a pydicom ``Dataset`` or its encoding (a buffer or a list of buffers);
``message.decode_dataset(transfer_syntax_uid)`` gives a ``Dataset`` either way.

Sending::

    command_bytes, pieces = encode_message(msg, transfer_syntax_uid)
    association.send_message(context_id, command_bytes, pieces)

``encode_command(msg) -> bytes`` is the command set alone (group 0000, implicit VR LE).
Buffers given as the data set come back in ``pieces`` as the same objects, uncopied.

Receiving::

    assembler = MessageAssembler(max_message_bytes=...)
    for pdv in pdvs:                       # dul.pdu_values.PresentationDataValue
        received = assembler.feed(pdv)     # ReceivedMessage(context_id, message) or None

Statuses: ``status_category(code) -> StatusCategory``, ``status_meaning(code) -> str``,
``describe_status(code) -> "0x0106 Failure: invalid attribute value"``; ``StatusCode``
names the codes. UIDs are in :mod:`dimse.uids`. ``MessageIDAllocator().allocate()`` hands
out Message IDs 1..65535, wrapping.

Errors: anything a peer gets wrong (malformed or truncated command set, fragments out
of order, a data set pydicom cannot read, a message over the size limit) raises
:class:`DIMSEProtocolError` and nothing else; the caller aborts the association. Our own
mistakes when building a message raise ``ValueError``.
"""

from typing import TYPE_CHECKING, Any

from dimse.assembler import MessageAssembler, ReceivedMessage
from dimse.command import decode_command, encode_command
from dimse.errors import DIMSEProtocolError
from dimse.message_ids import MessageIDAllocator
from dimse.messages import (
    MESSAGE_TYPES,
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    DatasetLike,
    Message,
    NActionRQ,
    NActionRSP,
    NCreateRQ,
    NCreateRSP,
    NDeleteRQ,
    NDeleteRSP,
    NEventReportRQ,
    NEventReportRSP,
    NGetRQ,
    NGetRSP,
    NSetRQ,
    NSetRSP,
    Request,
    Response,
)
from dimse.outgoing import encode_message
from dimse.status import (
    StatusCategory,
    StatusCode,
    describe_status,
    status_category,
    status_meaning,
)

if TYPE_CHECKING:
    from dimse.dataset import decode_dataset, encode_dataset


def __getattr__(name: str) -> Any:
    """The data set codec is pydicom: loaded on first use, so that a C-ECHO (``hcs echo``)
    starts without it (the import budget test in tests/hcs/test_startup.py)."""
    if name in ("decode_dataset", "encode_dataset"):
        from dimse import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'dimse' has no attribute {name!r}")


__all__ = [
    "MESSAGE_TYPES",
    "CCancelRQ",
    "CEchoRQ",
    "CEchoRSP",
    "DIMSEProtocolError",
    "DatasetLike",
    "Message",
    "MessageAssembler",
    "MessageIDAllocator",
    "NActionRQ",
    "NActionRSP",
    "NCreateRQ",
    "NCreateRSP",
    "NDeleteRQ",
    "NDeleteRSP",
    "NEventReportRQ",
    "NEventReportRSP",
    "NGetRQ",
    "NGetRSP",
    "NSetRQ",
    "NSetRSP",
    "ReceivedMessage",
    "Request",
    "Response",
    "StatusCategory",
    "StatusCode",
    "decode_command",
    "decode_dataset",
    "describe_status",
    "encode_command",
    "encode_dataset",
    "encode_message",
    "status_category",
    "status_meaning",
]
