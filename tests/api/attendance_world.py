"""A room on the day of care for attendance tests: booked children with admission checks, a
caregiver, and a clock moved to 09:00 Shanghai on that day (tokens stay on the real clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.clock import Clock, FrozenClock
from tests.api.booking_world import DAY, HOURLY, bookable_room, booking_body, many_children, put
from tests.api.days import NINE, TODAY
from tests.api.world import PASSWORD, Caller, World, new_phone

WELL = {"temperature_c": 36.6}
EXAMINED = (TODAY - timedelta(days=4)).isoformat()  # before admission, on the real clock


@dataclass
class Room:
    institution_id: UUID
    room_id: UUID
    admin: Caller
    caregiver: Caller
    guardian: Caller
    children: list[UUID]
    bookings: list[str]


def at(minutes: int = 0) -> str:
    return (NINE + timedelta(minutes=minutes)).isoformat()


async def caregiver_of(world: World, institution_id: UUID, admin: Caller) -> Caller:
    phone = new_phone("137")
    body = {"phone": phone, "display_name": "张老师", "password": PASSWORD, "role": "caregiver"}
    response = await world.post(f"/v1/institutions/{institution_id}/staff", body, admin)
    assert response.status_code == 201, response.text
    return await world.login(phone)


async def attending_room(
    world: World, children: int = 1, *, capacity: int = 15, examined: bool = True,
    clock_in: bool = True,
) -> Room:  # fmt: skip
    """The room at 09:00 on the day of care. Sign everyone else in before calling this: tokens
    minted once the clock has moved to the day of care are not yet valid on the real clock."""
    institution_id, room_id, admin = await bookable_room(world, capacity=capacity)
    caregiver = await caregiver_of(world, institution_id, admin)
    guardian = await world.guardian()
    kids = await many_children(world, guardian, children)
    bookings = []
    for kid in kids:
        response = await world.post("/v1/bookings", booking_body(institution_id, room_id, kid),
                              guardian)  # fmt: skip
        assert response.status_code == 201, response.text
        bookings.append(response.json()["id"])
        if examined:
            record = {"kind": "admission", "examined_on": EXAMINED, "passed": True,
                      "vaccination_checked": True}  # fmt: skip
            response = await world.post(f"/v1/children/{kid}/health-records", record, admin)
            assert response.status_code == 201, response.text
    world.runtime.clock = FrozenClock(at=NINE)
    room = Room(institution_id, room_id, admin, caregiver, guardian, kids, bookings)
    if clock_in:
        response = await world.post("/v1/staff/clock-ins", {"room_id": str(room_id), "at": at()},
                              caregiver)  # fmt: skip
        assert response.status_code == 201, response.text
    return room


async def second_room(world: World, room: Room, name: str = "月亮班") -> UUID:
    """Another room of the same institution, offering the same hourly care (set up on the real
    clock, which the admin's token is checked against)."""
    frozen, world.runtime.clock = world.runtime.clock, Clock()
    try:
        base = f"/v1/institutions/{room.institution_id}"
        added = await world.add_room(room.institution_id, room.admin, name=name)
        room_id = UUID(added.json()["id"])
        await put(world, f"{base}/rooms/{room_id}/offers", {"offers": [HOURLY]}, room.admin)
        shifts = [{"weekday": d, "starts": "08:00", "ends": "17:30", "staff": 2}
                  for d in range(1, 6)]  # fmt: skip
        await put(world, f"{base}/rooms/{room_id}/roster", {"shifts": shifts}, room.admin)
    finally:
        world.runtime.clock = frozen
    return room_id


def check_in_body(room: Room, child: UUID, minutes: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "child_id": str(child), "room_id": str(room.room_id), "at": at(minutes),
        "health_check": WELL, "method": "manual", **extra,
    }  # fmt: skip


def check_out_body(room: Room, child: UUID, phone: str, minutes: int = 480, **extra: Any):
    return {
        "child_id": str(child), "institution_id": str(room.institution_id), "at": at(minutes),
        "collector": {"name": "李妈妈", "phone": phone, "identity_check": "id_card"}, **extra,
    }  # fmt: skip


async def check_in(world: World, room: Room, child: UUID, who: Caller | None = None, **extra):
    return await world.post("/v1/attendance/check-ins", check_in_body(room, child, **extra),
                      who or room.caregiver)  # fmt: skip


def clock_to(world: World, minutes: int) -> None:
    """The server's clock `minutes` after 09:00 on DAY."""
    world.runtime.clock.at = NINE + timedelta(minutes=minutes)  # type: ignore[attr-defined]


async def collected(world: World, room: Room, minutes: int) -> None:
    """The room's first child collected by its guardian `minutes` after 09:00 on DAY, then."""
    clock_to(world, minutes)
    out = check_out_body(room, room.children[0], room.guardian.phone, minutes=minutes)
    left = await world.post("/v1/attendance/check-outs", out, room.caregiver)
    assert left.status_code == 201, left.text


async def booked_here_then_elsewhere(world: World) -> tuple[Room, UUID, UUID, Caller]:
    """A child booked 09:00–11:00 in `room`, then 11:00–13:00 at another institution (its id,
    its room's, and a caregiver clocked in there at 10:30)."""
    other_id, other_room, other_admin = await bookable_room(world)
    other_carer = await caregiver_of(world, other_id, other_admin)
    room = await attending_room(world)
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # bookings on the real clock
    try:
        afternoon = booking_body(other_id, other_room, room.children[0], "11:00", "13:00")
        assert (await world.post("/v1/bookings", afternoon, room.guardian)).status_code == 201
    finally:
        world.runtime.clock = frozen
    clock_in = {"room_id": str(other_room), "at": at(90)}
    world.runtime.clock.at = NINE + timedelta(minutes=90)  # type: ignore[attr-defined]
    assert (await world.post("/v1/staff/clock-ins", clock_in, other_carer)).status_code == 201
    return room, other_id, other_room, other_carer


def arrival_there(child: UUID, other_room: UUID, minutes: int, **extra: Any) -> dict[str, Any]:
    """A check-in at the other institution's room (booked_here_then_elsewhere), at 09:00 +
    `minutes`."""
    return {"child_id": str(child), "room_id": str(other_room), "at": at(minutes),
            "health_check": WELL, "method": "manual", **extra}  # fmt: skip


async def visit_with_words(world: World, room: Room, child: UUID, words: str) -> None:
    """The admin checks the child in past the ratio (nobody clocked in) with `words` as the
    morning check's observations, the note and the reason, then corrects the arrival to 08:55
    with `words` as the reason: every free text the register keeps about a visit."""
    arrived = await check_in(
        world, room, child, who=room.admin, note=words, override_reason=words,
        health_check={"temperature_c": 36.6, "observations": words},
    )  # fmt: skip
    assert arrived.status_code == 201, arrived.text
    fix = {"child_id": str(child), "room_id": str(room.room_id), "arrived_at": at(-5),
           "replaces": at(0), "reason": words}  # fmt: skip
    path = f"/v1/institutions/{room.institution_id}/attendance/corrections"
    corrected = await world.post(path, fix, room.admin)
    assert corrected.status_code == 201, corrected.text


__all__ = ["DAY"]
