"""The rule that spreads a group's busy printers (pure logic: hcs.server.balance)."""

from hcs.server.balance import Member, fair_share, hand_over_to

ALL = frozenset({"p0", "p1", "p2", "p3"})


def group(*busy: int, serves=ALL) -> list[Member]:
    return [Member(f"i{k}", serves, n) for k, n in enumerate(busy)]


def test_an_instance_two_busy_printers_above_another_hands_one_to_the_least_loaded():
    assert hand_over_to("p0", "i0", group(4, 0, 0)) == "i1"  # ties: by name
    assert hand_over_to("p0", "i0", group(3, 1, 0)) == "i2"
    assert hand_over_to("p0", "i0", group(2, 1, 1)) is None  # its fair share: keeps it
    assert hand_over_to("p0", "i0", group(1, 0, 0)) is None  # one more than others is fair


def test_repeated_at_film_boundaries_the_spread_ends_within_one_of_even():
    for busy in [(4, 0, 0), (0, 4, 0), (3, 0, 0), (5, 0, 1), (2, 2, 0)]:
        load = list(busy)
        for _ in range(10):
            for me in range(3):
                if load[me] and (to := hand_over_to("p0", f"i{me}", group(*load))):
                    load[me] -= 1
                    load[int(to[1:])] += 1
        assert max(load) - min(load) <= 1, (busy, load)
        assert max(load) <= fair_share(sum(busy), 3)


def test_only_an_instance_that_serves_the_printer_gets_it():
    members = [
        Member("i0", ALL, 3),
        Member("i1", frozenset({"p1"}), 0),  # does not serve p0
        Member("i2", ALL, 1),
    ]
    assert hand_over_to("p0", "i0", members) == "i2"
    assert hand_over_to("p0", "i0", members[:2]) is None


def test_hand_overs_on_their_way_count_for_their_recipient():
    # i0 already gives one printer to i1: the next goes to i2, and with two on their
    # way from 4 it keeps the other two
    assert hand_over_to("p1", "i0", group(4, 0, 0), {"i1": 1}) == "i2"
    assert hand_over_to("p2", "i0", group(4, 0, 0), {"i1": 1, "i2": 1}) is None


def test_an_instance_the_group_does_not_list_keeps_its_printer():
    assert hand_over_to("p0", "i9", group(0, 0)) is None
    assert fair_share(4, 3) == 2 and fair_share(3, 3) == 1 and fair_share(4, 0) == 4
