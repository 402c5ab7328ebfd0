"""The rooms after midnight hold the people of two attendance days: a child nobody collected on
the day its stay began, and the carers and children who came on the new day
(domain/attendance/two_days.py); each person counts once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import msgspec
import pytest

from domain.attendance.day import AttendanceDay
from domain.attendance.replays import status_at
from domain.attendance.room_moves import RoomMove
from domain.attendance.values import CheckInMethod, PresentChild, Visit
from domain.booking.room_day import RatioWouldBreak, RoomFull
from domain.clocks import CLOCK_SKEW
from domain.institution.values import OpeningInterval, open_across_midnight
from tests.domain.test_attendance_rules import (
    CARER,
    DAY,
    EIGHT,
    OTHER_ROOM,
    ROOM,
    SECOND_CARER,
    WELL,
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


def _after_midnight(minutes: int) -> dict[str, object]:
    """An arrival's times `minutes` after midnight, on the next day, live."""
    at = MIDNIGHT + timedelta(minutes=minutes)
    return {"minutes": 16 * 60 + minutes, "now": at, "local_time": "00:10"}


def test_an_arrival_on_the_new_day_counts_the_carer_still_here_from_the_day_before():
    day, night = staffed(), _next_day()
    arrive(day)  # stays on past midnight with its carer
    with pytest.raises(RatioWouldBreak):  # the new day's record alone has no carer
        arrive(night, **_after_midnight(10))
    _, outcome = arrive(night, **_after_midnight(10), day_before=day)
    assert outcome == "checked_in"
    assert night.alarms == {}


def test_an_arrival_on_the_new_day_into_a_room_full_from_the_day_before_is_refused():
    day, night = staffed(carers=2), _next_day()
    for _ in range(ROOM.capacity):
        arrive(day)
    night.clock_in(uuid4(), ROOM, None, MIDNIGHT, MIDNIGHT)
    with pytest.raises(RoomFull):
        arrive(night, **_after_midnight(10), day_before=day)
    arrive(night, **_after_midnight(10), day_before=day, override="夜间加托")
    assert night.alarms == {ROOM.room_id: "size"}


def test_a_child_from_the_day_before_checked_in_again_counts_once():
    day, night = staffed(), _next_day()
    first, _ = arrive(day)
    for _ in range(2):
        arrive(day)  # three children, one carer: the room's ratio is 1:3
    again = msgspec.structs.replace(first, since=MIDNIGHT + timedelta(minutes=10))
    outcome = night.check_in(
        again, ROOM, filed_places=3, by=CARER, method=CheckInMethod.manual, health=WELL,
        outcome=None, note="", override_reason=None, code=None, local_time="00:10",
        now=again.since, day_before=day,
    )  # fmt: skip
    assert outcome == "checked_in"


def test_a_room_back_in_bounds_on_the_new_day_clears_the_alarm_of_the_day_before():
    day, night = staffed(), _next_day()
    arrive(day)
    day.clock_out(CARER, ROOM, MIDNIGHT, MIDNIGHT, next_day=night)  # the child alone
    assert day.alarms == {ROOM.room_id: "ratio"}
    day.collect_events()
    night.clock_in(SECOND_CARER, ROOM, None, MIDNIGHT, MIDNIGHT, day_before=day)
    assert day.alarms == {} and night.alarms == {}
    assert [type(e).__name__ for e in day.collect_events()] == ["RoomBackInBounds"]


def test_an_institution_is_open_across_midnight_when_open_until_24_or_from_00():
    wednesday = DAY + timedelta(days=1)  # DAY is a Tuesday
    until_midnight = OpeningInterval(weekday=2, opens=7 * 60, closes=24 * 60)
    from_midnight = OpeningInterval(weekday=3, opens=0, closes=8 * 60)
    daytime = (OpeningInterval(2, 8 * 60, 17 * 60 + 30), OpeningInterval(3, 8 * 60, 17 * 60))
    assert open_across_midnight([until_midnight], wednesday)
    assert open_across_midnight([from_midnight], wednesday)
    assert not open_across_midnight(daytime, wednesday)
    assert not open_across_midnight([until_midnight], DAY)  # the Monday before is not
