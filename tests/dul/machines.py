"""Build associations in each of the 13 states of PS3.8, by talking to a real peer object.

Both ends are :class:`dul.association.Association`; bytes are pumped between them in
memory, so every state is reached the way it is reached on a wire.
"""

from dul.association import Association
from dul.items import PresentationContextAC, PresentationContextRQ, UserInformation
from dul.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    decode_pdu,
)
from dul.pdu_values import PresentationDataValue

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
CONTEXT = PresentationContextRQ(1, VERIFICATION, (IMPLICIT,))
ACCEPTED = PresentationContextAC(1, 0, IMPLICIT)
PEER_AE = "PEER"


def feed(target: Association, pieces) -> list:
    events = []
    for piece in pieces:
        events += target.receive_data(bytes(piece))
    return events


def sent_pdus(association: Association) -> list:
    """Decode what the association queued, PDU by PDU."""
    from dul.pdu import PDUStream

    stream = PDUStream()
    raw = b"".join(bytes(p) for p in association.data_to_send())
    return [decode_pdu(pdu) for pdu in stream.feed(raw)]


def requestor() -> Association:
    return Association("requestor")


def acceptor() -> Association:
    return Association("acceptor", ae_title=PEER_AE)


def established() -> tuple[Association, Association]:
    """A requestor and an acceptor, both in Sta6, nothing left to send."""
    r, a = requestor(), acceptor()
    r.request(PEER_AE, [CONTEXT])
    r.transport_connected()
    a.transport_indication()
    feed(a, r.data_to_send())
    a.accept([ACCEPTED])
    feed(r, a.data_to_send())
    assert r.state == a.state == "Sta6"
    return r, a


def in_state(state: str, role: str) -> Association:
    """An association in ``state`` playing ``role`` when the state allows both."""
    if state == "Sta1":
        return requestor() if role == "requestor" else acceptor()
    if state == "Sta2":
        a = acceptor()
        a.transport_indication()
        return a
    if state == "Sta3":
        a = acceptor()
        a.transport_indication()
        r = requestor()
        r.request(PEER_AE, [CONTEXT])
        r.transport_connected()
        feed(a, r.data_to_send())
        return a
    if state == "Sta4":
        r = requestor()
        r.request(PEER_AE, [CONTEXT])
        return r
    if state == "Sta5":
        r = requestor()
        r.request(PEER_AE, [CONTEXT])
        r.transport_connected()
        r.data_to_send()
        return r
    r, a = established()
    if state == "Sta6":
        return r if role == "requestor" else a
    if state == "Sta7":
        r.release()
        r.data_to_send()
        return r
    if state == "Sta8":
        r.release()
        feed(a, r.data_to_send())
        return a
    if state in ("Sta9", "Sta11"):
        r.release()
        r.data_to_send()
        a.release()
        feed(r, a.data_to_send())
        if state == "Sta11":
            r.release_response()
            r.data_to_send()
        return r
    if state in ("Sta10", "Sta12"):
        a.release()
        a.data_to_send()
        r.release()
        feed(a, r.data_to_send())
        if state == "Sta12":
            feed(a, [AReleaseRP().encode()])
        return a
    if state == "Sta13":
        r.abort()
        r.data_to_send()
        return r
    raise ValueError(state)


def pdu_bytes(kind: str) -> bytes:
    """One well-formed PDU of each kind, as a peer would send it."""
    user = UserInformation(max_length=16384, implementation_class_uid="1.2.3.4")
    return {
        "AC": AAssociateAC(PEER_AE, "HCS_PRINT_SCU", (ACCEPTED,), user).encode(),
        "RJ": AAssociateRJ(1, 1, 7).encode(),
        "RQ": AAssociateRQ(PEER_AE, "OTHER", (CONTEXT,), user).encode(),
        "DATA": PDataTF((PresentationDataValue(1, True, True, b"\x00\x00"),)).encode(),
        "RELEASE-RQ": AReleaseRQ().encode(),
        "RELEASE-RP": AReleaseRP().encode(),
        "ABORT": AAbort(0, 0).encode(),
        "GARBAGE": b"\x09\x00\x00\x00\x00\x02\x00\x00",
    }[kind]
