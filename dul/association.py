"""One association, either role, without I/O: bytes in, events out; primitives in, bytes out.

Every input is one event of PS3.8 Table 9-10 (see :mod:`dul.fsm`): a local primitive
(a method such as :meth:`Association.request` or :meth:`Association.release`), a
transport indication (:meth:`transport_connected`, :meth:`transport_closed`), the
ARTIM timer (:meth:`artim_expired`), or a PDU decoded from :meth:`receive_data`. The
object looks the (event, state) cell up in the table and runs the action named there.

Outputs are collected, not performed: bytes to write (:meth:`data_to_send`, a list of
``bytes`` and memoryviews for gather I/O), indications returned as
:mod:`dul.events` values, and two flags for whoever owns the socket:
``close_requested`` (close the transport) and ``artim_running`` with
``artim_generation`` (start, restart or stop the ARTIM timer). :mod:`dul.net` drives
this object over asyncio; the tests drive it directly.
"""

import uuid
from collections.abc import Sequence
from typing import Literal

from dul import trace
from dul.codes import AbortReason, AbortSource, RejectResult, RejectSource
from dul.errors import LocalProtocolError, PDUError
from dul.events import (
    Aborted,
    AssociationAccepted,
    AssociationRejected,
    AssociationRequested,
    Event,
    PDataReceived,
    ReleaseConfirmed,
    ReleaseRequested,
)
from dul.fsm import ACTIONS, STATES, TABLE_9_10, UNDEFINED_CELL_POLICY
from dul.items import (
    PresentationContextAC,
    PresentationContextRQ,
    RoleSelection,
    UserIdentityAC,
    UserIdentityRQ,
    UserInformation,
)
from dul.negotiation import NegotiatedContext, match_contexts
from dul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDU,
    PDU_NAMES,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    Buffer,
    PDataTF,
    PDUStream,
    decode_pdu,
    frame_message,
)

# A UID under the 2.25 root, derived from a fixed UUID (PS3.5 B.2): ours, forever.
IMPLEMENTATION_CLASS_UID = "2.25." + str(uuid.UUID("5f0c8a2e-8a51-4c69-9b0e-6c1d3a7e4b21").int)
IMPLEMENTATION_VERSION_NAME = "HCS_010"
# A neutral default: an application names itself (hcs passes "HCS_PRINT_SCU").
DEFAULT_AE_TITLE = "DUL"
DEFAULT_MAX_PDU_LENGTH = 65536

Role = Literal["requestor", "acceptor"]

_PDU_EVENTS = {
    AAssociateAC: "Evt3",
    AAssociateRJ: "Evt4",
    AAssociateRQ: "Evt6",
    PDataTF: "Evt10",
    AReleaseRQ: "Evt12",
    AReleaseRP: "Evt13",
    AAbort: "Evt16",
}

_PDU_NAMES = {
    AAssociateRQ: PDU_NAMES[A_ASSOCIATE_RQ],
    AAssociateAC: PDU_NAMES[A_ASSOCIATE_AC],
    AAssociateRJ: PDU_NAMES[A_ASSOCIATE_RJ],
    PDataTF: PDU_NAMES[P_DATA_TF],
    AReleaseRQ: PDU_NAMES[A_RELEASE_RQ],
    AReleaseRP: PDU_NAMES[A_RELEASE_RP],
    AAbort: PDU_NAMES[A_ABORT],
}


# The method that performs each action: "AE-1" -> "_ae_1".
_ACTION_METHODS = {action: "_" + action.replace("-", "_").lower() for action in ACTIONS}

# _pending_error while a received PDU is handled: "unexpected PDU", if an action asks.
_UNEXPECTED_PDU = PDUError("an unexpected PDU")


class Association:
    """The PS3.8 state machine for one association, in the requestor or acceptor role."""

    def __init__(
        self,
        role: Role,
        *,
        ae_title: str = DEFAULT_AE_TITLE,
        max_pdu_length: int = DEFAULT_MAX_PDU_LENGTH,
        implementation_class_uid: str = IMPLEMENTATION_CLASS_UID,
        implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME,
    ):
        if role not in ("requestor", "acceptor"):
            raise ValueError(f"role must be 'requestor' or 'acceptor', not {role!r}")
        self.role: Role = role
        self.ae_title = ae_title
        self.implementation_class_uid = implementation_class_uid
        self.implementation_version_name = implementation_version_name
        self.state = "Sta1"
        self.close_requested = False
        self.artim_running = False
        self.artim_generation = 0
        self.request_pdu: AAssociateRQ | None = None
        self.response_pdu: AAssociateAC | None = None
        self.contexts: dict[int, NegotiatedContext] = {}
        self.peer_max_pdu_length = 0
        self._stream = PDUStream(max_pdu_length)
        self._stream_broken = False
        self._abort_with: tuple[int, int] = (AbortSource.SERVICE_USER, 0)
        self._outgoing: list[Buffer] = []
        self._events: list[Event] = []
        self._pending_pdu: PDU | None = None
        self._pending_error: PDUError | None = None
        self._pending_local: object = None
        self._next_state = "Sta1"

    @property
    def max_pdu_length(self) -> int:
        """Our Maximum Length (PS3.8 D.1): announced in our A-ASSOCIATE-RQ/AC and enforced
        on what we receive. An acceptor may change it before it accepts."""
        return self._stream.max_pdata_length

    @max_pdu_length.setter
    def max_pdu_length(self, value: int) -> None:
        self._stream.max_pdata_length = value

    @property
    def receiving_pdu(self) -> bool:
        """Part of a PDU has arrived and the rest has not (a read timeout's business)."""
        return self._stream.buffered > 0

    # ----------------------------------------------------------------- outputs
    def data_to_send(self) -> list[Buffer]:
        """Take the bytes produced so far, in order, for one gather write."""
        out, self._outgoing = self._outgoing, []
        return out

    @property
    def is_established(self) -> bool:
        return self.state == "Sta6"

    @property
    def accepted_contexts(self) -> list[NegotiatedContext]:
        return [c for c in self.contexts.values() if c.accepted]

    # ---------------------------------------------------------------- requestor
    def request(
        self,
        called_ae_title: str,
        contexts: Sequence[PresentationContextRQ],
        *,
        calling_ae_title: str | None = None,
        role_selections: Sequence[RoleSelection] = (),
        user_identity: UserIdentityRQ | None = None,
        async_operations_window: tuple[int, int] | None = None,
    ) -> list[Event]:
        """A-ASSOCIATE request primitive (Evt1). Then connect, and call
        :meth:`transport_connected`, which sends the A-ASSOCIATE-RQ."""
        self._require_role("requestor", "request an association")
        pdu = AAssociateRQ(
            called_ae_title=called_ae_title,
            calling_ae_title=calling_ae_title or self.ae_title,
            presentation_contexts=tuple(contexts),
            user_information=UserInformation(
                max_length=self.max_pdu_length,
                implementation_class_uid=self.implementation_class_uid,
                implementation_version_name=self.implementation_version_name,
                async_operations_window=async_operations_window,
                role_selections=tuple(role_selections),
                user_identity_rq=user_identity,
            ),
        )
        pdu.encode()  # refuse a malformed request now, not after connecting
        self._pending_local = pdu
        return self._handle("Evt1")

    def transport_connected(self) -> list[Event]:
        """Transport connect confirmation (Evt2)."""
        return self._handle("Evt2")

    # ----------------------------------------------------------------- acceptor
    def transport_indication(self) -> list[Event]:
        """A peer connected to us (Evt5)."""
        self._require_role("acceptor", "accept a transport connection")
        return self._handle("Evt5")

    def accept(
        self,
        contexts: Sequence[PresentationContextAC],
        *,
        role_selections: Sequence[RoleSelection] = (),
        user_identity: UserIdentityAC | None = None,
    ) -> list[Event]:
        """A-ASSOCIATE response primitive, accept (Evt7)."""
        if self.request_pdu is None:
            raise LocalProtocolError(f"no A-ASSOCIATE-RQ to accept in {self.state}")
        rq = self.request_pdu
        self._pending_local = AAssociateAC(
            called_ae_title=rq.called_ae_title,
            calling_ae_title=rq.calling_ae_title,
            presentation_contexts=tuple(contexts),
            user_information=UserInformation(
                max_length=self.max_pdu_length,
                implementation_class_uid=self.implementation_class_uid,
                implementation_version_name=self.implementation_version_name,
                role_selections=tuple(role_selections),
                user_identity_ac=user_identity,
            ),
        )
        return self._handle("Evt7")

    def reject(self, result: int, source: int, reason: int) -> list[Event]:
        """A-ASSOCIATE response primitive, reject (Evt8)."""
        self._pending_local = AAssociateRJ(result, source, reason)
        return self._handle("Evt8")

    # ---------------------------------------------------------------- both roles
    def send_message(
        self, context_id: int, command: Buffer, dataset: Sequence[Buffer] = ()
    ) -> list[Event]:
        """P-DATA request (Evt9): one DIMSE message, framed for the peer's maximum length.

        ``command`` and each buffer of ``dataset`` go out as memoryview slices; they must
        not change until :meth:`data_to_send` has been written."""
        context = self.contexts.get(context_id)
        if context is None or not context.accepted:
            raise LocalProtocolError(f"presentation context {context_id} was not accepted")
        self._pending_local = (context_id, command, dataset)
        return self._handle("Evt9")

    def release(self) -> list[Event]:
        """A-RELEASE request primitive (Evt11)."""
        return self._handle("Evt11")

    def release_response(self) -> list[Event]:
        """A-RELEASE response primitive (Evt14): agree to the peer's release."""
        return self._handle("Evt14")

    def abort(self, source: int = AbortSource.SERVICE_USER, reason: int = 0) -> list[Event]:
        """A-ABORT request primitive (Evt15); ``source`` and ``reason`` as PS3.8 Table 9-26
        (a service-user abort, source 0, has reason 0; source 2 names the provider's)."""
        self._abort_with = (source, reason)
        return self._handle("Evt15")

    def transport_closed(self) -> list[Event]:
        """Transport connection closed indication (Evt17)."""
        return self._handle("Evt17")

    def artim_expired(self) -> list[Event]:
        """The ARTIM timer the owner started for us has expired (Evt18)."""
        return self._handle("Evt18")

    def receive_data(self, data: bytes | memoryview) -> list[Event]:
        """Bytes from the transport, any amount; returns the indications they cause.

        Each whole PDU is one event (Evt3-Evt16); bytes that cannot be a PDU are Evt19.
        After Evt19 the rest of the stream is ignored: there is no way to resync.
        """
        if self.state in ("Sta1", "Sta4") or self._stream_broken:
            return []
        events: list[Event] = []
        try:
            raw_pdus = self._stream.feed(data)
        except PDUError as error:
            raw_pdus, stream_error = [], error
        else:
            stream_error = self._stream.error  # found after the PDUs it returned
        tracing = trace.enabled()
        for raw in raw_pdus:
            try:
                pdu = decode_pdu(raw)
            except PDUError as error:
                stream_error = error
                break
            if tracing:
                trace.received((pdu,))
            self._pending_pdu = pdu
            # Abort with "unexpected PDU" if the table says so; _take_error writes the
            # sentence only then, not for each of the thousand PDUs of a large message.
            self._pending_error = _UNEXPECTED_PDU
            events += self._handle(_PDU_EVENTS[type(pdu)])
            self._pending_error = None
            if self.state == "Sta1" or self._stream_broken:
                return events  # the PDUs after these would not have been read either
        if stream_error is not None:
            self._stream_broken = True
            self._pending_error = stream_error
            events += self._handle("Evt19")
        return events

    # ---------------------------------------------------------------- machinery
    def _require_role(self, role: Role, what: str) -> None:
        if self.role != role:
            raise LocalProtocolError(f"only an association {role} can {what}")

    def _handle(self, event: str) -> list[Event]:
        action = TABLE_9_10.get((event, self.state)) or UNDEFINED_CELL_POLICY.get(
            (event, self.state)
        )
        if action is None:
            raise LocalProtocolError(
                f"{event} is not allowed in {self.state} (PS3.8 Table 9-10 has no entry)"
            )
        if action == "ignore":
            return []
        run = getattr(self, _ACTION_METHODS[action])
        self._next_state = ACTIONS[action][1]
        events = run() or []
        self.state = self._next_state
        return events

    def _send(self, pdu: PDU) -> None:
        if trace.enabled():
            trace.sent(pdu)
        self._outgoing.append(pdu.encode())

    def _start_artim(self) -> None:
        self.artim_running = True
        self.artim_generation += 1

    def _stop_artim(self) -> None:
        self.artim_running = False

    def _close(self) -> None:
        self.close_requested = True
        self._stop_artim()

    def _take_error(self) -> PDUError:
        error = self._pending_error
        self._pending_error = None
        if error is _UNEXPECTED_PDU:
            return PDUError(
                f"an unexpected {_PDU_NAMES[type(self._pending_pdu)]} arrived in {self.state} "
                f"({STATES[self.state]})",
                AbortReason.UNEXPECTED_PDU,
            )
        return error or PDUError("invalid PDU")

    # Association establishment (PS3.8 Table 9-6)
    def _ae_1(self) -> None:
        self.request_pdu = self._pending_local

    def _ae_2(self) -> None:
        self._send(self.request_pdu)

    def _ae_3(self) -> list[Event]:
        ac = self._pending_pdu
        self.response_pdu = ac
        self.peer_max_pdu_length = ac.user_information.max_length or 0
        self.contexts = match_contexts(
            self.request_pdu.presentation_contexts, ac.presentation_contexts
        )
        return [AssociationAccepted(ac, dict(self.contexts))]

    def _ae_4(self) -> list[Event]:
        rj = self._pending_pdu
        self._close()
        return [AssociationRejected(rj.result, rj.source, rj.reason)]

    def _ae_5(self) -> None:
        self._start_artim()

    def _ae_6(self) -> list[Event]:
        self._stop_artim()
        rq = self._pending_pdu
        self.request_pdu = rq
        if not rq.protocol_version & 1:  # PS3.8 Table 9-11: test bit 0 only
            self._send(AAssociateRJ(RejectResult.PERMANENT, RejectSource.SERVICE_PROVIDER_ACSE, 2))
            self._start_artim()
            self._next_state = "Sta13"
            return []
        self.peer_max_pdu_length = rq.user_information.max_length or 0
        self._next_state = "Sta3"
        return [AssociationRequested(rq)]

    def _ae_7(self) -> None:
        ac = self._pending_local
        self.response_pdu = ac
        self.contexts = {}
        proposed = {c.context_id: c for c in self.request_pdu.presentation_contexts}
        for answer in ac.presentation_contexts:
            rq_context = proposed.get(answer.context_id)
            if rq_context is not None:
                self.contexts[answer.context_id] = NegotiatedContext(
                    answer.context_id,
                    rq_context.abstract_syntax,
                    answer.transfer_syntax if answer.accepted else None,
                    answer.result,
                )
        self._send(ac)

    def _ae_8(self) -> None:
        self._send(self._pending_local)
        self._start_artim()

    # Data transfer (Table 9-7)
    def _dt_1(self) -> None:
        context_id, command, dataset = self._pending_local
        pieces = frame_message(context_id, command, dataset, self.peer_max_pdu_length)
        if trace.enabled():
            sizes = [memoryview(piece).nbytes for piece in dataset]
            trace.sent_message(context_id, len(command), sum(sizes), len(pieces) // 2)
        self._outgoing += pieces

    def _dt_2(self) -> list[Event]:
        return self._pdata_indication()

    def _pdata_indication(self) -> list[Event]:
        values = self._pending_pdu.values
        for value in values:
            context = self.contexts.get(value.context_id)
            if context is None or not context.accepted:
                self._pending_error = PDUError(
                    f"P-DATA-TF on presentation context {value.context_id}, which was not accepted",
                    AbortReason.INVALID_PDU_PARAMETER,
                )
                return self._aa_8_now()
        return [PDataReceived(values)]

    def _aa_8_now(self) -> list[Event]:
        """AA-8 in place of a P-DATA indication: a PDV named a context we never agreed."""
        events = self._aa_8()
        self._next_state = "Sta13"
        self._stream_broken = True
        return events

    # Association release (Table 9-8)
    def _ar_1(self) -> None:
        self._send(AReleaseRQ())

    def _ar_2(self) -> list[Event]:
        return [ReleaseRequested()]

    def _ar_3(self) -> list[Event]:
        self._close()
        return [ReleaseConfirmed()]

    def _ar_4(self) -> None:
        self._send(AReleaseRP())
        self._start_artim()

    def _ar_5(self) -> None:
        self._stop_artim()

    def _ar_6(self) -> list[Event]:
        return self._pdata_indication()

    def _ar_7(self) -> None:
        self._dt_1()

    def _ar_8(self) -> list[Event]:
        self._next_state = "Sta9" if self.role == "requestor" else "Sta10"
        return [ReleaseRequested(collision=True)]

    def _ar_9(self) -> None:
        self._send(AReleaseRP())

    def _ar_10(self) -> list[Event]:
        return [ReleaseConfirmed()]

    # Association abort (Table 9-9)
    def _aa_1(self) -> None:
        self._send(AAbort(*self._abort_with))
        self._start_artim()
        self._pending_error = None

    def _aa_2(self) -> None:
        self._close()

    def _aa_3(self) -> list[Event]:
        abort = self._pending_pdu
        self._close()
        return [Aborted(abort.source, abort.reason, "peer")]

    def _aa_4(self) -> list[Event]:
        self.close_requested = True
        return [Aborted(AbortSource.SERVICE_PROVIDER, AbortReason.NOT_SPECIFIED, "transport")]

    def _aa_5(self) -> None:
        self._stop_artim()

    def _aa_6(self) -> None:
        """Ignore the PDU (the association is already gone)."""

    def _aa_7(self) -> None:
        error = self._take_error()
        self._send(AAbort(AbortSource.SERVICE_PROVIDER, error.reason))

    def _aa_8(self) -> list[Event]:
        error = self._take_error()
        self._send(AAbort(AbortSource.SERVICE_PROVIDER, error.reason))
        self._start_artim()
        return [Aborted(AbortSource.SERVICE_PROVIDER, error.reason, "local", str(error))]
