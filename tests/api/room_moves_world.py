"""Two rooms of one institution on the day of care for room-move tests (转班): a child checked
in to the first, booked in the second, a caregiver clocked in to each, the clock at 10:40."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.clock import Clock
from tests.api.attendance_world import (
    NINE,
    Room,
    at,
    attending_room,
    caregiver_of,
    check_in,
    second_room,
)
from tests.api.booking_world import booking_body
from tests.api.days import DAY
from tests.api.world import Caller, World

MOVES = "/v1/attendance/room-moves"
MOVE_AT = 100  # 10:40, within the 30 minutes' tolerance of the second room's 11:00 booking


@dataclass
class TwoRooms:
    first: Room  # its children checked in at 09:00, its caregiver clocked in
    second_id: UUID  # 月亮班, each child booked there 11:00–13:00 unless told otherwise
    second_carer: Caller  # clocked in to the second room at 09:00 unless told otherwise


async def two_rooms(
    world: World, children: int = 1, *, booked: int | None = None, present: int | None = None,
    carer_in_second: bool = True, capacity: int = 15,
) -> TwoRooms:  # fmt: skip
    """Sign everyone else in before calling this (the clock moves to the day of care)."""
    first = await attending_room(world, children, capacity=capacity)
    second_id = await second_room(world, first)
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # sign in and book on real time
    try:
        second_carer = await caregiver_of(world, first.institution_id, first.admin)
        for child in first.children[: children if booked is None else booked]:
            body = booking_body(first.institution_id, second_id, child, "11:00", "13:00")
            response = await world.post("/v1/bookings", body, first.guardian)
            assert response.status_code == 201, response.text
    finally:
        world.runtime.clock = frozen
    for child in first.children[: min(children, 5) if present is None else present]:
        assert (await check_in(world, first, child)).status_code == 201
    if carer_in_second:
        clock_in = {"room_id": str(second_id), "at": at()}
        assert (await world.post("/v1/staff/clock-ins", clock_in, second_carer)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT)  # type: ignore[attr-defined]
    return TwoRooms(first, second_id, second_carer)


def move_body(rooms: TwoRooms, child: UUID, minutes: int = MOVE_AT, **extra: Any) -> dict[str, Any]:
    """A move of `child` to the second room at 09:00 + `minutes` (`to_room_id=` for another)."""
    return {
        "child_id": str(child), "institution_id": str(rooms.first.institution_id),
        "to_room_id": str(rooms.second_id), "at": at(minutes), **extra,
    }  # fmt: skip


async def read(world: World, path: str, who: Caller) -> Any:
    """A read once every event so far is projected."""
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    response = await world.client.get(path, headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return response.json()


async def register(
    world: World, room_id: UUID, who: Caller, date: str = DAY
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await read(
        world, f"/v1/rooms/{room_id}/attendance?date={date}", who
    )
    return rows
