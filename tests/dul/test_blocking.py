"""The blocking wrapper drives the same association as the asyncio API."""

import pytest

from dul import blocking
from dul.events import PDataReceived
from dul.items import PresentationContextRQ
from dul.net import AssociationRejectedError
from tests.peers import storescp

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
# A C-ECHO-RQ command set, Message ID 1, encoded by hand (group length 56).
ECHO_RQ = bytes.fromhex(
    "0000000004000000380000000000020012000000312e322e3834302e31303030382e312e3100"
    "000000010200000030000000100102000000010000000008020000000101"
)


def test_blocking_echo_against_storescp(tmp_path):
    with (
        storescp(tmp_path) as port,
        blocking.connect(
            "127.0.0.1",
            port,
            called_ae_title="STORESCP",
            contexts=[PresentationContextRQ(1, VERIFICATION, (IMPLICIT,))],
        ) as connection,
    ):
        assert connection.contexts[1].accepted
        connection.send_message(1, ECHO_RQ)
        event = connection.next_event(10)
    assert isinstance(event, PDataReceived)
    command = b"".join(bytes(v.data) for v in event.values if v.is_command)
    assert command[-2:] == b"\x00\x00"  # Status (0000,0900) = 0000: the last element


def test_blocking_connect_raises_the_same_errors(tmp_path):
    with (
        storescp(tmp_path, "STORESCP", "--refuse") as port,
        pytest.raises(AssociationRejectedError),
    ):
        blocking.connect(
            "127.0.0.1",
            port,
            called_ae_title="STORESCP",
            contexts=[PresentationContextRQ(1, VERIFICATION, (IMPLICIT,))],
        )
