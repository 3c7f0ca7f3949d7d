"""Every cell of PS3.8 Table 9-10: 19 events x 13 states.

For each (event, state) the association is brought to the state by talking to a real
peer object, the event is fired, and what it did is checked against the action the
table names (what was sent, which indication, the next state, the ARTIM timer, the
transport). Cells the standard leaves empty either follow
:data:`dul.fsm.UNDEFINED_CELL_POLICY` or raise :class:`LocalProtocolError` for a
local primitive; PDUs cannot arrive where there is no transport (Sta1, Sta4).
"""

import pytest

from dul.codes import AbortSource
from dul.errors import LocalProtocolError
from dul.events import (
    Aborted,
    AssociationAccepted,
    AssociationRejected,
    AssociationRequested,
    PDataReceived,
    ReleaseConfirmed,
    ReleaseRequested,
)
from dul.fsm import ACTIONS, EVENTS, STATES, TABLE_9_10, UNDEFINED_CELL_POLICY
from dul.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
)
from tests.dul.machines import ACCEPTED, CONTEXT, PEER_AE, in_state, pdu_bytes, sent_pdus

PDU_EVENTS = {
    "Evt3": "AC",
    "Evt4": "RJ",
    "Evt6": "RQ",
    "Evt10": "DATA",
    "Evt12": "RELEASE-RQ",
    "Evt13": "RELEASE-RP",
    "Evt16": "ABORT",
    "Evt19": "GARBAGE",
}

REQUESTOR_ONLY_STATES = {"Sta4", "Sta5", "Sta7", "Sta9", "Sta11", "Sta13"}
ACCEPTOR_ONLY_STATES = {"Sta2", "Sta3", "Sta8", "Sta10", "Sta12"}


def role_for(event: str, state: str) -> str:
    if state in REQUESTOR_ONLY_STATES:
        return "requestor"
    if state in ACCEPTOR_ONLY_STATES:
        return "acceptor"
    return "acceptor" if event == "Evt5" else "requestor"


def fire(association, event: str):
    if event in PDU_EVENTS:
        return association.receive_data(pdu_bytes(PDU_EVENTS[event]))
    local = {
        "Evt1": lambda: association.request(PEER_AE, [CONTEXT]),
        "Evt2": association.transport_connected,
        "Evt5": association.transport_indication,
        "Evt7": lambda: association.accept([ACCEPTED]),
        "Evt8": lambda: association.reject(1, 1, 1),
        "Evt9": lambda: association.send_message(1, b"\x00\x00", [b"\x01\x02"]),
        "Evt11": association.release,
        "Evt14": association.release_response,
        "Evt15": association.abort,
        "Evt17": association.transport_closed,
        "Evt18": association.artim_expired,
    }
    return local[event]()


def only(events, kind):
    assert len(events) == 1 and isinstance(events[0], kind), events
    return events[0]


def check_action(action: str, association, events, sent) -> None:
    """What each action of PS3.8 Tables 9-6 to 9-9 must visibly do."""
    sent_types = [type(p) for p in sent]
    if action == "AE-1":
        assert sent == [] and events == []
    elif action == "AE-2":
        assert sent_types == [AAssociateRQ]
    elif action == "AE-3":
        only(events, AssociationAccepted)
    elif action == "AE-4":
        only(events, AssociationRejected)
        assert association.close_requested
    elif action == "AE-5":
        assert association.artim_running and sent == []
    elif action == "AE-6":
        only(events, AssociationRequested)
        assert not association.artim_running
    elif action == "AE-7":
        assert sent_types == [AAssociateAC]
    elif action == "AE-8":
        assert sent_types == [AAssociateRJ] and association.artim_running
    elif action in ("DT-1", "AR-7"):
        assert sent_types == [PDataTF, PDataTF]
    elif action in ("DT-2", "AR-6"):
        only(events, PDataReceived)
    elif action == "AR-1":
        assert sent_types == [AReleaseRQ]
    elif action == "AR-2":
        assert only(events, ReleaseRequested).collision is False
    elif action == "AR-3":
        only(events, ReleaseConfirmed)
        assert association.close_requested
    elif action == "AR-4":
        assert sent_types == [AReleaseRP] and association.artim_running
    elif action in ("AR-5", "AA-5"):
        assert not association.artim_running and sent == []
    elif action == "AR-8":
        assert only(events, ReleaseRequested).collision is True
    elif action == "AR-9":
        assert sent_types == [AReleaseRP]
    elif action == "AR-10":
        only(events, ReleaseConfirmed)
        assert not association.close_requested
    elif action == "AA-1":
        assert sent_types == [AAbort] and sent[0].source == AbortSource.SERVICE_USER
        assert association.artim_running
    elif action == "AA-2":
        assert association.close_requested and not association.artim_running
    elif action == "AA-3":
        assert only(events, Aborted).initiator == "peer"
        assert association.close_requested
    elif action == "AA-4":
        assert only(events, Aborted).initiator == "transport"
    elif action == "AA-6":
        assert sent == [] and events == []
    elif action == "AA-7":
        assert sent_types == [AAbort]
    elif action == "AA-8":
        assert sent_types == [AAbort] and sent[0].source == AbortSource.SERVICE_PROVIDER
        assert only(events, Aborted).initiator == "local"
        assert association.artim_running
    else:
        raise AssertionError(f"no check for {action}")


CELLS = [(event, state) for event in EVENTS for state in STATES]


def test_the_grid_has_every_cell():
    assert len(CELLS) == 13 * 19
    assert len(TABLE_9_10) == 123
    assert set(ACTIONS) >= set(TABLE_9_10.values())


@pytest.mark.parametrize(("event", "state"), CELLS, ids=[f"{e}-{s}" for e, s in CELLS])
def test_cell(event, state):
    association = in_state(state, role_for(event, state))
    assert association.state == state
    action = TABLE_9_10.get((event, state))
    if action is None:
        policy = UNDEFINED_CELL_POLICY.get((event, state))
        if policy is None and event in PDU_EVENTS:
            # Sta1 and Sta4 have no transport connection: nothing can arrive.
            assert state in ("Sta1", "Sta4")
            assert fire(association, event) == []
            assert association.state == state
            return
        if policy is None:
            with pytest.raises(LocalProtocolError):
                fire(association, event)
            return
        action = None if policy == "ignore" else policy
        if action is None:
            assert fire(association, event) == []
            assert association.state == state
            assert sent_pdus(association) == []
            return
    events = fire(association, event)
    sent = sent_pdus(association)
    check_action(action, association, events, sent)
    expected_next = ACTIONS[action][1]
    if action == "AE-6":
        expected_next = "Sta3"
    elif action == "AR-8":
        expected_next = "Sta9" if association.role == "requestor" else "Sta10"
    assert association.state == expected_next


def test_ae6_rejects_a_protocol_version_without_bit_0():
    association = in_state("Sta2", "acceptor")
    from dul.items import UserInformation

    rq = AAssociateRQ(
        PEER_AE, "OTHER", (CONTEXT,), UserInformation(max_length=0), protocol_version=2
    )
    events = association.receive_data(rq.encode())
    assert events == []
    [rj] = sent_pdus(association)
    assert (rj.result, rj.source, rj.reason) == (1, 2, 2)
    assert association.state == "Sta13" and association.artim_running


def test_pdata_on_a_context_never_accepted_aborts():
    association = in_state("Sta6", "requestor")
    from dul.pdu_values import PresentationDataValue

    events = association.receive_data(
        PDataTF((PresentationDataValue(3, True, True, b"\x00\x00"),)).encode()
    )
    assert only(events, Aborted).initiator == "local"
    [abort] = sent_pdus(association)
    assert abort.source == AbortSource.SERVICE_PROVIDER and abort.reason == 6
    assert association.state == "Sta13"


def test_garbage_then_more_bytes_are_ignored_after_the_abort():
    association = in_state("Sta6", "requestor")
    association.receive_data(pdu_bytes("GARBAGE"))
    sent_pdus(association)
    assert association.receive_data(pdu_bytes("RELEASE-RQ")) == []
    assert association.state == "Sta13"
