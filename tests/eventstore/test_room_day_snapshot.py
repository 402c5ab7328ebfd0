"""A room-day from its snapshot: what it keeps of its active bookings is rebuilt, not stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from backend.eventstore.child_keys import ChildKeys
from backend.eventstore.snapshots import decode_snapshot, encode_snapshot
from domain.booking.active import ActiveBookings, active_bookings
from domain.booking.terms import CareType
from tests.domain.test_booking_rules import NOW, booking, room_day, terms


def _through_a_snapshot(day: Any) -> Any:
    """The room-day as a snapshot of it, written now, loads it back."""
    day.collect_events()
    topic, state = encode_snapshot(day, ChildKeys())
    return decode_snapshot(day.id, day.version, topic, state, ChildKeys())


def test_a_room_day_from_its_snapshot_rebuilds_its_active_bookings_index_on_first_use():
    day, child = room_day(), uuid4()
    active_bookings(day)  # built before the snapshot: must not travel with it
    day.book(booking("08:00", "10:00", child=child), terms(), NOW)
    day.book(second := booking("10:00", "11:00"), terms(), NOW)
    day.cancel(second.booking_id, by_institution=True, reason="", now=NOW, by=None)
    day.collect_events()
    topic, state = encode_snapshot(day, ChildKeys())
    assert b"_active_bookings" not in state
    restored = decode_snapshot(day.id, day.version, topic, state, ChildKeys())
    assert "_active_bookings" not in vars(restored)
    assert active_bookings(restored).minutes == {(child.int, CareType.hourly): 120}
    assert active_bookings(restored).minutes == ActiveBookings(day.bookings.values()).minutes
    restored.book(booking("10:00", "12:00", child=child), terms(), NOW)  # 4 h: still allowed


def test_a_room_day_keeps_each_childs_completed_minutes_by_care_type_through_a_snapshot():
    day, child = room_day(), uuid4()
    visit = booking("08:00", "12:00", child=child)
    day.book(visit, terms(), NOW)
    day.check_in(visit.booking_id, uuid4(), NOW)
    day.complete(visit.booking_id, uuid4(), NOW)
    restored = _through_a_snapshot(day)
    assert restored.completed_minutes == {child: {CareType.hourly: 240}}
    restored.book(booking("12:00", "14:00", child=child), terms(), NOW)  # 6 h: the limit


def test_a_room_day_keeps_its_freed_no_shows_through_a_snapshot():
    day = room_day()
    kept = booking("09:00", "11:00")
    day.book(kept, terms(capacity=1), NOW)
    freed_at = kept.starts_at + timedelta(minutes=31)
    day.release_no_show(kept.booking_id, 30, freed_at)
    restored = _through_a_snapshot(day)
    assert restored.released == {kept.booking_id: kept}
    restored.attended_after_release(kept.booking_id, kept.starts_at, uuid4(), freed_at)
    assert kept.booking_id in restored.bookings


def test_a_room_day_keeps_its_completed_bookings_through_a_snapshot():
    """A child may come back under a booking completed earlier that day (ADR 0024)."""
    day = room_day()
    visit = booking("09:00", "11:00")
    day.book(visit, terms(), NOW)
    day.check_in(visit.booking_id, uuid4(), NOW)
    day.complete(visit.booking_id, uuid4(), NOW)
    restored = _through_a_snapshot(day)
    assert restored.completed == {visit.booking_id: visit}
    restored.resume_completed(visit.booking_id, visit.starts_at, uuid4(), NOW)
    assert visit.booking_id in restored.bookings
