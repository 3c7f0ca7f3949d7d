"""The items of A-ASSOCIATE-RQ and -AC (PS3.8 §9.3.2-9.3.3, Annex D; PS3.7 Annex D).

Each item is a frozen dataclass with ``encode() -> bytes``; the ``decode_*``
functions read the item bodies (the bytes after the 4-byte item header). Sub-items
of User Information that we do not know are skipped, as PS3.8 D.2 Note 2 requires.

Item types (PS3.8 §9.3.2, PS3.7 D.3.3):

====  ===========================================
10H   Application Context
20H   Presentation Context (in A-ASSOCIATE-RQ)
21H   Presentation Context (in A-ASSOCIATE-AC)
30H   Abstract Syntax (sub-item of 20H)
40H   Transfer Syntax (sub-item of 20H and 21H)
50H   User Information
51H   Maximum Length (PS3.8 D.1)
52H   Implementation Class UID (PS3.7 D.3.3.2)
53H   Asynchronous Operations Window (PS3.7 D.3.3.3)
54H   SCP/SCU Role Selection (PS3.7 D.3.3.4)
55H   Implementation Version Name (PS3.7 D.3.3.2)
56H   SOP Class Extended Negotiation (PS3.7 D.3.3.5)
57H   SOP Class Common Extended Negotiation (PS3.7 D.3.3.6)
58H   User Identity (RQ) (PS3.7 D.3.3.7)
59H   User Identity (AC) (PS3.7 D.3.3.7)
====  ===========================================
"""

from dataclasses import dataclass, field

from dul.codes import AbortReason, ContextResult
from dul.errors import PDUError
from dul.wire import Reader, ascii_field, item, pack_u8, pack_u16, u16_prefixed

APPLICATION_CONTEXT = 0x10
PRESENTATION_CONTEXT_RQ = 0x20
PRESENTATION_CONTEXT_AC = 0x21
ABSTRACT_SYNTAX = 0x30
TRANSFER_SYNTAX = 0x40
USER_INFORMATION = 0x50
MAXIMUM_LENGTH = 0x51
IMPLEMENTATION_CLASS_UID = 0x52
ASYNC_OPERATIONS_WINDOW = 0x53
ROLE_SELECTION = 0x54
IMPLEMENTATION_VERSION_NAME = 0x55
SOP_CLASS_EXTENDED = 0x56
SOP_CLASS_COMMON_EXTENDED = 0x57
USER_IDENTITY_RQ = 0x58
USER_IDENTITY_AC = 0x59

DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"


def _uid_bytes(uid: str, what: str) -> bytes:
    """A UID as the Upper Layer carries it: ASCII, not padded (PS3.8 Annex F)."""
    try:
        raw = uid.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"{what} {uid!r} is not ASCII") from None
    if not raw or len(raw) > 64:
        raise ValueError(f"{what} {uid!r} must be 1 to 64 characters")
    return raw


def _iter_items(reader: Reader, what: str):
    """Yield (type, first reserved byte, body) for each item left in ``reader``."""
    while reader.remaining:
        if reader.remaining < 4:
            raise PDUError(f"{what}: {reader.remaining} stray bytes after the last item")
        item_type = reader.u8()
        reserved = reader.u8()
        length = reader.u16()
        yield item_type, reserved, reader.take(length)


@dataclass(frozen=True, slots=True)
class PresentationContextRQ:
    """A proposed presentation context: an abstract syntax and transfer syntaxes in order of
    preference (PS3.8 §9.3.2.2)."""

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]

    def encode(self) -> bytes:
        if not (1 <= self.context_id <= 255 and self.context_id % 2 == 1):
            raise ValueError(f"presentation context ID {self.context_id} must be odd, 1 to 255")
        if not self.transfer_syntaxes:
            raise ValueError(f"presentation context {self.context_id} has no transfer syntax")
        body = bytearray(pack_u8(self.context_id) + b"\x00\x00\x00")
        body += item(ABSTRACT_SYNTAX, _uid_bytes(self.abstract_syntax, "abstract syntax"))
        for ts in self.transfer_syntaxes:
            body += item(TRANSFER_SYNTAX, _uid_bytes(ts, "transfer syntax"))
        return item(PRESENTATION_CONTEXT_RQ, bytes(body))


@dataclass(frozen=True, slots=True)
class PresentationContextAC:
    """The acceptor's answer for one context: a result and, if accepted, the transfer
    syntax chosen (PS3.8 §9.3.3.2)."""

    context_id: int
    result: int
    transfer_syntax: str

    def encode(self) -> bytes:
        body = pack_u8(self.context_id) + b"\x00" + pack_u8(self.result) + b"\x00"
        # When the context is rejected the transfer syntax sub-item "shall not be tested";
        # we still send one, holding whatever the caller gave (may be empty).
        body += item(TRANSFER_SYNTAX, self.transfer_syntax.encode("ascii"))
        return item(PRESENTATION_CONTEXT_AC, body)

    @property
    def accepted(self) -> bool:
        return self.result == ContextResult.ACCEPTANCE


@dataclass(frozen=True, slots=True)
class RoleSelection:
    """SCP/SCU Role Selection (54H): which roles a side proposes or accepts for a SOP class."""

    sop_class_uid: str
    scu_role: bool
    scp_role: bool

    def encode(self) -> bytes:
        body = u16_prefixed(_uid_bytes(self.sop_class_uid, "role selection SOP class"))
        roles = pack_u8(int(self.scu_role)) + pack_u8(int(self.scp_role))
        return item(ROLE_SELECTION, body + roles)


@dataclass(frozen=True, slots=True)
class SOPClassExtendedNegotiation:
    """SOP Class Extended Negotiation (56H): application information opaque to the UL."""

    sop_class_uid: str
    service_class_application_information: bytes

    def encode(self) -> bytes:
        body = u16_prefixed(_uid_bytes(self.sop_class_uid, "extended negotiation SOP class"))
        return item(SOP_CLASS_EXTENDED, body + self.service_class_application_information)


@dataclass(frozen=True, slots=True)
class SOPClassCommonExtendedNegotiation:
    """SOP Class Common Extended Negotiation (57H, sub-item version 0)."""

    sop_class_uid: str
    service_class_uid: str
    related_general_sop_classes: tuple[str, ...] = ()

    def encode(self) -> bytes:
        related = b"".join(
            u16_prefixed(_uid_bytes(uid, "related general SOP class"))
            for uid in self.related_general_sop_classes
        )
        body = (
            u16_prefixed(_uid_bytes(self.sop_class_uid, "common extended SOP class"))
            + u16_prefixed(_uid_bytes(self.service_class_uid, "service class"))
            + u16_prefixed(related)
        )
        return item(SOP_CLASS_COMMON_EXTENDED, body, first_reserved=0)


@dataclass(frozen=True, slots=True)
class UserIdentityRQ:
    """User Identity negotiation, request (58H). Types: 1 username, 2 username and
    passcode, 3 Kerberos, 4 SAML, 5 JWT."""

    identity_type: int
    positive_response_requested: bool
    primary_field: bytes
    secondary_field: bytes = b""

    def encode(self) -> bytes:
        body = (
            pack_u8(self.identity_type)
            + pack_u8(int(self.positive_response_requested))
            + u16_prefixed(self.primary_field)
            + u16_prefixed(self.secondary_field)
        )
        return item(USER_IDENTITY_RQ, body)


@dataclass(frozen=True, slots=True)
class UserIdentityAC:
    """User Identity negotiation, response (59H)."""

    server_response: bytes

    def encode(self) -> bytes:
        return item(USER_IDENTITY_AC, u16_prefixed(self.server_response))


@dataclass(frozen=True, slots=True)
class UserInformation:
    """The User Information item (50H) and its sub-items, one field per kind.

    ``max_length`` 0 means "no maximum" (PS3.8 D.1). ``None`` fields are not sent.
    """

    max_length: int | None = None
    implementation_class_uid: str | None = None
    implementation_version_name: str | None = None
    async_operations_window: tuple[int, int] | None = None
    role_selections: tuple[RoleSelection, ...] = ()
    extended_negotiations: tuple[SOPClassExtendedNegotiation, ...] = ()
    common_extended_negotiations: tuple[SOPClassCommonExtendedNegotiation, ...] = ()
    user_identity_rq: UserIdentityRQ | None = None
    user_identity_ac: UserIdentityAC | None = None
    unknown_sub_items: tuple[int, ...] = field(default=(), compare=False)

    def encode(self) -> bytes:
        body = bytearray()
        if self.max_length is not None:
            body += item(MAXIMUM_LENGTH, self.max_length.to_bytes(4, "big"))
        if self.implementation_class_uid is not None:
            body += item(
                IMPLEMENTATION_CLASS_UID,
                _uid_bytes(self.implementation_class_uid, "implementation class UID"),
            )
        if self.async_operations_window is not None:
            invoked, performed = self.async_operations_window
            body += item(ASYNC_OPERATIONS_WINDOW, pack_u16(invoked) + pack_u16(performed))
        for role in self.role_selections:
            body += role.encode()
        if self.implementation_version_name is not None:
            name = self.implementation_version_name.encode("ascii")
            if not 1 <= len(name) <= 16:
                raise ValueError("implementation version name must be 1 to 16 characters")
            body += item(IMPLEMENTATION_VERSION_NAME, name)
        for ext in self.extended_negotiations:
            body += ext.encode()
        for common in self.common_extended_negotiations:
            body += common.encode()
        if self.user_identity_rq is not None:
            body += self.user_identity_rq.encode()
        if self.user_identity_ac is not None:
            body += self.user_identity_ac.encode()
        return item(USER_INFORMATION, bytes(body))


def decode_presentation_context_rq(body: memoryview) -> PresentationContextRQ:
    reader = Reader(body, "presentation context (RQ) item")
    context_id = reader.u8()
    reader.skip(3)
    abstract = None
    transfer: list[str] = []
    for sub_type, _, sub in _iter_items(reader, "presentation context (RQ) item"):
        if sub_type == ABSTRACT_SYNTAX:
            if abstract is not None:
                raise PDUError(
                    f"presentation context {context_id} has two abstract syntaxes",
                    AbortReason.UNEXPECTED_PDU_PARAMETER,
                )
            abstract = ascii_field(sub, "abstract syntax")
        elif sub_type == TRANSFER_SYNTAX:
            transfer.append(ascii_field(sub, "transfer syntax"))
        else:
            raise PDUError(
                f"presentation context {context_id} holds an item of type 0x{sub_type:02X}",
                AbortReason.UNRECOGNIZED_PDU_PARAMETER,
            )
    if abstract is None:
        raise PDUError(f"presentation context {context_id} has no abstract syntax")
    if not transfer:
        raise PDUError(f"presentation context {context_id} has no transfer syntax")
    return PresentationContextRQ(context_id, abstract, tuple(transfer))


def decode_presentation_context_ac(body: memoryview) -> PresentationContextAC:
    reader = Reader(body, "presentation context (AC) item")
    context_id = reader.u8()
    reader.skip(1)
    result = reader.u8()
    reader.skip(1)
    transfer = ""
    for sub_type, _, sub in _iter_items(reader, "presentation context (AC) item"):
        if sub_type != TRANSFER_SYNTAX:
            raise PDUError(
                f"presentation context {context_id} (AC) holds an item of type 0x{sub_type:02X}",
                AbortReason.UNRECOGNIZED_PDU_PARAMETER,
            )
        if result == ContextResult.ACCEPTANCE:
            transfer = ascii_field(sub, "transfer syntax")
        else:  # "shall not be significant and its value shall not be tested" (Table 9-18)
            transfer = bytes(sub).decode("ascii", "replace").rstrip("\x00 ")
    if result > 4:
        raise PDUError(f"presentation context {context_id} has result {result}, not 0 to 4")
    return PresentationContextAC(context_id, result, transfer)


def _uid_then_rest(body: memoryview, what: str) -> tuple[str, Reader]:
    reader = Reader(body, what)
    uid = ascii_field(reader.take(reader.u16()), what)
    return uid, reader


def decode_user_information(body: memoryview) -> UserInformation:
    """Read the sub-items of a User Information item; unknown ones are skipped."""
    fields: dict = {}
    roles, exts, commons, unknown = [], [], [], []
    reader = Reader(body, "user information item")
    for sub_type, _, sub in _iter_items(reader, "user information item"):
        if sub_type == MAXIMUM_LENGTH:
            fields["max_length"] = Reader(sub, "maximum length sub-item").u32()
        elif sub_type == IMPLEMENTATION_CLASS_UID:
            fields["implementation_class_uid"] = ascii_field(sub, "implementation class UID")
        elif sub_type == IMPLEMENTATION_VERSION_NAME:
            fields["implementation_version_name"] = ascii_field(sub, "implementation version name")
        elif sub_type == ASYNC_OPERATIONS_WINDOW:
            r = Reader(sub, "asynchronous operations window sub-item")
            fields["async_operations_window"] = (r.u16(), r.u16())
        elif sub_type == ROLE_SELECTION:
            uid, r = _uid_then_rest(sub, "role selection sub-item")
            roles.append(RoleSelection(uid, bool(r.u8()), bool(r.u8())))
        elif sub_type == SOP_CLASS_EXTENDED:
            uid, r = _uid_then_rest(sub, "SOP class extended negotiation sub-item")
            exts.append(SOPClassExtendedNegotiation(uid, bytes(r.rest())))
        elif sub_type == SOP_CLASS_COMMON_EXTENDED:
            uid, r = _uid_then_rest(sub, "SOP class common extended negotiation sub-item")
            service = ascii_field(r.take(r.u16()), "service class UID")
            related_reader = Reader(r.take(r.u16()), "related general SOP classes")
            related = []
            while related_reader.remaining:
                related.append(
                    ascii_field(related_reader.take(related_reader.u16()), "related SOP class")
                )
            commons.append(SOPClassCommonExtendedNegotiation(uid, service, tuple(related)))
        elif sub_type == USER_IDENTITY_RQ:
            r = Reader(sub, "user identity (RQ) sub-item")
            identity_type = r.u8()
            positive = bool(r.u8())
            primary = bytes(r.take(r.u16()))
            secondary = bytes(r.take(r.u16())) if r.remaining else b""
            fields["user_identity_rq"] = UserIdentityRQ(identity_type, positive, primary, secondary)
        elif sub_type == USER_IDENTITY_AC:
            r = Reader(sub, "user identity (AC) sub-item")
            fields["user_identity_ac"] = UserIdentityAC(bytes(r.take(r.u16())))
        else:
            unknown.append(sub_type)  # PS3.8 D.2 Note 2: ignore unrecognized sub-items
    return UserInformation(
        role_selections=tuple(roles),
        extended_negotiations=tuple(exts),
        common_extended_negotiations=tuple(commons),
        unknown_sub_items=tuple(unknown),
        **fields,
    )
