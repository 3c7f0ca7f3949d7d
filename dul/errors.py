"""The two error types of the Upper Layer.

A peer's malformed bytes raise :class:`PDUError`, which carries the A-ABORT reason
(PS3.8 Table 9-26) that the association object sends back; nothing else escapes the
decoder. A local caller who asks for something the state machine forbids (sending
P-DATA before the association exists, say) gets :class:`LocalProtocolError`: that is
a bug in the caller, not a peer to abort.
"""

from dul.codes import AbortReason


class PDUError(Exception):
    """Bytes from the peer that cannot be a valid PDU.

    ``reason`` is the A-ABORT reason to send (service-provider source), chosen as
    PS3.8 Table 9-26 defines it: an unknown PDU type is ``UNRECOGNIZED_PDU``, a
    length or value that cannot be right is ``INVALID_PDU_PARAMETER``.
    """

    def __init__(self, message: str, reason: AbortReason = AbortReason.INVALID_PDU_PARAMETER):
        super().__init__(message)
        self.reason = reason


class LocalProtocolError(Exception):
    """A local primitive that is not allowed in the association's current state."""
