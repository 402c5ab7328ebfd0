"""A child still here after closing is escalated as not collected, unless its care (a booking or
regular place) covers the moment; when that care ends, it is escalated from the care's end +
grace, once per level, and not as a burst of the levels it missed (domain/attendance/uncollected)."""

from __future__ import annotations

from datetime import timedelta

from domain.attendance.uncollected import next_escalation
from tests.domain.test_attendance_rules import EIGHT, arrive, staffed

DUE = EIGHT + timedelta(hours=9, minutes=45)  # 17:45: closing at 17:30 + 15 minutes
EVERY = timedelta(minutes=15)


def test_a_child_in_care_past_closing_is_not_escalated_until_its_care_ends():
    day = staffed()
    child, _ = arrive(day)
    in_care = {child.child_id: None}
    assert day.escalate_uncollected(DUE, EVERY, DUE + EVERY, due_for=in_care) == 0
    ended = DUE + timedelta(hours=3)  # its evening booking ended then (+ grace)
    assert day.escalate_uncollected(DUE, EVERY, ended - EVERY, due_for={child.child_id: ended}) == 0
    assert day.escalate_uncollected(DUE, EVERY, ended, due_for={child.child_id: ended}) == 1
    assert day.escalations[child.child_id] == 1


def test_a_child_escalated_then_in_care_is_escalated_again_when_its_care_ends_not_in_a_burst():
    day = staffed()
    child, _ = arrive(day)
    for level in range(4):  # an hour before its night's booking began
        assert day.escalate_uncollected(DUE, EVERY, DUE + EVERY * level) == 1
    ended = DUE + timedelta(hours=8)
    assert day.escalate_uncollected(DUE, EVERY, ended, due_for={child.child_id: ended}) == 1
    later = ended + timedelta(minutes=1)
    assert day.escalate_uncollected(DUE, EVERY, later, due_for={child.child_id: ended}) == 0
    assert day.escalate_uncollected(DUE, EVERY, ended + EVERY, due_for={child.child_id: ended}) == 1
    assert day.escalations[child.child_id] == 6


def test_levels_escalated_before_the_day_kept_their_time_fall_due_as_they_did():
    day = staffed()
    arrive(day)
    day.escalate_uncollected(DUE, EVERY, DUE + timedelta(minutes=3))  # the tick came late
    day.escalated_at.clear()  # as a snapshot written before the day kept the times
    assert day.escalate_uncollected(DUE, EVERY, DUE + EVERY - timedelta(minutes=1)) == 0
    assert day.escalate_uncollected(DUE, EVERY, DUE + EVERY) == 1


def test_the_next_escalation_is_every_few_minutes_after_the_last_and_never_before_its_due_time():
    last = DUE + timedelta(minutes=2)
    assert next_escalation(0, None, DUE, DUE, EVERY) == DUE
    assert next_escalation(1, last, DUE, DUE, EVERY) == last + EVERY
    later = DUE + timedelta(hours=5)
    assert next_escalation(3, last, later, DUE, EVERY) == later
