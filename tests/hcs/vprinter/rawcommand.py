"""Command sets built by hand, for tests that must send what our encoder refuses.

:mod:`dimse.elements` will not encode a UID that is not a UID (that is the point), so a
test that plays a broken peer writes the group 0000 elements itself: implicit VR little
endian, ascending tags, Command Group Length first (PS3.7 §6.3.1).
"""

from __future__ import annotations

import struct

US, UI = "US", "UI"


def command_set(elements: dict[int, tuple[str, int | str]]) -> bytes:
    """``{element number: (VR, value)}`` -> the command set's bytes, any UI value allowed."""
    body = b""
    for element in sorted(elements):
        vr, value = elements[element]
        if vr == US:
            raw = struct.pack("<H", value)
        else:
            raw = value.encode("latin-1")
            if len(raw) % 2:
                raw += b"\x00"
        body += struct.pack("<HHI", 0, element, len(raw)) + raw
    return struct.pack("<HHII", 0, 0, 4, len(body)) + body


NO_DATASET = 0x0101


def c_echo_rq(message_id: int, sop_class: str) -> bytes:
    return command_set(
        {
            0x0002: (UI, sop_class),
            0x0100: (US, 0x0030),
            0x0110: (US, message_id),
            0x0800: (US, NO_DATASET),
        }
    )


def n_create_rq(message_id: int, sop_class: str, instance: str) -> bytes:
    return command_set(
        {
            0x0002: (UI, sop_class),
            0x0100: (US, 0x0140),
            0x0110: (US, message_id),
            0x0800: (US, NO_DATASET),
            0x1000: (UI, instance),
        }
    )


def n_get_rq(message_id: int, sop_class: str, instance: str) -> bytes:
    return command_set(
        {
            0x0003: (UI, sop_class),
            0x0100: (US, 0x0110),
            0x0110: (US, message_id),
            0x0800: (US, NO_DATASET),
            0x1001: (UI, instance),
        }
    )


def n_delete_rq(message_id: int, sop_class: str, instance: str) -> bytes:
    return command_set(
        {
            0x0003: (UI, sop_class),
            0x0100: (US, 0x0150),
            0x0110: (US, message_id),
            0x0800: (US, NO_DATASET),
            0x1001: (UI, instance),
        }
    )
