"""A child back in its room the same day under a booking completed when it left (moved out and
back, or collected and brought again): the room-day holds the booking's place again, checked in
from the return, and counts its minutes once."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.booking.active import ActiveBookings, active_bookings
from domain.booking.room_day import RoomDay, RoomFull
from domain.booking.terms import CareType
from domain.booking.visit_rules import NotBookable
from domain.errors import RuleViolated
from tests.domain.test_booking_rules import NOW, booking, room_day, terms

ONE_PLACE = terms(capacity=1)


def _completed(day: RoomDay, start: str = "09:00", end: str = "11:00", child=None):
    visit = booking(start, end, child=child)
    day.book(visit, ONE_PLACE, NOW)
    day.check_in(visit.booking_id, uuid4(), NOW)
    day.complete(visit.booking_id, uuid4(), NOW)
    return visit


def test_a_child_back_under_its_completed_booking_holds_its_place_again_from_its_return():
    day = room_day()
    visit = _completed(day)
    back = visit.starts_at + timedelta(minutes=100)
    day.resume_completed(visit.booking_id, back, uuid4(), NOW)
    assert day.bookings[visit.booking_id] == visit and day.checked_in[visit.booking_id] == back
    assert visit.booking_id not in day.ended and visit.booking_id not in day.completed
    with pytest.raises(RoomFull):
        day.book(booking("10:50", "11:00"), ONE_PLACE, NOW)
    assert active_bookings(day).minutes == ActiveBookings(day.bookings.values()).minutes
    day.end_stay(visit.child_id, back, back + timedelta(minutes=10), uuid4(), NOW)
    assert day.ended[visit.booking_id] == "completed"  # collected again: the place is free
    day.book(booking("10:50", "11:00"), ONE_PLACE, NOW)


def test_a_resumed_visit_s_minutes_count_once_toward_the_child_s_day():
    day, child = room_day(), uuid4()
    visit = _completed(day, "08:00", "12:00", child=child)
    day.resume_completed(visit.booking_id, visit.starts_at + timedelta(hours=1), uuid4(), NOW)
    assert child not in day.completed_minutes
    day.book(booking("12:00", "14:00", child=child), terms(), NOW)  # 6 h: the limit
    with pytest.raises(NotBookable):
        day.book(booking("14:00", "15:00", child=child), terms(), NOW)
    day.complete(visit.booking_id, uuid4(), NOW)
    assert day.completed_minutes == {child: {CareType.hourly: 240}}


def test_only_a_booking_completed_here_today_and_still_running_is_resumed():
    day = room_day()
    active = booking()
    day.book(active, terms(), NOW)
    with pytest.raises(RuleViolated):
        day.resume_completed(active.booking_id, active.starts_at, uuid4(), NOW)
    visit = _completed(day, "11:00", "12:00")
    with pytest.raises(RuleViolated):  # the child is here past its booking: no place to hold
        day.resume_completed(visit.booking_id, visit.ends_at, uuid4(), NOW)
