"""Message IDs for requests (PS3.7 §9.1.1.1.1, §10.1.1.1.1).

A Message ID is a US, and no two outstanding operations on an association may share
one. Counting 1, 2, ..., 65535, 1, ... gives that as long as fewer than 65535 operations
are outstanding, which for a print SCU (one at a time) is always. 0 is skipped because
some implementations treat it as "no message".
"""

_LAST_ID = 0xFFFF


class MessageIDAllocator:
    """Hands out Message IDs 1..65535 in turn, wrapping back to 1. One per association."""

    __slots__ = ("_next",)

    def __init__(self, first: int = 1) -> None:
        if not 1 <= first <= _LAST_ID:
            raise ValueError(f"the first Message ID must be 1..65535, not {first}")
        self._next = first

    def allocate(self) -> int:
        """The next Message ID."""
        message_id = self._next
        self._next = message_id + 1 if message_id < _LAST_ID else 1
        return message_id
