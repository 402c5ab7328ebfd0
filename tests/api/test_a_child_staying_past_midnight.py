"""A child who stays past midnight in a room open round the clock, booked 19:00–24:00 on DAY and
00:00–05:00 the next day: the next day's booking counts as arrived at midnight on its own
room-day (the no-show job does not free the place of a child who is there), and the live view,
the room-day's occupancy and the register all have the child in the room; a rebuild agrees."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from backend.scheduler import release_due_no_shows
from backend.state import Runtime
from projections import attendance, bookings
from tests.api.days import SHANGHAI, day
from tests.api.night_world import (
    STAYING_ON,
    Booked,
    NightRooms,
    clock_at,
    night_rooms,
    picked_up,
    status,
)
from tests.api.rebuilds import rebuilt_equals_live
from tests.api.room_moves_world import read, register
from tests.api.world import World

NIGHT_NEXT_DOOR: tuple[Booked, ...] = (
    ("evening", 0, 0, "19:00", "24:00"), ("night", 1, 1, "00:00", "05:00"),
)  # fmt: skip


async def _history(world: World, rooms: NightRooms, which: str) -> list[tuple[str, str]]:
    """The booking's status changes, each with its local time."""
    booking = await read(world, f"/v1/bookings/{rooms.bookings[which]}", rooms.guardian)
    return [
        (h["status"], datetime.fromisoformat(h["at"]).astimezone(SHANGHAI).strftime("%H:%M"))
        for h in booking["history"]
    ]


async def _booked_at(world: World, rooms: NightRooms, room_id: UUID, hh_mm: str) -> int:
    """How many places the room-day of the next day counts as booked at `hh_mm`."""
    path = f"/v1/rooms/{room_id}/occupancy?date={day(1)}"
    occupancy: Any = await read(world, path, rooms.admin)
    [segment] = [s for s in occupancy["segments"] if s["start"] <= hh_mm < s["end"]]
    return int(segment["booked"])


async def _live_room(world: World, rooms: NightRooms, room_id: UUID) -> dict[str, Any]:
    live = await read(world, f"/v1/institutions/{rooms.institution_id}/occupancy/live", rooms.admin)
    [room] = [r for r in live["rooms"] if r["room_id"] == str(room_id)]
    return dict(room)


async def test_a_child_still_here_after_midnight_has_its_next_day_booking_arrived_at_midnight(
    world: World, second_worker: Runtime
):
    rooms = await night_rooms(world, STAYING_ON)
    clock_at(world, 331)  # 00:31: the no-show time (30 minutes) has passed
    second_worker.clock = world.runtime.clock
    ticks = await asyncio.gather(release_due_no_shows(world.runtime),
                                 release_due_no_shows(second_worker))  # fmt: skip
    assert ticks == [0, 0]
    assert await release_due_no_shows(world.runtime) == 0  # and again: nothing more happens
    assert await status(world, rooms, "night") == "checked_in"
    history = await _history(world, rooms, "night")
    assert [s for s, _ in history] == ["requested", "confirmed", "checked_in"]
    assert history[-1][1] == "00:00"  # arrived when the booking began, the child being here
    assert await _booked_at(world, rooms, rooms.first, "01:00") == 1  # the place stays the child's
    room = await _live_room(world, rooms, rooms.first)
    assert [c["child_id"] for c in room["children"]] == [str(rooms.child)]
    assert room["expected_next_hour"] == 0
    [row] = await register(world, rooms.first, rooms.admin)  # on the day the stay began
    assert (row["checked_in"], row["checked_out"]) == ("19:00", None)
    assert await register(world, rooms.first, rooms.admin, day(1)) == []
    await picked_up(world, rooms, 360)  # collected at 01:00: the night's booking is over
    assert await status(world, rooms, "night") == "completed"
    assert await status(world, rooms, "evening") == "completed"


async def test_a_child_kept_on_next_door_keeps_its_booking_there_and_it_ends_at_the_pick_up(
    world: World,
):
    """Booked in the second room from midnight but kept in the first: not a no-show while it is
    here (it may be moved any minute), and when it is collected the booking ends as attended:
    the child was in care through its start."""
    rooms = await night_rooms(world, NIGHT_NEXT_DOOR)
    clock_at(world, 331)
    assert await release_due_no_shows(world.runtime) == 0
    assert await status(world, rooms, "night") == "confirmed"
    assert await _booked_at(world, rooms, rooms.second, "01:00") == 1
    await picked_up(world, rooms, 360)
    clock_at(world, 400)
    assert await release_due_no_shows(world.runtime) == 0
    assert await status(world, rooms, "night") == "completed"
    assert await _booked_at(world, rooms, rooms.second, "01:00") == 0


async def test_a_child_who_left_before_midnight_is_still_a_no_show_for_the_next_day(
    world: World,
):
    rooms = await night_rooms(world, STAYING_ON)
    await picked_up(world, rooms, 290)  # collected at 23:50
    clock_at(world, 331)
    assert await release_due_no_shows(world.runtime) == 1
    assert await status(world, rooms, "night") == "no_show"


async def test_a_night_rebuilt_from_its_events_equals_the_live_read_models(world: World):
    rooms = await night_rooms(world, STAYING_ON)
    clock_at(world, 331)
    assert await release_due_no_shows(world.runtime) == 0
    await picked_up(world, rooms, 360)
    live = await rebuilt_equals_live(world, attendance, bookings)
    assert any(r[1] == "checked_in" for r in live["rm_booking_history"])
