"""A booking the no-show job freed, whose child had arrived before it was freed (the drop-off
waited on an offline tablet): the room-day takes the booking back, checked in at the arrival."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.booking.room_day import RoomDay, RoomFull
from domain.errors import RuleViolated
from tests.domain.test_booking_rules import NOW, booking, room_day, terms

ONE_PLACE = terms(capacity=1)


def _freed(day: RoomDay, start: str = "09:00", end: str = "11:00"):
    kept = booking(start, end)
    day.book(kept, ONE_PLACE, NOW)
    freed_at = kept.starts_at + timedelta(minutes=31)
    day.release_no_show(kept.booking_id, 30, freed_at)
    return kept, freed_at


def test_a_freed_no_show_whose_child_had_arrived_holds_its_place_again_from_the_arrival():
    day = room_day()
    kept, freed_at = _freed(day)
    taken = booking("10:30", "11:00")
    day.book(taken, ONE_PLACE, NOW)  # the freed place, booked by another family meanwhile
    arrived = kept.starts_at + timedelta(minutes=5)
    day.attended_after_release(kept.booking_id, arrived, uuid4(), freed_at + timedelta(minutes=20))
    assert day.bookings[kept.booking_id] == kept
    assert day.checked_in[kept.booking_id] == arrived
    assert kept.booking_id not in day.ended and kept.booking_id not in day.released
    assert set(day.bookings) == {kept.booking_id, taken.booking_id}  # two in one place: as it was
    with pytest.raises(RoomFull):  # and nobody new while the room holds more than its places
        day.book(booking("09:30", "10:00"), ONE_PLACE, NOW)


def test_only_a_booking_freed_as_a_no_show_today_can_hold_its_place_again():
    day = room_day()
    active = booking()
    day.book(active, terms(), NOW)
    with pytest.raises(RuleViolated):
        day.attended_after_release(active.booking_id, active.starts_at, uuid4(), NOW)
    day.cancel(active.booking_id, by_institution=False, reason="", now=NOW, by=None)
    with pytest.raises(RuleViolated):  # a cancellation was refunded: it stays cancelled
        day.attended_after_release(active.booking_id, active.starts_at, uuid4(), NOW)
