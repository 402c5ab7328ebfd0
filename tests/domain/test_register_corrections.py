"""Corrections of the register on the attendance day: a missed visit added, a visit's times put
right, and never two visits of one child at once or a child made present or collected."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.attendance.corrections import VisitCorrection
from domain.attendance.day import AttendanceDay
from domain.attendance.values import Visit, VisitOverlaps, VisitStillOpen
from domain.errors import InvalidValue, NotFound
from tests.domain.test_attendance_rules import CARER, EIGHT, MUM, ROOM, arrive, staffed

ADMIN = uuid4()
EVENING = EIGHT + timedelta(hours=11)  # 19:00 in Shanghai: the day's care is over


def at(minutes: float):
    return EIGHT + timedelta(minutes=minutes)


def correction(child, arrived, left, replaces=None, room=ROOM, reason="按纸质签到表补录"):
    return VisitCorrection(child, room.room_id, at(arrived), None if left is None else at(left),
                           None if replaces is None else at(replaces), reason, ADMIN)  # fmt: skip


def collected_day() -> tuple[AttendanceDay, object]:
    """A child who came at 08:00 and was collected at 12:00."""
    day = staffed()
    child, _ = arrive(day)
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=at(240), code=None, now=at(240))
    return day, child.child_id


def test_the_day_keeps_each_childs_visits_as_they_are_checked_in_and_out():
    day, child = collected_day()
    assert day.visits[child] == [Visit(ROOM.room_id, at(0), at(240), children_per_carer=3)]


def test_a_missed_afternoon_visit_is_added_and_the_child_shown_collected_at_its_end():
    day, child = collected_day()
    day.correct_visit(correction(child, 360, 540), EVENING)
    assert day.visits[child][-1] == Visit(ROOM.room_id, at(360), at(540))
    assert day.collected[child] == at(540)
    assert child not in day.present


def test_a_visit_overlapping_another_of_the_same_child_is_refused():
    day, child = collected_day()
    with pytest.raises(VisitOverlaps, match="08:00 to 12:00") as refused:
        day.correct_visit(correction(child, 230, 300), EVENING)
    assert refused.value.field == "arrived_at"


def test_a_visit_starting_the_minute_another_ended_does_not_overlap_it():
    day, child = collected_day()
    day.correct_visit(correction(child, 240, 300), EVENING)
    assert [v.left for v in day.visits[child]] == [at(240), at(300)]


def test_a_finished_visit_gets_new_times_and_may_move_rooms_but_needs_its_departure():
    day, child = collected_day()
    other_room = uuid4()
    fixed = VisitCorrection(child, other_room, at(-15), at(250), at(0), "搞错班级", ADMIN)
    day.correct_visit(fixed, EVENING)
    assert day.visits[child] == [Visit(other_room, at(-15), at(250))]
    with pytest.raises(InvalidValue) as refused:
        day.correct_visit(correction(child, -15, None, replaces=-15), EVENING)
    assert refused.value.field == "left_at"


def test_the_visit_replaced_is_named_to_the_minute_and_recorded_at_its_exact_arrival():
    day = staffed()
    child, _ = arrive(day, minutes=20.6)  # the tablet said 08:20:36; the register shows 08:20
    day.correct_visit(correction(child.child_id, 5, None, replaces=20), at(60))
    recorded = day.collect_events()[-1]
    assert isinstance(recorded, AttendanceDay.VisitCorrected)
    assert recorded.correction.replaces == at(20.6)
    assert day.present[child.child_id].since == at(5)


def test_a_child_still_here_gets_only_its_arrival_corrected():
    day = staffed()
    child, _ = arrive(day, minutes=20)
    day.correct_visit(correction(child.child_id, 5, None, replaces=20), at(60))
    assert day.present[child.child_id].since == at(5)
    for wrong, field in ((correction(child.child_id, 5, 50, replaces=5), "left_at"),
                         (correction(child.child_id, 5, None, replaces=5, room=type(ROOM)(
                             uuid4(), 4, 3)), "room_id")):  # fmt: skip
        with pytest.raises(VisitStillOpen) as refused:
            day.correct_visit(wrong, at(60))
        assert refused.value.field == field


def test_times_off_the_day_in_the_future_or_backwards_and_an_unknown_visit_are_refused():
    day, child = collected_day()
    cases = [
        (correction(child, 300, 400, reason="  "), InvalidValue, "reason"),
        (correction(child, -9 * 60, 300), InvalidValue, "arrived_at"),  # 23:00 the day before
        (correction(child, 900, 17 * 60), InvalidValue, "left_at"),  # past midnight
        (correction(child, 300, 700), InvalidValue, "left_at"),  # after now
        (correction(child, 400, 300), InvalidValue, "left_at"),
        (correction(child, 300, 400, replaces=30), NotFound, "replaces"),
        (correction(child, 0, 240, replaces=0), InvalidValue, "arrived_at"),  # changes nothing
    ]
    for wrong, error, field in cases:
        with pytest.raises(error) as refused:
            day.correct_visit(wrong, at(600))
        assert refused.value.field == field, wrong
    assert day.visits[child] == [Visit(ROOM.room_id, at(0), at(240), children_per_carer=3)]


def test_a_correction_of_an_erased_childs_visit_records_its_times_and_not_its_reason():
    day, child = collected_day()
    with pytest.raises(InvalidValue) as refused:  # asked for as always
        day.correct_visit(correction(child, -5, 240, replaces=0, reason=" "), EVENING,
                          child_erased=True)  # fmt: skip
    assert refused.value.field == "reason"
    day.correct_visit(correction(child, -5, 240, replaces=0, reason="林小雪按纸质签到表更正"),
                      EVENING, child_erased=True)  # fmt: skip
    recorded = day.collect_events()[-1]
    assert isinstance(recorded, AttendanceDay.VisitCorrected)
    assert (recorded.correction.arrived, recorded.correction.reason) == (at(-5), "")
    assert day.visits[child] == [Visit(ROOM.room_id, at(-5), at(240), children_per_carer=3)]
