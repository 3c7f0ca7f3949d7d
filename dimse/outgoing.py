"""A message as the Upper Layer sends it: command bytes plus data set pieces.

The association's ``send_message(context_id, command_bytes, dataset_pieces)`` splits
these into PDVs for the peer's maximum PDU length and writes them with ``writelines``,
so the pieces travel to the socket as they are. That is why pre-encoded buffers (the
Image Box encoder's header bytes and pixel memoryview) are returned as the very same
objects: copying a film's pixels here would undo the kernels' work.
"""

from dimse.command import encode_command
from dimse.messages import Buffer, Message


def dataset_pieces(message: Message, transfer_syntax_uid: str) -> list[Buffer]:
    """The encoded data set of ``message`` as a list of buffers (empty if it has none).

    A ``Dataset`` is encoded in ``transfer_syntax_uid``; buffers are passed through
    uncopied, in a new list. A data set that is present but empty (``Dataset()``, ``b""``,
    ``[]``) is ``[b""]``: the command announces a data set, so the Upper Layer must still
    send one (empty, last) data PDV, and an empty list would tell it there is none.
    """
    dataset = getattr(message, "dataset", None)
    if dataset is None:
        return []
    from pydicom.dataset import Dataset  # here, so that a C-ECHO never loads pydicom

    from dimse.dataset import encode_dataset, is_implicit_vr

    if isinstance(dataset, Dataset):
        return [encode_dataset(dataset, transfer_syntax_uid)]
    is_implicit_vr(transfer_syntax_uid)  # refuse unsupported syntaxes for buffers too
    if isinstance(dataset, bytes | bytearray | memoryview):
        return [dataset]
    pieces = list(dataset) or [b""]
    for piece in pieces:
        if not isinstance(piece, bytes | bytearray | memoryview):
            raise ValueError(f"a data set piece must be a buffer, not {type(piece).__name__}")
    return pieces


def encode_message(message: Message, transfer_syntax_uid: str) -> tuple[bytes, list[Buffer]]:
    """``(command bytes, data set pieces)`` for the Upper Layer to send on one context.

    Raises ``ValueError`` for an invalid message, an unsupported transfer syntax or a
    data set pydicom cannot encode.
    """
    return encode_command(message), dataset_pieces(message, transfer_syntax_uid)
