"""An arrival after midnight in a room open round the clock is judged on who is in the room, as
the live view shows it: the children who stayed on from DAY (nobody collected them; their next
day's booking runs) take places and count toward the ratio and the filed places, and DAY's
carers still clocked in count (ADR 0007). The arrival is on the next day's record."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.api.days import day
from tests.api.night_world import (
    STAYING_ON,
    NightRooms,
    booked_children,
    check_in,
    clock,
    clock_at,
    local_at,
    night_carer,
    night_rooms,
)
from tests.api.room_moves_world import read, register
from tests.api.world import World

UNTIL_MIDNIGHT = (0, "19:00", "24:00")  # (days after DAY, start, end): nobody collects them
FROM_0030 = "00:30", "02:00"  # the booking of a child who comes after midnight


async def _live_room(world: World, rooms: NightRooms, room_id: UUID) -> dict[str, Any]:
    live = await read(world, f"/v1/institutions/{rooms.institution_id}/occupancy/live", rooms.admin)
    [room] = [r for r in live["rooms"] if r["room_id"] == str(room_id)]
    return dict(room)


async def test_an_arrival_after_midnight_counts_the_carer_who_stayed_with_a_child_from_the_day_before(
    world: World,
):
    """The first room holds the night's child, here since 19:00, and its carer of DAY: a child
    who comes at 00:30 has a carer, though none clocked in on the new day."""
    rooms = await night_rooms(world, STAYING_ON, second_carer_in=False)
    [late] = await booked_children(world, rooms, 1, [(0, 1, *FROM_0030)])
    clock_at(world, 330)
    arrived = await check_in(world, rooms, late, 0, local_at(330))
    assert arrived.status_code == 201, arrived.text
    room = await _live_room(world, rooms, rooms.first)
    assert len(room["children"]) == 2
    assert [s["account_id"] for s in room["staff"]] == [str(rooms.carer.account_id)]
    assert (room["ratio_ok"], room["alarm"]) == (True, None)
    [row] = await register(world, rooms.first, rooms.admin, day(1))  # on the new day's record
    assert row["checked_in"] == "00:30"


async def test_a_carer_of_the_evening_on_a_night_shift_counts_for_a_child_who_comes_after_midnight(
    world: World,
):
    """The second room's carer clocked in at 19:00 on DAY and stays the night; no child of
    DAY is left in that room. A child who comes at 00:30 has that carer, at the door and in
    the live view: in an institution open across midnight, the evening's carers still
    clocked in are on a night shift, not a clock-out forgotten."""
    rooms = await night_rooms(world, STAYING_ON)
    [late] = await booked_children(world, rooms, 1, [(1, 1, *FROM_0030)])
    clock_at(world, 330)
    arrived = await check_in(world, rooms, late, 1, local_at(330))
    assert arrived.status_code == 201, arrived.text
    room = await _live_room(world, rooms, rooms.second)
    assert [s["account_id"] for s in room["staff"]] == [str(rooms.second_carer.account_id)]
    assert (len(room["children"]), room["ratio_ok"], room["alarm"]) == (1, True, None)


@pytest.mark.parametrize("sent_after", [0, 20], ids=["live", "replayed 20 minutes late"])
async def test_an_arrival_after_midnight_into_a_room_full_of_children_who_stayed_on_is_refused(
    world: World, sent_after: int
):
    """The second room holds two; two children nobody collected stayed on there from DAY with
    its carer, and a night carer clocked in at 00:00. The new day's record of the room is empty, but the room
    is full at 00:30; an admin may still take the child in, and the room's alarm says so."""
    rooms = await night_rooms(world, STAYING_ON, second_capacity=2)
    staying = await booked_children(world, rooms, 2, [(1, *UNTIL_MIDNIGHT)])
    [late] = await booked_children(world, rooms, 1, [(1, 1, *FROM_0030)])
    carer = await night_carer(world, rooms)
    for child in staying:
        assert (await check_in(world, rooms, child, 1, local_at(0))).status_code == 201
    clock_at(world, 300)
    await clock(world, rooms, carer, 1, 300)
    clock_at(world, 330 + sent_after)
    refused = await check_in(world, rooms, late, 1, local_at(330))
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("room-full")
    overridden = await world.post(
        "/v1/attendance/check-ins",
        {"child_id": str(late), "room_id": str(rooms.second), "at": local_at(330).isoformat(),
         "health_check": {"temperature_c": 36.6}, "method": "manual",
         "override_reason": "夜间临时加托"},
        rooms.admin,
    )  # fmt: skip
    assert overridden.status_code == 201, overridden.text
    room = await _live_room(world, rooms, rooms.second)
    assert (len(room["children"]), room["alarm"]) == (3, "size")


async def test_an_arrival_after_midnight_counts_the_children_who_stayed_on_against_the_filed_places(
    world: World,
):
    """Three filed places (rooms of two and one), all three taken by children nobody collected
    on DAY: a child who comes at 00:30 to the first room, where a night carer clocked in at
    00:00 and its booking holds a place, is one child too many for the institution."""
    rooms = await night_rooms(world, STAYING_ON, first_capacity=2, second_capacity=1,
                              filed_places=3)  # fmt: skip
    [second] = await booked_children(world, rooms, 1, [(0, *UNTIL_MIDNIGHT)])
    [next_door] = await booked_children(world, rooms, 1, [(1, *UNTIL_MIDNIGHT)])
    [late] = await booked_children(world, rooms, 1, [(0, 1, *FROM_0030)])
    carer = await night_carer(world, rooms)
    assert (await check_in(world, rooms, second, 0, local_at(0))).status_code == 201
    assert (await check_in(world, rooms, next_door, 1, local_at(0))).status_code == 201
    clock_at(world, 300)
    await clock(world, rooms, carer, 0, 300)
    clock_at(world, 330)
    refused = await check_in(world, rooms, late, 0, local_at(330))
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("filed-places-exceeded")
