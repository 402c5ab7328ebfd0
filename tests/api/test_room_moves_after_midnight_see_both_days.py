"""A move after midnight of a child nobody collected is recorded on the day of its stay (DAY),
but the room it goes to is judged on who is in it at the move: the carers who clocked in after
midnight count, and the children who arrived after midnight take places, as the live view shows
them (ADR 0007, 0024)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from backend.clock import Clock
from projections import attendance, bookings
from tests.api.attendance_world import caregiver_of
from tests.api.booking_world import many_children
from tests.api.night_world import (
    NightRooms,
    admitted,
    book,
    check_in,
    clock_at,
    local_at,
    night_rooms,
)
from tests.api.rebuilds import rebuilt_equals_live
from tests.api.room_moves_world import MOVES, read
from tests.api.world import Caller, World

# the child's bookings: 19:00–23:30 in the first room, 00:30–02:00 the next day in the second
NEXT_DOOR_FROM_0030 = (("first", 0, 0, "19:00", "23:30"), ("next day", 1, 1, "00:30", "02:00"))


def _move(rooms: NightRooms, minutes_after_seven_pm: int) -> dict[str, Any]:
    return {"child_id": str(rooms.child), "institution_id": str(rooms.institution_id),
            "to_room_id": str(rooms.second),
            "at": local_at(minutes_after_seven_pm).isoformat()}  # fmt: skip


async def _live_room(world: World, rooms: NightRooms, room_id: UUID) -> dict[str, Any]:
    live = await read(world, f"/v1/institutions/{rooms.institution_id}/occupancy/live", rooms.admin)
    [room] = [r for r in live["rooms"] if r["room_id"] == str(room_id)]
    return dict(room)


async def _staffed_from_midnight(world: World) -> NightRooms:
    """Nobody in the second room on DAY; its carer clocks in there at 00:00 the next day."""
    rooms = await night_rooms(world, NEXT_DOOR_FROM_0030, second_carer_in=False)
    clock_at(world, 300)
    clock_in = {"room_id": str(rooms.second), "at": local_at(300).isoformat()}
    clocked = await world.post("/v1/staff/clock-ins", clock_in, rooms.second_carer)
    assert clocked.status_code == 201, clocked.text
    return rooms


@pytest.mark.parametrize("sent_after", [0, 20], ids=["live", "replayed 20 minutes late"])
async def test_a_move_after_midnight_into_a_room_staffed_since_midnight_counts_its_carer(
    world: World, sent_after: int
):
    rooms = await _staffed_from_midnight(world)
    clock_at(world, 340 + sent_after)
    moved = await world.post(MOVES, _move(rooms, 340), rooms.carer)  # at 00:40
    assert moved.status_code == 201, moved.text
    assert moved.json()["override_reason"] is None
    room = await _live_room(world, rooms, rooms.second)
    assert [c["child_id"] for c in room["children"]] == [str(rooms.child)]
    assert [s["account_id"] for s in room["staff"]] == [str(rooms.second_carer.account_id)]
    assert (room["ratio_ok"], room["alarm"]) == (True, None)


async def test_a_carer_who_clocked_in_after_midnight_may_move_a_child_into_their_room(
    world: World,
):
    rooms = await _staffed_from_midnight(world)
    clock_at(world, 340)
    moved = await world.post(MOVES, _move(rooms, 340), rooms.second_carer)
    assert moved.status_code == 201, moved.text


async def _night_carer(world: World, rooms: NightRooms) -> Caller:
    """Another caregiver, signed in on the real clock (tokens are checked against it)."""
    frozen, world.runtime.clock = world.runtime.clock, Clock()
    try:
        return await caregiver_of(world, rooms.institution_id, rooms.admin)
    finally:
        world.runtime.clock = frozen


async def test_a_move_after_midnight_into_a_room_filled_since_midnight_is_refused(world: World):
    """The second room holds 3; its carer of DAY is still clocked in. After midnight a night
    carer clocks in there and three children arrive, booked 00:00–00:30 and not collected yet:
    the room is full at 00:40, though DAY's record of it holds nobody."""
    rooms = await night_rooms(world, NEXT_DOOR_FROM_0030, second_capacity=3)
    night_carer = await _night_carer(world, rooms)
    others = await admitted_with_bookings(world, rooms, 3)
    clock_at(world, 300)
    clock_in = {"room_id": str(rooms.second), "at": local_at(300).isoformat()}
    assert (await world.post("/v1/staff/clock-ins", clock_in, night_carer)).status_code == 201
    for other in others:
        arrived = await check_in(world, rooms, other, 1, local_at(301))
        assert arrived.status_code == 201, arrived.text
    clock_at(world, 340)
    moved = await world.post(MOVES, _move(rooms, 340), rooms.carer)
    assert moved.status_code == 409, moved.text
    assert moved.json()["type"].endswith("room-full")
    overridden = await world.post(
        MOVES, {**_move(rooms, 340), "override_reason": "夜间并班"}, rooms.admin
    )
    assert overridden.status_code == 201, overridden.text
    assert overridden.json()["override_reason"] == "夜间并班"
    room = await _live_room(world, rooms, rooms.second)
    assert len(room["children"]) == 4
    assert room["alarm"] == "size"
    await rebuilt_equals_live(world, attendance, bookings)


async def admitted_with_bookings(world: World, rooms: NightRooms, count: int) -> list[UUID]:
    """`count` children of the night's guardian, booked 00:00–00:30 the next day in the second
    room (on the real clock) and admitted."""
    frozen, world.runtime.clock = world.runtime.clock, Clock()
    try:
        kids = await many_children(world, rooms.guardian, count)
        for kid in kids:
            await book(world, rooms, kid, 1, 1, "00:00", "00:30")
        await admitted(world, rooms, kids)
    finally:
        world.runtime.clock = frozen
    return kids
