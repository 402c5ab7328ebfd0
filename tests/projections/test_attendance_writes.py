"""The attendance read model's writes: as few round trips as order per key allows."""

from __future__ import annotations

from projections.attendance import _CHILD_DAY, _CHILD_IN, _CHILD_OUT, _rounds


def test_interleaved_arrivals_and_departures_of_different_children_go_in_one_round():
    ops = [
        (_CHILD_IN, ("day", "a", "room")),
        (_CHILD_OUT, ("day", "b")),
        (_CHILD_IN, ("day", "c", "room")),
        (_CHILD_OUT, ("day", "d")),
    ]
    assert _rounds(ops) == [
        {_CHILD_IN: [("day", "a", "room"), ("day", "c", "room")],
         _CHILD_OUT: [("day", "b"), ("day", "d")]},
    ]  # fmt: skip


def test_one_child_s_arrival_departure_and_return_keep_their_order():
    ops = [
        (_CHILD_IN, ("day", "a", "room 1")),
        (_CHILD_IN, ("day", "b", "room 1")),
        (_CHILD_OUT, ("day", "a")),
        (_CHILD_IN, ("day", "a", "room 2")),
    ]
    assert _rounds(ops) == [
        {_CHILD_IN: [("day", "a", "room 1"), ("day", "b", "room 1")]},
        {_CHILD_OUT: [("day", "a")]},
        {_CHILD_IN: [("day", "a", "room 2")]},
    ]


def test_lines_of_a_child_s_day_each_have_their_own_position_so_they_share_a_round():
    ops = [(_CHILD_DAY, ("child", "day", position, "…")) for position in (1, 2, 3)]
    assert _rounds(ops) == [{_CHILD_DAY: [("child", "day", p, "…") for p in (1, 2, 3)]}]
