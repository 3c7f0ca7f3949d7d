"""Bounded reading and writing of the Upper Layer's big-endian fields.

Every decoder reads through :class:`Reader`, which checks each length against the
bytes actually present before it slices, so a lying length raises :class:`PDUError`
instead of ``IndexError`` or a huge allocation.
"""

import struct

from dul.codes import AbortReason
from dul.errors import PDUError

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


class Reader:
    """A cursor over a memoryview that never reads past its end."""

    __slots__ = ("_end", "_pos", "_view", "_what")

    def __init__(self, data: bytes | memoryview, what: str):
        self._view = memoryview(data)
        self._pos = 0
        self._end = len(self._view)
        self._what = what

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def _need(self, n: int) -> None:
        if n > self._end - self._pos:
            raise PDUError(
                f"{self._what} is truncated: {n} bytes needed at offset {self._pos}, "
                f"{self._end - self._pos} present",
                AbortReason.INVALID_PDU_PARAMETER,
            )

    def u8(self) -> int:
        self._need(1)
        value = self._view[self._pos]
        self._pos += 1
        return value

    def u16(self) -> int:
        self._need(2)
        (value,) = _U16.unpack_from(self._view, self._pos)
        self._pos += 2
        return value

    def u32(self) -> int:
        self._need(4)
        (value,) = _U32.unpack_from(self._view, self._pos)
        self._pos += 4
        return value

    def take(self, n: int) -> memoryview:
        self._need(n)
        view = self._view[self._pos : self._pos + n]
        self._pos += n
        return view

    def skip(self, n: int) -> None:
        self._need(n)
        self._pos += n

    def rest(self) -> memoryview:
        return self.take(self.remaining)


def ascii_field(raw: memoryview | bytes, what: str) -> str:
    """Decode a UID or name field: ASCII, trailing NUL and space padding removed."""
    try:
        text = bytes(raw).decode("ascii")
    except UnicodeDecodeError:
        raise PDUError(f"{what} is not ASCII", AbortReason.INVALID_PDU_PARAMETER) from None
    return text.rstrip("\x00 ")


def item(item_type: int, body: bytes, first_reserved: int = 0) -> bytes:
    """An item: type, reserved (or a version byte), 2-byte length, body (PS3.8 §9.3.2)."""
    if len(body) > 0xFFFF:
        raise ValueError(f"item 0x{item_type:02X} is {len(body)} bytes, more than 65535")
    return bytes((item_type, first_reserved)) + _U16.pack(len(body)) + body


def u16_prefixed(data: bytes) -> bytes:
    """A field preceded by its 2-byte length, as sub-items 54H-59H use."""
    if len(data) > 0xFFFF:
        raise ValueError(f"a field of {len(data)} bytes does not fit a 2-byte length")
    return _U16.pack(len(data)) + data


pack_u8 = _U8.pack
pack_u16 = _U16.pack
pack_u32 = _U32.pack
