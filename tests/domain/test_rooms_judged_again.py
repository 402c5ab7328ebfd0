"""A room judged again at new rules with its children present (ADR 0022): the alarm is
raised once when it is out of bounds, cleared when it is back, and nothing is recorded while
the day's alarm already says what the room is."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from tests.domain.test_attendance_rules import EIGHT, ROOM, arrive, events, staffed

LATER = EIGHT + timedelta(minutes=30)


def test_a_room_out_of_ratio_at_stricter_rules_gets_its_alarm_once_and_its_recovery_after():
    day = staffed()  # one carer at 1:3
    for _ in range(3):
        arrive(day)
    day.collect_events()
    stricter = msgspec.structs.replace(ROOM, children_per_carer=2)

    day.judge_rooms([stricter], LATER)
    assert events(day) == ["RoomOutOfBounds"]
    assert day.alarms == {ROOM.room_id: "ratio"}
    day.judge_rooms([stricter], LATER)  # judged again (a second worker): nothing more
    assert events(day) == []

    day.judge_rooms([ROOM], LATER)  # the rules loosened again
    assert events(day) == ["RoomBackInBounds"]
    assert day.alarms == {}


def test_a_room_within_the_new_rules_gets_no_alarm():
    day = staffed()
    arrive(day)
    day.collect_events()
    day.judge_rooms([msgspec.structs.replace(ROOM, children_per_carer=2, capacity=2)], LATER)
    assert events(day) == []
