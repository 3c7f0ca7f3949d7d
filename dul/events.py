"""What an association tells its user: the indications and confirmations of PS3.8 §7,
as plain values. :meth:`dul.association.Association.receive_data` and the local
primitives return these."""

from dataclasses import dataclass, field

from dul.codes import AbortSource, describe_abort, describe_reject
from dul.negotiation import NegotiatedContext
from dul.pdu import AAssociateAC, AAssociateRQ
from dul.pdu_values import PresentationDataValue


@dataclass(frozen=True, slots=True)
class AssociationRequested:
    """A-ASSOCIATE indication (acceptor): answer with ``accept()`` or ``reject()``."""

    request: AAssociateRQ


@dataclass(frozen=True, slots=True)
class AssociationAccepted:
    """A-ASSOCIATE confirmation, accepted (requestor), or the acceptor's own accept."""

    response: AAssociateAC
    contexts: dict[int, NegotiatedContext] = field(default_factory=dict)

    @property
    def accepted_contexts(self) -> list[NegotiatedContext]:
        return [c for c in self.contexts.values() if c.accepted]


@dataclass(frozen=True, slots=True)
class AssociationRejected:
    """A-ASSOCIATE confirmation, rejected (PS3.8 §7.1.1.7-9)."""

    result: int
    source: int
    reason: int

    @property
    def description(self) -> str:
        return describe_reject(self.result, self.source, self.reason)


@dataclass(frozen=True, slots=True)
class PDataReceived:
    """P-DATA indication: the PDVs of one P-DATA-TF PDU, in order."""

    values: tuple[PresentationDataValue, ...]


@dataclass(frozen=True, slots=True)
class ReleaseRequested:
    """A-RELEASE indication; ``collision`` when both sides asked at once (AR-8)."""

    collision: bool = False


@dataclass(frozen=True, slots=True)
class ReleaseConfirmed:
    """A-RELEASE confirmation: the association ended in order."""


@dataclass(frozen=True, slots=True)
class Aborted:
    """A-ABORT or A-P-ABORT indication.

    ``initiator`` says who ended it: ``"peer"`` (an A-ABORT PDU arrived), ``"local"``
    (our Upper Layer aborted because of what the peer sent) or ``"transport"`` (the
    connection closed under the association).
    """

    source: int
    reason: int
    initiator: str
    detail: str = ""

    @property
    def description(self) -> str:
        if self.initiator == "transport":
            return "the peer closed the connection without releasing or aborting the association"
        text = describe_abort(self.source, self.reason)
        if self.initiator == "local":
            text = f"we aborted the association: {self.detail}" if self.detail else text
        return text

    @property
    def by_service_user(self) -> bool:
        return self.source == AbortSource.SERVICE_USER


Event = (
    AssociationRequested
    | AssociationAccepted
    | AssociationRejected
    | PDataReceived
    | ReleaseRequested
    | ReleaseConfirmed
    | Aborted
)
