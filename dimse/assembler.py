"""Reassemble DIMSE messages from the presentation data values the Upper Layer delivers.

A message is its command fragments, the last one flagged, then, if the command says so,
its data set fragments, the last one flagged; all on one presentation context, never
interleaved with another message (PS3.8 Annex E.2, PS3.7 §8.1). The fragment sizes are
whatever the peer's PDUs held, so nothing here depends on them.

Anything else is a protocol error, and after one the assembler refuses all further
input: the caller must abort the association (A-ABORT), not carry on.

Data set fragments are kept as they arrive (the Upper Layer hands out read-only views of
bytes it never changes again, see :class:`dul.pdu.PDUStream`) and joined once when the
last one arrives: one copy of a large data set, none for a data set in a single PDV,
and no decoding until someone asks.
"""

import dataclasses
import enum
from dataclasses import dataclass

from dimse.command import decode_command
from dimse.errors import DIMSEProtocolError
from dimse.messages import Message
from dul.pdu_values import PresentationDataValue


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A complete message and the presentation context it arrived on.

    The context tells the caller the abstract syntax and the transfer syntax to decode
    the data set with (``message.decode_dataset(transfer_syntax_uid)``).
    """

    context_id: int
    message: Message


class _State(enum.Enum):
    IDLE = "waiting for a command"
    COMMAND = "receiving a command"
    DATA_SET = "receiving a data set"
    FAILED = "failed"


class ReceiveBudget:
    """The bytes that all associations of a process together may hold in messages being
    received (``limit`` ``None``: no bound).

    Each :class:`MessageAssembler` given the budget takes from it as fragments arrive
    and gives back with :meth:`MessageAssembler.settle` once the message was handled,
    so one peer sending a huge message slowly cannot starve the others for ever, and
    many peers together cannot take more than ``limit``.
    """

    __slots__ = ("limit", "used")

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.limit is not None and self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give(self, size: int) -> None:
        self.used = max(0, self.used - size)


class MessageAssembler:
    """Feed it PDVs in arrival order; it returns each message as its last PDV arrives.

    ``max_message_bytes`` bounds the command plus data set of one message, so that a peer
    cannot make us buffer without limit; ``None`` means no bound. ``budget`` is shared
    with other associations (see :class:`ReceiveBudget`). One assembler per association;
    not thread-safe (nor needs to be: one reader per association).
    """

    __slots__ = (
        "_budget",
        "_command",
        "_context_id",
        "_data",
        "_error",
        "_held",
        "_max",
        "_message",
        "_size",
        "_state",
    )

    def __init__(
        self, max_message_bytes: int | None = None, budget: ReceiveBudget | None = None
    ) -> None:
        if max_message_bytes is not None and max_message_bytes < 0:
            raise ValueError("max_message_bytes must not be negative")
        self._max = max_message_bytes
        self._budget = budget
        self._held = 0
        self._state = _State.IDLE
        self._context_id = 0
        self._command = bytearray()
        self._data: list = []
        self._message: Message | None = None
        self._size = 0
        self._error: DIMSEProtocolError | None = None

    @property
    def in_progress(self) -> bool:
        """Whether part of a message has arrived and the rest has not."""
        return self._state in (_State.COMMAND, _State.DATA_SET)

    def feed(self, pdv: PresentationDataValue) -> ReceivedMessage | None:
        """Take one PDV; the completed message if this was its last fragment, else ``None``.

        Raises :class:`DIMSEProtocolError` on a fragment out of place, a malformed command
        set or a message over ``max_message_bytes``, and on every call after that.
        """
        if self._state is _State.FAILED:
            raise DIMSEProtocolError(f"already failed: {self._error}")
        try:
            return self._feed(pdv)
        except DIMSEProtocolError as error:
            self._fail(error)
            raise

    def _fail(self, error: DIMSEProtocolError) -> None:
        self._state = _State.FAILED
        self._error = error
        self._command = bytearray()
        self._data = []
        self._message = None

    def _feed(self, pdv: PresentationDataValue) -> ReceivedMessage | None:
        state = self._state
        if state is _State.IDLE:
            if not pdv.is_command:
                raise DIMSEProtocolError(
                    f"a data set fragment on presentation context {pdv.context_id}"
                    " arrived without a command before it"
                )
            self._context_id = pdv.context_id
            self._size = 0
        elif pdv.context_id != self._context_id:
            raise DIMSEProtocolError(
                f"a fragment for presentation context {pdv.context_id} arrived in the middle"
                f" of a message on context {self._context_id}"
            )
        self._count(len(pdv.data))
        if pdv.is_command:
            return self._command_fragment(pdv)
        return self._data_set_fragment(pdv)

    def settle(self) -> None:
        """Give back to the budget what the messages returned so far took (call once they
        were handled, and when the association ends)."""
        if self._budget is not None and self._held:
            self._budget.give(self._held)
        self._held = 0

    def close(self) -> None:
        """The association ended: drop any partial message and settle the budget."""
        self._command = bytearray()
        self._data = []
        self._message = None
        self.settle()

    def _count(self, size: int) -> None:
        self._size += size
        if self._max is not None and self._size > self._max:
            raise DIMSEProtocolError(
                f"a message on presentation context {self._context_id} exceeds the limit"
                f" of {self._max} bytes"
            )
        if self._budget is not None:
            if not self._budget.take(size):
                raise DIMSEProtocolError(
                    f"receiving this message would pass the budget of {self._budget.limit}"
                    " bytes that all associations share"
                )
            self._held += size

    def _command_fragment(self, pdv: PresentationDataValue) -> ReceivedMessage | None:
        if self._state is _State.DATA_SET:
            raise DIMSEProtocolError(
                "a command fragment arrived where the data set announced by the"
                f" {self._message.NAME} was expected"
            )
        if not pdv.is_last:
            self._command += pdv.data
            self._state = _State.COMMAND
            return None
        if self._state is _State.COMMAND:
            self._command += pdv.data
            command = self._command
            self._command = bytearray()
        else:
            command = pdv.data  # the usual case: a whole command in one PDV, no copy
        message, has_dataset = decode_command(command)
        if has_dataset:
            self._message = message
            self._state = _State.DATA_SET
            return None
        self._state = _State.IDLE
        return ReceivedMessage(self._context_id, message)

    def _data_set_fragment(self, pdv: PresentationDataValue) -> ReceivedMessage | None:
        if self._state is not _State.DATA_SET:
            raise DIMSEProtocolError("a data set fragment arrived before the last command fragment")
        self._data.append(pdv.data)
        if not pdv.is_last:
            return None
        parts, self._data = self._data, []
        dataset = parts[0] if len(parts) == 1 else b"".join(parts)
        message = dataclasses.replace(self._message, dataset=dataset)
        self._message = None
        self._state = _State.IDLE
        return ReceivedMessage(self._context_id, message)
