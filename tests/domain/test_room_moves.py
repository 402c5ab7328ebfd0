"""A child moves to another room of the institution: the stays, the nap, both rooms' alarms,
and the new room judged at the move (now, or as it was for a move replayed late)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.attendance.care_log import CareEntry, CareKind
from domain.attendance.day import AttendanceDay
from domain.attendance.room_moves import AlreadyInRoom, RoomMove
from domain.attendance.values import NotCheckedIn, PresentChild
from domain.booking.room_day import RatioWouldBreak
from domain.errors import InvalidValue
from tests.domain.test_attendance_rules import (
    CARER,
    EIGHT,
    OTHER_ROOM,
    ROOM,
    SECOND_CARER,
    arrive,
    events,
    staffed,
)


def _move(child: PresentChild, minutes: int = 30, room=OTHER_ROOM, reason=None) -> RoomMove:
    moved = PresentChild(child.child_id, room.room_id, EIGHT + timedelta(minutes=minutes), 5)
    return RoomMove(moved, child.room_id, CARER, reason, "向日葵班", "月亮班")


def _moving(day: AttendanceDay, move: RoomMove, now_minutes: int = 30) -> RoomMove:
    to_room = next(r for r in (ROOM, OTHER_ROOM) if r.room_id == move.child.room_id)
    return day.move_child(move, ROOM, to_room, local_time="08:30",
                          now=EIGHT + timedelta(minutes=now_minutes))  # fmt: skip


def _both_staffed() -> AttendanceDay:
    day = staffed()
    day.clock_in(SECOND_CARER, OTHER_ROOM, None, EIGHT, EIGHT)
    return day


def test_a_moved_child_ends_its_stay_in_one_room_and_begins_one_in_the_other():
    day = _both_staffed()
    child, _ = arrive(day)
    day.collect_events()
    recorded = _moving(day, _move(child))
    assert events(day) == ["ChildMovedRoom"]
    assert recorded.from_room_id == ROOM.room_id and recorded.override_reason is None
    assert day.present[child.child_id].room_id == OTHER_ROOM.room_id
    first, second = day.visits[child.child_id]
    assert (first.room_id, first.left) == (ROOM.room_id, EIGHT + timedelta(minutes=30))
    assert (second.room_id, second.arrived, second.left) == (
        OTHER_ROOM.room_id,
        EIGHT + timedelta(minutes=30),
        None,
    )


def test_a_nap_in_the_old_room_ends_with_the_move():
    day = _both_staffed()
    child, _ = arrive(day)
    nap = CareEntry(uuid4(), CareKind.nap_start, ROOM.room_id, (child.child_id,),
                    EIGHT + timedelta(minutes=10), CARER)  # fmt: skip
    day.log_care(nap, EIGHT + timedelta(minutes=10))
    assert child.child_id in day.napping
    _moving(day, _move(child))
    assert child.child_id not in day.napping


def test_a_move_to_the_same_room_or_of_a_child_not_here_or_before_it_came_is_refused():
    day = _both_staffed()
    child, _ = arrive(day, minutes=20)
    with pytest.raises(AlreadyInRoom):
        _moving(day, _move(child, room=ROOM))
    with pytest.raises(NotCheckedIn):
        _moving(day, _move(PresentChild(uuid4(), ROOM.room_id, EIGHT, 3)))
    with pytest.raises(InvalidValue):
        _moving(day, _move(child, minutes=10))


def test_a_move_to_a_room_with_no_carer_is_refused_unless_an_admin_gives_a_reason():
    day = staffed()
    child, _ = arrive(day)
    with pytest.raises(RatioWouldBreak) as refused:
        _moving(day, _move(child))
    assert refused.value.params["minute"] == "08:30"
    day.collect_events()
    recorded = _moving(day, _move(child, reason="老师马上到"))
    assert recorded.override_reason == "老师马上到"
    assert events(day) == ["ChildMovedRoom", "RoomOutOfBounds"]
    assert day.alarms == {OTHER_ROOM.room_id: "ratio"}


def test_the_old_room_recovers_when_a_child_over_its_ratio_moves_out():
    day = _both_staffed()
    children = [arrive(day)[0] for _ in range(3)]
    last, _ = arrive(day, override="第二位老师在路上")  # a fourth with one carer at 1:3
    assert day.alarms == {ROOM.room_id: "ratio"}
    day.collect_events()
    _moving(day, _move(last))
    assert events(day) == ["ChildMovedRoom", "RoomBackInBounds"]
    assert day.alarms == {} and len(children) == 3


def test_a_move_replayed_late_is_judged_on_the_new_room_as_it_was_at_the_move():
    day = _both_staffed()
    child, _ = arrive(day)
    day.clock_out(SECOND_CARER, OTHER_ROOM, EIGHT + timedelta(minutes=40), EIGHT)
    recorded = _moving(day, _move(child, minutes=30), now_minutes=60)  # the carer was there
    assert recorded.override_reason is None
    assert day.alarms == {OTHER_ROOM.room_id: "ratio"}  # but the room now has none
