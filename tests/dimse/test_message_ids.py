"""Message ID allocation: 1..65535, wrapping, never 0."""

import pytest

from dimse.message_ids import MessageIDAllocator


def test_counts_from_one():
    ids = MessageIDAllocator()
    assert [ids.allocate() for _ in range(3)] == [1, 2, 3]


def test_wraps_after_65535_to_one():
    ids = MessageIDAllocator(first=65534)
    assert [ids.allocate() for _ in range(4)] == [65534, 65535, 1, 2]


def test_a_full_cycle_hands_out_every_id_once():
    ids = MessageIDAllocator()
    assert sorted(ids.allocate() for _ in range(65535)) == list(range(1, 65536))


@pytest.mark.parametrize("first", [0, 65536, -1])
def test_the_first_id_must_be_a_valid_message_id(first):
    with pytest.raises(ValueError):
        MessageIDAllocator(first)
