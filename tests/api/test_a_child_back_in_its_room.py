"""A child back in a room the same day under its booking there, completed when it left (moved
to another room and back, or collected and brought again): the room-day counts it again, so
the room's occupancy, the search and a booking all see the place it sits in as taken."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.clock import Clock
from tests.api.attendance_world import NINE, Room, at, attending_room, check_in, check_out_body
from tests.api.booking_world import HOURLY, booking_body, many_children, put
from tests.api.days import DAY
from tests.api.room_moves_world import MOVES, move_body, read, two_rooms
from tests.api.world import Caller, World

NO_NOTICE = {**HOURLY, "min_notice_minutes": 0}  # another family may book for the next minutes


async def _stranger(world: World) -> tuple[Caller, UUID]:
    """Another family, signed in before the clock moves to the day of care."""
    guardian = await world.guardian()
    [child] = await many_children(world, guardian, 1)
    return guardian, child


async def _one_place_bookable_at_once(world: World, room: Room) -> None:
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # the admin's token: real time
    try:
        path = f"/v1/institutions/{room.institution_id}/rooms/{room.room_id}/offers"
        await put(world, path, {"offers": [NO_NOTICE]}, room.admin)
    finally:
        world.runtime.clock = frozen


async def _place_is_taken(
    world: World, room: Room, family: tuple[Caller, UUID], start: str, end: str
) -> None:
    """The room's occupancy counts the child back in it, the search does not offer the room
    to another family for `start`–`end`, and their booking is refused as full."""
    guardian, child = family
    occupancy = await read(world, f"/v1/rooms/{room.room_id}/occupancy?date={DAY}", room.admin)
    [now] = [s for s in occupancy["segments"] if s["start"] <= start < s["end"]]
    assert now["booked"] == 1
    search = await read(
        world, f"/v1/availability?lat=31.3195&lng=120.6290&radius_km=5&date={DAY}"
        f"&start={start}&end={end}&child_id={child}", guardian,
    )  # fmt: skip
    assert str(room.room_id) not in {r["room_id"] for i in search for r in i["rooms"]}
    body = booking_body(room.institution_id, room.room_id, child, start, end)
    booked = await world.post("/v1/bookings", body, guardian)
    assert booked.status_code == 409, booked.text
    assert booked.json()["type"] == "/problems/room-full"


async def test_a_child_moved_back_to_its_first_room_holds_its_place_there_again(world: World):
    family = await _stranger(world)
    rooms = await two_rooms(world, capacity=1)
    first, [child] = rooms.first, rooms.first.children
    await _one_place_bookable_at_once(world, first)
    assert (await world.post(MOVES, move_body(rooms, child), first.caregiver)).status_code == 201
    world.runtime.clock.at += timedelta(minutes=5)  # type: ignore[attr-defined]
    back = move_body(rooms, child, 105, to_room_id=str(first.room_id))  # 10:45, its 09:00–11:00
    moved_back = await world.post(MOVES, back, first.caregiver)
    assert moved_back.status_code == 201, moved_back.text
    assert moved_back.json()["booking_id"] == first.bookings[0]
    await _place_is_taken(world, first, family, "10:50", "11:00")
    booking: Any = await read(world, f"/v1/bookings/{first.bookings[0]}", first.guardian)
    assert booking["status"] == "checked_in"
    assert [(h["status"], h["at"][11:16]) for h in booking["history"]][-3:] == [
        ("checked_in", "01:00"), ("completed", "02:40"), ("checked_in", "02:45"),
    ]  # fmt: skip  # UTC: 09:00, 10:40 and 10:45 in Shanghai


async def test_a_child_collected_and_brought_back_holds_its_place_again(world: World):
    family = await _stranger(world)
    first = await attending_room(world, 1, capacity=1)
    [child] = first.children
    assert (await check_in(world, first, child)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=30)  # type: ignore[attr-defined]
    out = check_out_body(first, child, first.guardian.phone, minutes=30)
    assert (await world.post("/v1/attendance/check-outs", out, first.caregiver)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=40)  # type: ignore[attr-defined]
    again = await check_in(world, first, child, at=at(40))  # from the doctor's, 09:40
    assert again.status_code == 201, again.text
    await _place_is_taken(world, first, family, "10:45", "11:00")  # the 60 minutes' notice
    collected = check_out_body(first, child, first.guardian.phone, minutes=90)
    world.runtime.clock.at = NINE + timedelta(minutes=90)  # type: ignore[attr-defined]
    left = await world.post("/v1/attendance/check-outs", collected, first.caregiver)
    assert left.status_code == 201, left.text
    booking: Any = await read(world, f"/v1/bookings/{first.bookings[0]}", first.guardian)
    assert [h["status"] for h in booking["history"]][-4:] == [
        "checked_in", "completed", "checked_in", "completed",
    ]  # fmt: skip
