"""The rooms after midnight hold the people of two attendance days: a child nobody collected on
the day its stay began, and the carers and children who came on the new day
(domain/attendance/two_days.py); each person counts once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.attendance.day import AttendanceDay
from domain.attendance.replays import status_at
from domain.attendance.room_moves import RoomMove
from domain.attendance.values import PresentChild, Visit
from domain.booking.room_day import RoomFull
from domain.clocks import CLOCK_SKEW
from tests.domain.test_attendance_rules import (
    CARER,
    DAY,
    EIGHT,
    OTHER_ROOM,
    ROOM,
    SECOND_CARER,
    arrive,
    staffed,
)

MIDNIGHT = EIGHT + timedelta(hours=16)  # 00:00 the next day in Shanghai


def _next_day() -> AttendanceDay:
    return AttendanceDay.open(uuid4(), DAY + timedelta(days=1), MIDNIGHT)


def _move_at(child: PresentChild, minutes_after_midnight: int) -> RoomMove:
    moved = PresentChild(child.child_id, OTHER_ROOM.room_id,
                         MIDNIGHT + timedelta(minutes=minutes_after_midnight), 5)  # fmt: skip
    return RoomMove(moved, child.room_id, CARER, None, "向日葵班", "月亮班")


def test_a_room_after_midnight_counts_the_carer_who_clocked_in_on_the_new_day():
    day, night = staffed(), _next_day()
    child, _ = arrive(day)
    night.clock_in(SECOND_CARER, OTHER_ROOM, None, MIDNIGHT, MIDNIGHT)
    move = _move_at(child, 10)
    recorded = day.move_child(move, ROOM, OTHER_ROOM, local_time="00:10",
                              now=move.at, next_day=night)  # fmt: skip
    assert recorded.override_reason is None
    assert day.alarms == {}  # the new day's carer keeps the room in ratio


def test_a_room_after_midnight_counts_the_children_who_arrived_on_the_new_day():
    day, night = staffed(), _next_day()
    child, _ = arrive(day)
    day.clock_in(SECOND_CARER, OTHER_ROOM, None, EIGHT, EIGHT)  # still on the day's record
    for _ in range(OTHER_ROOM.capacity):
        night.present[uuid4()] = PresentChild(uuid4(), OTHER_ROOM.room_id, MIDNIGHT, 5)
    move = _move_at(child, 10)
    with pytest.raises(RoomFull) as refused:
        day.move_child(move, ROOM, OTHER_ROOM, local_time="00:10", now=move.at, next_day=night)
    assert refused.value.params["minute"] == "00:10"


def test_someone_on_both_days_records_is_where_the_new_day_has_them():
    day, night = staffed(), _next_day()
    child, _ = arrive(day)
    night.present[child.child_id] = PresentChild(child.child_id, OTHER_ROOM.room_id, MIDNIGHT, 5)
    night.staff[CARER] = OTHER_ROOM.room_id
    left_behind = day.status_of(ROOM, next_day=night)
    assert (left_behind.children, left_behind.staff) == (0, 0)
    assert day.status_of(OTHER_ROOM, next_day=night).children == 1


def test_a_carer_back_in_the_room_within_the_clock_skew_counts_once_for_a_replay():
    back = EIGHT + timedelta(minutes=61)
    stays = {CARER: [Visit(ROOM.room_id, EIGHT, EIGHT + timedelta(minutes=60)),
                     Visit(ROOM.room_id, back)]}  # fmt: skip
    status = status_at(ROOM, {}, stays, back, arriving=3, staff_slack=CLOCK_SKEW)
    assert status.staff == 1
