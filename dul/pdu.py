"""The seven PDUs of PS3.8 §9.3, their encoders, and a decoder that trusts no length.

Every PDU starts with a 6-byte header: type (1 byte), reserved (1), PDU-length (4,
big-endian, counting the bytes after the header). :class:`PDUStream` cuts a byte
stream into PDUs and :func:`decode_pdu` reads one; both raise only
:class:`~dul.errors.PDUError`, carrying the A-ABORT reason to send.

P-DATA-TF is built for sending by :func:`frame_message`, which returns headers and
memoryview slices of the caller's buffers for gather I/O, never copying the data.
"""

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from dul.codes import AbortReason
from dul.errors import PDUError
from dul.items import (
    APPLICATION_CONTEXT,
    DICOM_APPLICATION_CONTEXT,
    PRESENTATION_CONTEXT_AC,
    PRESENTATION_CONTEXT_RQ,
    USER_INFORMATION,
    PresentationContextAC,
    PresentationContextRQ,
    UserInformation,
    _iter_items,
    decode_presentation_context_ac,
    decode_presentation_context_rq,
    decode_user_information,
)
from dul.pdu_values import PresentationDataValue
from dul.wire import Reader, ascii_field, item, pack_u16, pack_u32

A_ASSOCIATE_RQ = 0x01
A_ASSOCIATE_AC = 0x02
A_ASSOCIATE_RJ = 0x03
P_DATA_TF = 0x04
A_RELEASE_RQ = 0x05
A_RELEASE_RP = 0x06
A_ABORT = 0x07

PDU_NAMES = {
    A_ASSOCIATE_RQ: "A-ASSOCIATE-RQ",
    A_ASSOCIATE_AC: "A-ASSOCIATE-AC",
    A_ASSOCIATE_RJ: "A-ASSOCIATE-RJ",
    P_DATA_TF: "P-DATA-TF",
    A_RELEASE_RQ: "A-RELEASE-RQ",
    A_RELEASE_RP: "A-RELEASE-RP",
    A_ABORT: "A-ABORT",
}

HEADER_LENGTH = 6
_U32 = struct.Struct(">I")
PDV_OVERHEAD = 6  # item length (4) + presentation context ID (1) + message control header (1)

# An association PDU is a few kilobytes even with every context proposed; a claim of
# more is a lie we refuse before buffering it.
MAX_ASSOCIATION_PDU = 1 << 20


def _header(pdu_type: int, length: int) -> bytes:
    return bytes((pdu_type, 0)) + pack_u32(length)


def ae_title_field(title: str) -> bytes:
    """An AE title as the 16-byte, space-padded field of PS3.8 Table 9-11.

    Only spaces are insignificant (PS3.5 AE); any other control character is refused,
    not quietly stripped."""
    try:
        raw = title.strip(" ").encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"AE title {title!r} is not ASCII") from None
    if not raw or len(raw) > 16 or b"\\" in raw or any(c < 0x20 or c == 0x7F for c in raw):
        raise ValueError(f"AE title {title!r} must be 1 to 16 printable characters, no backslash")
    return raw.ljust(16, b" ")


def _echoed_ae_title_field(title: str) -> bytes:
    """An AE title field of the A-ASSOCIATE-AC: reserved, the RQ's value sent back as it
    came (PS3.8 Table 9-17), so a blank or ill-formed title a peer sent is not refused."""
    raw = title.strip().encode("ascii")
    if len(raw) > 16:
        raise ValueError(f"AE title {title!r} is longer than 16 characters")
    return raw.ljust(16, b" ")


def _decode_ae_title(raw: memoryview, what: str, tested: bool) -> str:
    if tested:
        return ascii_field(raw, what).strip()
    # Reserved in the A-ASSOCIATE-AC: "its value shall not be tested" (PS3.8 Table 9-17).
    return bytes(raw).decode("ascii", "replace").rstrip("\x00 ").strip()


@dataclass(frozen=True, slots=True)
class AAssociateRQ:
    called_ae_title: str
    calling_ae_title: str
    presentation_contexts: tuple[PresentationContextRQ, ...]
    user_information: UserInformation
    application_context: str = DICOM_APPLICATION_CONTEXT
    protocol_version: int = 1

    def encode(self) -> bytes:
        return _encode_association(A_ASSOCIATE_RQ, self)


@dataclass(frozen=True, slots=True)
class AAssociateAC:
    called_ae_title: str
    calling_ae_title: str
    presentation_contexts: tuple[PresentationContextAC, ...]
    user_information: UserInformation
    application_context: str = DICOM_APPLICATION_CONTEXT
    protocol_version: int = 1

    def encode(self) -> bytes:
        return _encode_association(A_ASSOCIATE_AC, self)


@dataclass(frozen=True, slots=True)
class AAssociateRJ:
    result: int
    source: int
    reason: int

    def encode(self) -> bytes:
        return _header(A_ASSOCIATE_RJ, 4) + bytes((0, self.result, self.source, self.reason))


@dataclass(frozen=True, slots=True)
class PDataTF:
    values: tuple[PresentationDataValue, ...]

    def encode(self) -> bytes:
        body = bytearray()
        for pdv in self.values:
            control = (1 if pdv.is_command else 0) | (2 if pdv.is_last else 0)
            body += pack_u32(len(pdv.data) + 2) + bytes((pdv.context_id, control)) + pdv.data
        return _header(P_DATA_TF, len(body)) + bytes(body)


@dataclass(frozen=True, slots=True)
class AReleaseRQ:
    def encode(self) -> bytes:
        return _header(A_RELEASE_RQ, 4) + b"\x00\x00\x00\x00"


@dataclass(frozen=True, slots=True)
class AReleaseRP:
    def encode(self) -> bytes:
        return _header(A_RELEASE_RP, 4) + b"\x00\x00\x00\x00"


@dataclass(frozen=True, slots=True)
class AAbort:
    source: int
    reason: int

    def encode(self) -> bytes:
        return _header(A_ABORT, 4) + bytes((0, 0, self.source, self.reason))


PDU = AAssociateRQ | AAssociateAC | AAssociateRJ | PDataTF | AReleaseRQ | AReleaseRP | AAbort


def _encode_association(pdu_type: int, pdu: AAssociateRQ | AAssociateAC) -> bytes:
    body = bytearray(pack_u16(pdu.protocol_version) + b"\x00\x00")
    title_field = ae_title_field if pdu_type == A_ASSOCIATE_RQ else _echoed_ae_title_field
    body += title_field(pdu.called_ae_title) + title_field(pdu.calling_ae_title)
    body += bytes(32)
    body += item(APPLICATION_CONTEXT, pdu.application_context.encode("ascii"))
    for context in pdu.presentation_contexts:
        body += context.encode()
    body += pdu.user_information.encode()
    return _header(pdu_type, len(body)) + bytes(body)


def _decode_association(pdu_type: int, body: memoryview) -> AAssociateRQ | AAssociateAC:
    name = PDU_NAMES[pdu_type]
    reader = Reader(body, name)
    version = reader.u16()
    reader.skip(2)
    tested = pdu_type == A_ASSOCIATE_RQ
    called = _decode_ae_title(reader.take(16), "called AE title", tested)
    calling = _decode_ae_title(reader.take(16), "calling AE title", tested)
    reader.skip(32)
    app_context = None
    contexts: list = []
    user_info = None
    if pdu_type == A_ASSOCIATE_RQ:
        context_type, decode_context = PRESENTATION_CONTEXT_RQ, decode_presentation_context_rq
    else:
        context_type, decode_context = PRESENTATION_CONTEXT_AC, decode_presentation_context_ac
    for item_type, _, item_body in _iter_items(reader, name):
        if item_type == APPLICATION_CONTEXT:
            app_context = ascii_field(item_body, "application context name")
        elif item_type == context_type:
            contexts.append(decode_context(item_body))
        elif item_type == USER_INFORMATION:
            user_info = decode_user_information(item_body)
        elif item_type in (PRESENTATION_CONTEXT_RQ, PRESENTATION_CONTEXT_AC):
            raise PDUError(
                f"{name} holds a presentation context item of type 0x{item_type:02X}",
                AbortReason.UNEXPECTED_PDU_PARAMETER,
            )
        # Other item types are reserved: PS3.8 §9.3.1 has them ignored.
    if app_context is None:
        raise PDUError(f"{name} has no application context item")
    if pdu_type == A_ASSOCIATE_RQ and not contexts:
        raise PDUError(f"{name} proposes no presentation context")
    ids = [c.context_id for c in contexts]
    if len(set(ids)) != len(ids):
        raise PDUError(f"{name} repeats a presentation context ID")
    cls = AAssociateRQ if pdu_type == A_ASSOCIATE_RQ else AAssociateAC
    return cls(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=tuple(contexts),
        user_information=user_info if user_info is not None else UserInformation(),
        application_context=app_context,
        protocol_version=version,
    )


def _decode_pdata(body: memoryview) -> PDataTF:
    # The fast path, for the thousand PDUs of a large message; anything malformed goes to
    # the checked reader below, which raises the precise error.
    values = []
    end = len(body)
    pos = 0
    while pos < end:
        if end - pos < 4:
            return _decode_pdata_checked(body)
        length = _U32.unpack_from(body, pos)[0]
        if length < 2 or length > end - pos - 4:
            return _decode_pdata_checked(body)
        control = body[pos + 5]
        # Bits 2-7 of the control header "shall not be tested" (PS3.8 E.2).
        is_command, is_last = bool(control & 1), bool(control & 2)
        data = body[pos + 6 : pos + 4 + length]
        values.append(PresentationDataValue(body[pos + 4], is_command, is_last, data))
        pos += 4 + length
    if not values:
        raise PDUError("P-DATA-TF holds no PDV item")
    return PDataTF(tuple(values))


def _decode_pdata_checked(body: memoryview) -> PDataTF:
    reader = Reader(body, "P-DATA-TF")
    values = []
    while reader.remaining:
        length = reader.u32()
        if length < 2:
            raise PDUError(f"PDV item length {length} is too short for its header")
        pdv = reader.take(length)
        context_id, control = pdv[0], pdv[1]
        # Bits 2-7 of the control header "shall not be tested" (PS3.8 E.2).
        is_command, is_last = bool(control & 1), bool(control & 2)
        values.append(PresentationDataValue(context_id, is_command, is_last, pdv[2:]))
    if not values:
        raise PDUError("P-DATA-TF holds no PDV item")
    return PDataTF(tuple(values))


def _decode_fixed(pdu_type: int, body: memoryview) -> PDU:
    if len(body) != 4:
        raise PDUError(f"{PDU_NAMES[pdu_type]} has length {len(body)}, not 4")
    if pdu_type == A_ASSOCIATE_RJ:
        return AAssociateRJ(result=body[1], source=body[2], reason=body[3])
    if pdu_type == A_ABORT:
        return AAbort(source=body[2], reason=body[3])
    return AReleaseRQ() if pdu_type == A_RELEASE_RQ else AReleaseRP()


_NOT_DICOM = (
    ((b"HTTP/",), "the peer is not a DICOM SCP (it looks like an HTTP server)"),
    (
        (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE", b"OPTION", b"PATCH ", b"CONNEC"),
        "the peer is not a DICOM application (it sent an HTTP request)",
    ),
    ((b"\x16\x03",), "the peer started a TLS handshake: it expects TLS"),
    ((b"\x15\x03",), "the peer answered with a TLS alert: it expects TLS"),
    ((b"SSH-",), "the peer is an SSH server, not a DICOM application"),
)


def unknown_pdu_type(header: bytes) -> PDUError:
    """The error for a first byte that is no PDU type, naming what the bytes look like when
    they are another protocol (a port that serves HTTP or TLS is a common mistake)."""
    text = f"unknown PDU type 0x{header[0]:02X}"
    for prefixes, meaning in _NOT_DICOM:
        if header.startswith(prefixes):
            text += f": {meaning}"
            break
    return PDUError(text, AbortReason.UNRECOGNIZED_PDU)


def decode_pdu(data: bytes | memoryview) -> PDU:
    """Decode one whole PDU, header included. Raises only :class:`PDUError`."""
    view = memoryview(data)
    if len(view) < HEADER_LENGTH:
        raise PDUError(f"a PDU needs at least {HEADER_LENGTH} bytes, got {len(view)}")
    pdu_type = view[0]
    length = _U32.unpack_from(view, 2)[0]
    if pdu_type not in PDU_NAMES:
        raise unknown_pdu_type(bytes(view[:HEADER_LENGTH]))
    if length != len(view) - HEADER_LENGTH:
        raise PDUError(
            f"{PDU_NAMES[pdu_type]} says {length} bytes follow its header, "
            f"{len(view) - HEADER_LENGTH} do"
        )
    body = view[HEADER_LENGTH:]
    if pdu_type in (A_ASSOCIATE_RQ, A_ASSOCIATE_AC):
        return _decode_association(pdu_type, body)
    if pdu_type == P_DATA_TF:
        return _decode_pdata(body)
    return _decode_fixed(pdu_type, body)


class PDUStream:
    """Cuts a TCP byte stream into whole PDUs.

    ``max_pdata_length`` is our Maximum Length (PS3.8 D.1): a P-DATA-TF whose variable
    field is longer is refused before its body is buffered; 0 means no maximum. We
    buffer only bytes that arrived, never what a header merely claims.
    """

    def __init__(self, max_pdata_length: int = 0):
        self.max_pdata_length = max_pdata_length
        self.error: PDUError | None = None
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[memoryview]:
        """Add received bytes; return the complete PDUs now available, in order.

        Each PDU is a read-only memoryview (equal to the PDU's bytes): of ``data`` itself
        when the PDU arrived whole in it, so that a 16 MiB message is not copied here
        (``data`` that is not ``bytes`` is copied once first, so nothing returned can
        change under the caller), or of the buffer it was gathered in over several calls.

        A header that cannot be valid raises :class:`PDUError`. If whole PDUs were cut
        before it in the same call, they are returned first and the error is kept in
        :attr:`error` (and raised by every later call), so that a peer's A-ABORT
        followed by garbage in one read is still handled as that A-ABORT.
        """
        if self.error is not None:
            raise self.error
        if type(data) is not bytes:
            data = bytes(data)
        view = memoryview(data)
        end = len(data)
        pos = 0
        pdus: list[memoryview] = []
        try:
            buffer = self._buffer
            if buffer:
                # Finish the PDU begun in an earlier call, taking only its own bytes.
                if len(buffer) < HEADER_LENGTH:
                    pos = min(HEADER_LENGTH - len(buffer), end)
                    buffer += view[:pos]
                    if len(buffer) < HEADER_LENGTH:
                        return pdus
                length = _U32.unpack_from(buffer, 2)[0]
                self._check_header(buffer[0], length, buffer, 0)
                take = min(HEADER_LENGTH + length - len(buffer), end - pos)
                buffer += view[pos : pos + take]
                pos += take
                if len(buffer) < HEADER_LENGTH + length:
                    return pdus
                pdus.append(memoryview(buffer).toreadonly())
                self._buffer = bytearray()
            while end - pos >= HEADER_LENGTH:
                length = _U32.unpack_from(data, pos + 2)[0]
                self._check_header(data[pos], length, data, pos)
                total = HEADER_LENGTH + length
                if end - pos < total:
                    break
                pdus.append(view[pos : pos + total])
                pos += total
        except PDUError as error:
            self.error = error
            self._buffer = bytearray()
            if not pdus:
                raise
            return pdus
        if pos < end:
            self._buffer += view[pos:]
        return pdus

    def _check_header(
        self, pdu_type: int, length: int, source: bytes | bytearray, offset: int
    ) -> None:
        if pdu_type not in PDU_NAMES:
            raise unknown_pdu_type(bytes(memoryview(source)[offset : offset + HEADER_LENGTH]))
        if pdu_type == P_DATA_TF:
            if self.max_pdata_length and length > self.max_pdata_length:
                raise PDUError(
                    f"P-DATA-TF of {length} bytes exceeds our maximum length "
                    f"{self.max_pdata_length}"
                )
        elif pdu_type in (A_ASSOCIATE_RQ, A_ASSOCIATE_AC):
            if length > MAX_ASSOCIATION_PDU:
                raise PDUError(
                    f"{PDU_NAMES[pdu_type]} claims {length} bytes, "
                    f"more than the {MAX_ASSOCIATION_PDU} we accept"
                )
        elif length != 4:
            raise PDUError(f"{PDU_NAMES[pdu_type]} has length {length}, not 4")


Buffer = bytes | bytearray | memoryview

# A P-DATA-TF header with the header of its one PDV item: PDU type, reserved, PDU length,
# item length, presentation context ID, message control header.
_PDATA_HEADER = struct.Struct(">BxIIBB")


def frame_message(
    context_id: int,
    command: Buffer,
    dataset: Sequence[Buffer],
    max_pdu_length: int,
) -> list[Buffer]:
    """Frame one DIMSE message as P-DATA-TF PDUs for gather I/O (PS3.8 §9.3.5, Annex E).

    Each PDU carries one PDV; fragments are at most ``max_pdu_length - 6`` bytes (the
    peer's Maximum Length, 0 = unlimited), kept even. The result alternates small
    header ``bytes`` with memoryview slices of ``command`` and ``dataset``: the data
    itself is never copied, so a 16 MiB image goes to ``socket.sendmsg`` as it is.
    """
    if max_pdu_length:
        fragment = (max_pdu_length - PDV_OVERHEAD) & ~1
        if fragment <= 0:
            raise ValueError(f"maximum PDU length {max_pdu_length} leaves no room for data")
    else:
        fragment = 0xFFFFFFF0
    out: list[Buffer] = []
    _frame_part(out, context_id, 1, [command], fragment)
    if dataset:
        _frame_part(out, context_id, 0, dataset, fragment)
    return out


def _frame_part(
    out: list[Buffer], context_id: int, command_bit: int, pieces: Sequence[Buffer], fragment: int
) -> None:
    views = [memoryview(p).cast("B") if not isinstance(p, bytes) else p for p in pieces]
    total = sum(len(v) for v in views)
    sent = 0
    index, offset = 0, 0
    while True:
        size = min(fragment, total - sent)
        sent += size
        control = command_bit | (2 if sent == total else 0)
        header = _PDATA_HEADER.pack(P_DATA_TF, size + PDV_OVERHEAD, size + 2, context_id, control)
        out.append(header)
        remaining = size
        while remaining:
            piece = views[index]
            take = min(remaining, len(piece) - offset)
            if take == len(piece) and offset == 0:
                out.append(piece)
            else:
                out.append(memoryview(piece)[offset : offset + take])
            offset += take
            remaining -= take
            if offset == len(piece):
                index, offset = index + 1, 0
        if sent == total:
            return
