"""Room moves at the ends of the institution's local day (Asia/Shanghai, UTC+8): a move at
23:59 belongs to that day however late a tablet sends it, and a move after midnight of a child
nobody collected belongs to the day of its stay, as its pick-up does; the register, the child's
day and the rooms' bookings all say the same dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.scheduler import release_due_no_shows
from tests.api.days import DAY, day
from tests.api.night_world import (
    MOVING_ON,
    NightRooms,
    local_at,
    night_rooms,
    picked_up,
    status,
)
from tests.api.room_moves_world import MOVES, read, register
from tests.api.world import World


def _move(rooms: NightRooms, at: datetime) -> dict[str, Any]:
    return {"child_id": str(rooms.child), "institution_id": str(rooms.institution_id),
            "to_room_id": str(rooms.second), "at": at.isoformat()}  # fmt: skip


async def _on_day_of_stay(world: World, rooms: NightRooms, local_time: str) -> None:
    """The move is on DAY everywhere: the register's rows, the child's day; nothing on the
    next day's."""
    [left] = await register(world, rooms.first, rooms.admin)
    [came] = await register(world, rooms.second, rooms.admin)
    assert (left["checked_in"], left["checked_out"]) == ("19:00", local_time)
    assert (came["checked_in"], came["method"]) == (local_time, "room_move")
    assert await register(world, rooms.second, rooms.admin, day(1)) == []
    days = await read(world, f"/v1/children/{rooms.child}/days/{DAY}", rooms.guardian)
    assert (days["entries"][-1]["time"], days["entries"][-1]["detail"]) == (
        local_time, f"转到月亮班 {local_time}",
    )  # fmt: skip
    following = await read(world, f"/v1/children/{rooms.child}/days/{day(1)}", rooms.guardian)
    assert "room_move" not in [e["kind"] for e in following["entries"]]


async def test_a_move_at_23_59_is_on_that_day_everywhere(world: World):
    rooms = await night_rooms(world)
    world.runtime.clock.at = local_at(299)  # type: ignore[attr-defined]  # 23:59
    moved = await world.post(MOVES, _move(rooms, local_at(299)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["local_time"] == "23:59"
    assert moved.json()["booking_id"] == rooms.bookings["second"]
    await _on_day_of_stay(world, rooms, "23:59")
    assert await status(world, rooms, "first") == "completed"
    assert await status(world, rooms, "second") == "checked_in"


async def test_a_move_at_23_59_replayed_after_midnight_is_on_the_day_it_was_made(world: World):
    rooms = await night_rooms(world)
    world.runtime.clock.at = local_at(330)  # type: ignore[attr-defined]  # 00:30 the next day
    moved = await world.post(MOVES, _move(rooms, local_at(299)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["local_time"] == "23:59"
    await _on_day_of_stay(world, rooms, "23:59")
    assert await status(world, rooms, "first") == "completed"
    assert await status(world, rooms, "second") == "checked_in"


async def test_a_move_within_the_tolerance_before_a_booking_at_midnight_checks_that_booking_in(
    world: World,
):
    """Moved at 23:45 on the day of its stay into a room whose booking starts at 00:00 the
    next day: the move is on its day, the booking on the next day's room-day is the one that
    counts as arrived, and the no-show job leaves it alone."""
    rooms = await night_rooms(world, [b for b in MOVING_ON if b[0] != "second"])
    world.runtime.clock.at = local_at(285)  # type: ignore[attr-defined]  # 23:45
    moved = await world.post(MOVES, _move(rooms, local_at(285)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["booking_id"] == rooms.bookings["next day"]
    await _on_day_of_stay(world, rooms, "23:45")
    assert await status(world, rooms, "next day") == "checked_in"
    world.runtime.clock.at = local_at(345)  # type: ignore[attr-defined]  # 00:45
    assert await release_due_no_shows(world.runtime) == 0


async def test_a_move_after_midnight_of_a_child_nobody_collected_is_on_the_day_of_its_stay(
    world: World,
):
    """Moved at 00:10 into a room whose booking of the next day covers it: the move is on the
    day of the stay (as its pick-up would be), the next day's booking counts as arrived, and the
    pick-up at 00:40 completes it."""
    rooms = await night_rooms(world)
    world.runtime.clock.at = local_at(310)  # type: ignore[attr-defined]  # 00:10 the next day
    moved = await world.post(MOVES, _move(rooms, local_at(310)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["local_time"] == "00:10"
    assert moved.json()["booking_id"] == rooms.bookings["next day"]
    await _on_day_of_stay(world, rooms, "00:10")
    assert await status(world, rooms, "next day") == "checked_in"
    await picked_up(world, rooms, 340)  # 00:40
    assert await status(world, rooms, "next day") == "completed"
    [came] = await register(world, rooms.second, rooms.admin)
    assert (came["checked_in"], came["checked_out"]) == ("00:10", "00:40")
