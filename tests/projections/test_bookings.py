"""The `bookings` read model: bookings with their status history, refunds, lists, and rebuilds."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from backend.eventstore.store import EventStore
from projections import booking_queries, bookings
from tests.projections.booking_world import (
    DAY,
    NOW,
    RoomSpec,
    add_guardian,
    book,
    cancel,
    child,
    city,
    institution,
    project,
)

TODDLER_BIRTH = date(2025, 6, 1)  # 18 months on DAY


async def _world(store: EventStore) -> tuple[UUID, UUID]:
    """An institution with one toddler room: (institution id, room id)."""
    room = RoomSpec("向日葵班")
    iid = await institution(store, await city(store), "平江托育", [room])
    return iid, room.room_id


async def test_a_booking_is_projected_confirmed_with_requested_and_confirmed_history(
    store: EventStore,
):
    iid, room_id = await _world(store)
    mother = uuid4()
    kid = await child(store, mother, TODDLER_BIRTH, "小雨")
    booking_id = await book(store, kid, mother, iid, room_id, "09:00", "12:00")
    await project(store)

    found = await booking_queries.get_booking(store.pool, booking_id)

    assert found is not None
    assert (found["room_id"], found["institution_id"], found["day"]) == (room_id, iid, DAY)
    assert (found["child_id"], found["guardian_id"], found["child_name"]) == (kid, mother, "小雨")
    assert (found["start_min"], found["end_min"], found["care_type"]) == (540, 720, "hourly")
    assert found["starts_at"] == NOW + timedelta(hours=13)  # 09:00 in Shanghai, UTC+8
    assert (found["status"], found["price_fen"], found["refund_fen"]) == ("confirmed", 9000, None)
    assert found["refund_policy"] == {"full_refund_hours_before": 24, "late_refund_percent": 50}
    assert "全额退款" in found["refund_policy_text"]
    assert (found["room_name"], found["institution_name"]) == ("向日葵班", "平江托育")
    assert [(h["status"], h["at"], h["detail"]) for h in found["history"]] == [
        ("requested", NOW, None),
        ("confirmed", NOW, None),
    ]


async def test_a_cancelled_booking_shows_the_refund_and_who_cancelled(store: EventStore):
    iid, room_id = await _world(store)
    mother = uuid4()
    kid = await child(store, mother, TODDLER_BIRTH)
    by_parent = await book(store, kid, mother, iid, room_id, "09:00", "12:00")
    await project(store)
    await cancel(store, room_id, by_parent, reason="孩子发烧", now=NOW + timedelta(hours=1))
    # Booked and cancelled by the institution within one projected batch:
    by_centre = await book(store, kid, mother, iid, room_id, "14:00", "16:00")
    await cancel(store, room_id, by_centre, by_institution=True, now=NOW + timedelta(hours=2))
    await project(store)

    late = await booking_queries.get_booking(store.pool, by_parent)
    full = await booking_queries.get_booking(store.pool, by_centre)

    assert late is not None and full is not None
    assert (late["status"], late["cancelled_by"], late["refund_fen"]) == (
        "cancelled", "guardian", 4500,
    )  # fmt: skip
    assert late["updated_at"] == NOW + timedelta(hours=1) and late["booked_at"] == NOW
    assert late["history"][-1] == {
        "status": "cancelled", "at": NOW + timedelta(hours=1), "detail": "家长取消，退款¥45.00：孩子发烧",
    }  # fmt: skip
    assert (full["status"], full["cancelled_by"], full["refund_fen"]) == (
        "cancelled", "institution", 6000,
    )  # fmt: skip
    assert [h["status"] for h in full["history"]] == ["requested", "confirmed", "cancelled"]
    assert full["history"][-1]["detail"] == "机构取消，退款¥60.00"


async def test_a_guardian_lists_upcoming_and_past_bookings_of_their_children_only(
    store: EventStore,
):
    iid, room_id = await _world(store)
    mother, father, stranger = uuid4(), uuid4(), uuid4()
    kid = await child(store, mother, TODDLER_BIRTH)
    await add_guardian(store, kid, father)
    other = await child(store, stranger, TODDLER_BIRTH)
    morning = await book(store, kid, mother, iid, room_id, "09:00", "11:00")
    afternoon = await book(store, kid, mother, iid, room_id, "14:00", "16:00")
    await book(store, other, stranger, iid, room_id, "09:00", "11:00")
    await project(store)
    noon = NOW + timedelta(hours=16)  # 12:00 on DAY in Shanghai

    upcoming, total = await booking_queries.list_for_guardian(
        store.pool, father, upcoming=True, now=NOW, limit=10, offset=0
    )
    assert [b["id"] for b in upcoming] == [morning, afternoon] and total == 2
    later, total = await booking_queries.list_for_guardian(
        store.pool, mother, upcoming=True, now=noon, limit=10, offset=0
    )
    past, _ = await booking_queries.list_for_guardian(
        store.pool, mother, upcoming=False, now=noon, limit=10, offset=0
    )
    assert [b["id"] for b in later] == [afternoon] and total == 1
    assert [b["id"] for b in past] == [morning]
    page, total = await booking_queries.list_for_guardian(
        store.pool, mother, upcoming=True, now=NOW, limit=1, offset=5
    )
    assert page == [] and total == 2


async def test_an_institution_lists_the_days_bookings_by_start(store: EventStore):
    iid, room_id = await _world(store)
    mother = uuid4()
    first, second = [await child(store, mother, TODDLER_BIRTH) for _ in range(2)]
    late = await book(store, first, mother, iid, room_id, "13:00", "15:00")
    early = await book(store, second, mother, iid, room_id, "08:30", "10:00")
    await project(store)

    listed, total = await booking_queries.list_for_institution_day(store.pool, iid, DAY)

    assert [b["id"] for b in listed] == [early, late] and total == 2
    second_page = await booking_queries.list_for_institution_day(store.pool, iid, DAY, offset=1)
    assert [b["id"] for b in second_page[0]] == [late] and second_page[1] == 2
    other_day = DAY.replace(day=2)
    assert await booking_queries.list_for_institution_day(store.pool, iid, other_day) == ([], 0)
    assert await booking_queries.get_booking(store.pool, uuid4()) is None


async def _rows(store: EventStore) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: [tuple(r) for r in await store.pool.fetch(f"SELECT * FROM {table} ORDER BY {table}")]
        for table in bookings.tables
    }


async def test_a_rebuilt_bookings_model_equals_the_live_one(store: EventStore):
    iid, room_id = await _world(store)
    mother = uuid4()
    kids = [await child(store, mother, TODDLER_BIRTH) for _ in range(4)]
    made = [await book(store, k, mother, iid, room_id, "09:00", "12:00") for k in kids]
    await cancel(store, room_id, made[1])
    await cancel(store, room_id, made[3], by_institution=True, reason="停电")
    await book(store, kids[1], mother, iid, room_id, "13:00", "14:00", day=DAY.replace(day=2))
    # Batches of two split Opened from CareBooked and CareBooked from its cancellation.
    projector = await project(store, batch_size=2)
    live = await _rows(store)

    await projector.rebuild(bookings)

    assert await _rows(store) == live
    assert len(live["rm_room_days"]) == 2 and len(live["rm_bookings"]) == 5
    assert len(live["rm_booking_history"]) == 5 * 2 + 2
