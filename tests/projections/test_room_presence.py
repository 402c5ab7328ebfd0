"""The process's copy of who is present in each room-day answers as the read models do: it is
read once, kept while no change to that room-day is heard, and never keeps what a change
overtook. Rows changed here behind its back (not through the projector) show what it kept."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from backend.eventstore.store import EventStore
from domain.booking.room_day import room_day_id
from projections import bookings, enrolments, notifications, waitlist
from projections.room_presence import NOBODY, Present, RoomPresence
from tests.projections.booking_world import (
    DAY,
    NOW,
    RoomSpec,
    book,
    child,
    city,
    institution,
    project,
)

BIRTH = date(2025, 6, 1)


async def _rooms_each_with_a_booking(store: EventStore, count: int = 1) -> list[UUID]:
    """Rooms of one institution, each with a booking from 09:00 to 11:00 at 1:5."""
    specs = [RoomSpec(f"小{i}班", capacity=5) for i in range(count)]
    iid = await institution(store, await city(store), "近邻托育", specs, north_km=0.5)
    mother = uuid4()
    for spec in specs:
        kid = await child(store, mother, BIRTH)
        await book(store, kid, mother, iid, spec.room_id, "09:00", "11:00")
    await project(store)
    return [spec.room_id for spec in specs]


async def _cancel_unheard(store: EventStore, room_id: UUID) -> None:
    """Cancel the room's bookings in the read model without telling the copy."""
    await store.pool.execute(
        "UPDATE rm_bookings SET status = 'cancelled' WHERE room_id = $1", room_id
    )


async def _present(presence: RoomPresence, store: EventStore, room_id: UUID) -> Present:
    return (await presence.of_rooms(store.pool, [room_id], DAY, NOW))[room_id]


BOOKED = ([540], [660], [5])  # 09:00–11:00, 1:5


class _HeldRead:
    """The real database, but a read's rows are held back until `release` is set: a read
    that a change overtakes, on purpose."""

    def __init__(self, store: EventStore) -> None:
        self.pool = store.pool
        self.read, self.release = asyncio.Event(), asyncio.Event()

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        rows = await self.pool.fetch(query, *args)
        self.read.set()
        await self.release.wait()
        return rows

    def of_rooms(self, presence: RoomPresence, room_id: UUID) -> asyncio.Task[Any]:
        return asyncio.create_task(presence.of_rooms(self, [room_id], DAY, NOW))  # type: ignore[arg-type]


async def test_a_room_day_is_kept_until_a_change_to_that_room_day_is_heard(store: EventStore):
    room, other = await _rooms_each_with_a_booking(store, 2)
    presence = RoomPresence()
    assert await presence.of_rooms(store.pool, [room, other], DAY, NOW) == {
        room: BOOKED,
        other: BOOKED,
    }

    await _cancel_unheard(store, room)
    assert await _present(presence, store, room) == BOOKED  # kept: not read again
    presence.heard([bookings.name], {bookings.name: {room_day_id(other, DAY)}})
    assert await _present(presence, store, room) == BOOKED
    presence.heard([notifications.name], {})  # a model searches do not read
    assert await _present(presence, store, room) == BOOKED
    presence.heard([waitlist.name], {waitlist.name: {room_day_id(room, DAY)}})
    assert await _present(presence, store, room) == NOBODY


async def test_a_room_with_nobody_that_day_is_kept_as_nobody(store: EventStore):
    [room] = await _rooms_each_with_a_booking(store)
    presence = RoomPresence()
    other_day = date(2026, 12, 2)

    assert await presence.of_rooms(store.pool, [room], other_day, NOW) == {room: NOBODY}
    assert await _present(presence, store, room) == BOOKED


async def test_a_change_not_known_by_room_day_drops_every_room_day(store: EventStore):
    [room] = await _rooms_each_with_a_booking(store)
    unknown = (
        ([enrolments.name], {}),  # a regular place covers a term of days
        ([enrolments.name], {enrolments.name: {uuid4()}}),
        ([bookings.name], {}),  # another process applied it, or a rebuild
        ([bookings.name, waitlist.name], {bookings.name: {uuid4()}}),
    )
    for names, streams in unknown:
        presence = RoomPresence()
        [read_end] = (await _present(presence, store, room))[1]
        await store.pool.execute(
            "UPDATE rm_bookings SET end_min = end_min + 1 WHERE room_id = $1", room
        )
        presence.heard(names, streams)
        assert (await _present(presence, store, room))[1] == [read_end + 1], names


async def test_a_read_overtaken_by_a_change_to_its_room_day_is_not_kept(store: EventStore):
    [room] = await _rooms_each_with_a_booking(store)
    presence = RoomPresence()

    held = _HeldRead(store)
    reading = held.of_rooms(presence, room)
    await held.read.wait()  # it read the booking
    await _cancel_unheard(store, room)
    presence.heard([bookings.name], {bookings.name: {room_day_id(room, DAY)}})
    held.release.set()
    assert (await reading)[room] == BOOKED  # answered as read

    assert await _present(presence, store, room) == NOBODY


@pytest.mark.parametrize("remembered", [2, 0])
async def test_a_read_during_more_changes_than_are_remembered_keeps_nothing(
    store: EventStore, remembered: int
):
    [room] = await _rooms_each_with_a_booking(store)
    presence = RoomPresence(remembered_changes=remembered)

    held = _HeldRead(store)
    reading = held.of_rooms(presence, room)
    await held.read.wait()
    await _cancel_unheard(store, room)
    presence.heard([bookings.name], {bookings.name: {room_day_id(room, DAY)}})
    for _ in range(remembered):  # then changes to other room-days push it out of memory
        presence.heard([bookings.name], {bookings.name: {uuid4()}})
    held.release.set()
    await reading

    assert await _present(presence, store, room) == NOBODY


async def test_past_its_bound_the_copy_lets_the_oldest_room_day_go(store: EventStore):
    first, second = await _rooms_each_with_a_booking(store, 2)
    presence = RoomPresence(bound=1)

    await _present(presence, store, first)
    await _present(presence, store, second)
    await _cancel_unheard(store, first)
    await _cancel_unheard(store, second)

    assert await _present(presence, store, second) == BOOKED  # kept
    assert await _present(presence, store, first) == NOBODY  # let go: read again
