"""Messages <-> command set bytes: which elements each message type carries.

The layout of each message type is read off its dataclass fields once, at import: a
field name maps to its tag through :data:`FIELD_TAGS`; positional fields are mandatory,
keyword-only ones optional. Encoding checks mandatory fields and values (``ValueError``,
our mistake); decoding checks that the peer sent what PS3.7 requires
(:class:`DIMSEProtocolError`).

Elements a message type does not define (an Error Comment on an N-GET-RQ, say) are
ignored on decoding: the standard does not allow them, but they harm nobody.
"""

import dataclasses

from dimse import elements as el
from dimse.errors import DIMSEProtocolError
from dimse.messages import MESSAGE_TYPES, Message

NO_DATA_SET = 0x0101
"""Command Data Set Type (0000,0800) meaning "no data set follows" (PS3.7 Annex E)."""
DATA_SET_PRESENT = 0x0001
"""What we send when a data set follows; PS3.7 allows any value other than 0101H."""

FIELD_TAGS = {
    "affected_sop_class_uid": el.AFFECTED_SOP_CLASS_UID,
    "requested_sop_class_uid": el.REQUESTED_SOP_CLASS_UID,
    "message_id": el.MESSAGE_ID,
    "message_id_being_responded_to": el.MESSAGE_ID_BEING_RESPONDED_TO,
    "status": el.STATUS,
    "offending_element": el.OFFENDING_ELEMENT,
    "error_comment": el.ERROR_COMMENT,
    "error_id": el.ERROR_ID,
    "affected_sop_instance_uid": el.AFFECTED_SOP_INSTANCE_UID,
    "requested_sop_instance_uid": el.REQUESTED_SOP_INSTANCE_UID,
    "event_type_id": el.EVENT_TYPE_ID,
    "attribute_identifier_list": el.ATTRIBUTE_IDENTIFIER_LIST,
    "action_type_id": el.ACTION_TYPE_ID,
}
"""Message field name -> element number in group 0000."""


def _layout(message_type: type[Message]) -> tuple[tuple[str, int, bool], ...]:
    """(field name, element number, mandatory) for each command field of a message type."""
    return tuple(
        (field.name, FIELD_TAGS[field.name], not field.kw_only)
        for field in dataclasses.fields(message_type)
        if field.name != "dataset"
    )


_LAYOUTS = {message_type: _layout(message_type) for message_type in MESSAGE_TYPES}
_TYPES_BY_COMMAND_FIELD = {
    message_type.COMMAND_FIELD: message_type for message_type in MESSAGE_TYPES
}


def encode_command(message: Message) -> bytes:
    """The command set of ``message``, ready to be sent as command PDVs.

    Raises ``ValueError`` if a mandatory field or a mandatory data set is missing or a
    value does not fit its VR.
    """
    layout = _LAYOUTS.get(type(message))
    if layout is None:
        raise ValueError(f"not a DIMSE message this package encodes: {message!r}")
    values: dict[int, el.CommandValue] = {}
    for name, tag, mandatory in layout:
        value = getattr(message, name)
        if value is not None:
            values[tag] = value
        elif mandatory:
            raise ValueError(f"{message.NAME} needs {el.element_label(tag)}")
    has_dataset = getattr(message, "dataset", None) is not None
    if message.DATASET == "required" and not has_dataset:
        raise ValueError(f"{message.NAME} needs a data set")
    values[el.COMMAND_FIELD] = message.COMMAND_FIELD
    values[el.COMMAND_DATA_SET_TYPE] = DATA_SET_PRESENT if has_dataset else NO_DATA_SET
    return el.encode_command_set(values)


def decode_command(data: bytes | bytearray | memoryview) -> tuple[Message, bool]:
    """Decode a command set: the message and whether a data set follows it.

    The message's ``dataset`` (if it has the field) is ``None``, even for an N-SET-RQ whose
    data set is mandatory: the data set arrives in later PDVs and the caller attaches it
    with ``dataclasses.replace`` (as :class:`~dimse.assembler.MessageAssembler` does).

    Raises :class:`DIMSEProtocolError` if the bytes are malformed, the command is not one
    of :data:`~dimse.messages.MESSAGE_TYPES`, a mandatory element is missing, or the
    Command Data Set Type contradicts what the message type allows.
    """
    values = el.decode_command_set(data)
    command_field = values.get(el.COMMAND_FIELD)
    if command_field is None:
        raise DIMSEProtocolError("the command set has no (0000,0100) Command Field")
    message_type = _TYPES_BY_COMMAND_FIELD.get(command_field)
    if message_type is None:
        raise DIMSEProtocolError(f"unsupported DIMSE command field 0x{command_field:04X}")
    data_set_type = values.get(el.COMMAND_DATA_SET_TYPE)
    if data_set_type is None:
        raise DIMSEProtocolError(f"the {message_type.NAME} has no Command Data Set Type")
    has_dataset = data_set_type != NO_DATA_SET
    if has_dataset and message_type.DATASET == "none":
        raise DIMSEProtocolError(f"a {message_type.NAME} must not carry a data set")
    if not has_dataset and message_type.DATASET == "required":
        raise DIMSEProtocolError(f"the {message_type.NAME} announces no data set, but needs one")
    fields = {}
    for name, tag, mandatory in _LAYOUTS[message_type]:
        value = values.get(tag)
        if value is None and mandatory:
            raise DIMSEProtocolError(f"the {message_type.NAME} lacks {el.element_label(tag)}")
        fields[name] = value
    if message_type.DATASET == "required":
        fields["dataset"] = None  # attached by the caller once the data set has arrived
    return message_type(**fields), has_dataset
