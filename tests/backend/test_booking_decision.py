"""A booking decision refuses before it changes anything, so a refusal leaves nothing to undo."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from backend.services.bookings import book_into
from domain.child.aggregate import Child, ChildAlreadyBooked, Hold, Sex
from tests.domain.test_booking_rules import DAY, NOW, booking, room_day, terms


def _child() -> Child:
    child = Child.register(
        uuid4(), uuid4(), name="小明", birth_date=date(2025, 1, 1), sex=Sex.male,
        consent_purposes=("care_booking",), today=DAY, now=NOW,
    )  # fmt: skip
    child.collect_events()
    return child


async def test_a_child_booked_elsewhere_at_that_time_is_refused_before_the_room_day_records_it():
    child = _child()
    draft = booking("09:00", "11:00", child=child.id)
    elsewhere = Hold(uuid4(), draft.starts_at, draft.ends_at, DAY, 9 * 60, 11 * 60, uuid4())
    child.hold(elsewhere, NOW)
    child.collect_events()
    day = room_day()
    day.collect_events()
    institution: Any = None  # read only once the booking is recorded
    with pytest.raises(ChildAlreadyBooked):
        await book_into(day, child, institution, terms(), draft, NOW, [])
    # nothing pending anywhere: on a lane, the group goes on and the room-day stays cached
    assert day.collect_events() == [] and child.collect_events() == []
    assert draft.booking_id not in day.bookings
