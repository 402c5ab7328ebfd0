"""Room occupancy: a room's local day as segments of booked children, places and ratio places."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from backend.eventstore.store import EventStore
from domain.booking.terms import Shift
from domain.class_types import ClassType
from projections import booking_queries
from tests.projections.booking_world import (
    DAY,
    RoomSpec,
    book,
    cancel,
    child,
    city,
    hm,
    institution,
    project,
)

NOW = datetime.now(UTC)
ONE_CARER = tuple(Shift(d, hm("08:00"), hm("18:00"), 1) for d in range(1, 6))


def seg(
    start: str, end: str, booked: int, ratio_capacity: int, capacity: int = 6, enrolled: int = 0
) -> dict:
    return {
        "start_min": hm(start), "end_min": hm(end), "booked": booked, "enrolled": enrolled,
        "held": 0, "capacity": capacity, "ratio_capacity": ratio_capacity,
    }  # fmt: skip


async def test_an_infant_in_a_mixed_room_tightens_the_ratio_while_present(store: EventStore):
    mixed = RoomSpec("混龄班", ClassType.mixed, capacity=6, ratio=5, shifts=ONE_CARER)
    iid = await institution(store, await city(store), "平江托育", [mixed])
    mother = uuid4()
    toddler = await child(store, mother, date(2025, 4, 1))  # 20 months: 1:5
    infant = await child(store, mother, date(2026, 2, 1))  # 10 months
    other = await child(store, mother, date(2025, 4, 1))
    await book(store, toddler, mother, iid, mixed.room_id, "09:00", "12:00")
    # As a local rule that lets a mixed room take an infant at 1:3 would record it:
    await book(store, infant, mother, iid, mixed.room_id, "10:00", "11:00", per_carer=3)
    gone = await book(store, other, mother, iid, mixed.room_id, "13:00", "14:00")
    await cancel(store, mixed.room_id, gone)
    await project(store)

    occupancy = await booking_queries.room_occupancy(store.pool, mixed.room_id, DAY, NOW)

    assert occupancy is not None
    assert (occupancy["room_id"], occupancy["institution_id"]) == (mixed.room_id, iid)
    assert (occupancy["class_type"], occupancy["capacity"], occupancy["day"]) == ("mixed", 6, DAY)
    assert occupancy["segments"] == [
        seg("00:00", "08:00", 0, 0),  # nobody rostered
        seg("08:00", "09:00", 0, 5),
        seg("09:00", "10:00", 1, 5),
        seg("10:00", "11:00", 2, 3),  # the infant needs 1:3 of the one carer
        seg("11:00", "12:00", 1, 5),
        seg("12:00", "18:00", 0, 5),  # the cancelled 13:00–14:00 counts for nothing
        seg("18:00", "24:00", 0, 0),
    ]


async def test_a_room_with_no_bookings_or_roster_that_day_is_one_empty_segment(store: EventStore):
    room = RoomSpec("向日葵班", capacity=8)
    await institution(store, await city(store), "平江托育", [room])
    await project(store)
    saturday = date(2026, 12, 5)

    occupancy = await booking_queries.room_occupancy(store.pool, room.room_id, saturday, NOW)

    assert occupancy is not None
    assert occupancy["segments"] == [seg("00:00", "24:00", 0, 0, capacity=8)]
    assert await booking_queries.room_occupancy(store.pool, uuid4(), saturday, NOW) is None
