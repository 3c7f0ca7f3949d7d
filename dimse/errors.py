"""The one exception the package raises for anything a peer can get wrong.

Malformed input from the network is not a bug in our program, so it must never show up
as ``IndexError`` or ``struct.error``: every decoder in :mod:`dimse` turns it into
:class:`DIMSEProtocolError`. The caller answers it with an A-ABORT (PS3.8 §9.1.8 leaves
the reason to the service user; the Upper Layer owns the abort itself).

Programming errors on the sending side (a Message ID above 65535, a UID with letters in
it, an N-SET-RQ without its modification list) are ``ValueError``: those are ours to fix,
not the peer's.
"""


class DIMSEProtocolError(Exception):
    """A peer sent something that is not a valid DIMSE message (PS3.7).

    ``str(error)`` is a sentence for a person: what was wrong and where.
    """
