"""An institution open round the clock (延时托 to midnight and on) with two rooms, for tests of a
child who stays past midnight: checked in at 19:00 on DAY (Asia/Shanghai, UTC+8), a carer
clocked in to each room then, and the clock at 19:00."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from backend.clock import Clock, FrozenClock
from tests.api.attendance_world import EXAMINED, WELL, caregiver_of
from tests.api.booking_world import HOURLY, many_children, put
from tests.api.days import DAY_DATE, SHANGHAI, day
from tests.api.room_moves_world import read
from tests.api.world import Caller, World

ALL_WEEK = list(range(1, 8))
ALL_DAY = {"opens": "00:00", "closes": "24:00"}
EVENING = datetime.combine(DAY_DATE, time(19, 0), SHANGHAI)
# (name, room: 0 the first or 1 the second, days after DAY, start, end)
Booked = tuple[str, int, int, str, str]
# the child's bookings in the room-move tests: 19:00–23:30 here, then 23:30 to 01:00 next door
MOVING_ON: tuple[Booked, ...] = (
    ("first", 0, 0, "19:00", "23:30"), ("second", 1, 0, "23:30", "24:00"),
    ("next day", 1, 1, "00:00", "01:00"),
)  # fmt: skip
# a child nobody collects staying on in its room: 19:00–24:00 on DAY, then 00:00–05:00 after
STAYING_ON: tuple[Booked, ...] = (
    ("evening", 0, 0, "19:00", "24:00"), ("night", 0, 1, "00:00", "05:00"),
)  # fmt: skip


def local_at(minutes_after_seven_pm: int) -> datetime:
    return EVENING + timedelta(minutes=minutes_after_seven_pm)


def clock_at(world: World, minutes_after_seven_pm: int) -> None:
    world.runtime.clock.at = local_at(minutes_after_seven_pm)  # type: ignore[attr-defined]


@dataclass
class NightRooms:
    institution_id: UUID
    first: UUID  # 向日葵班: the child checked in here at 19:00
    second: UUID  # 月亮班
    admin: Caller
    carer: Caller  # clocked in to the first room at 19:00
    second_carer: Caller  # clocked in to the second room at 19:00 (unless told otherwise)
    guardian: Caller
    child: UUID
    bookings: dict[str, str]  # name → booking id

    @property
    def rooms(self) -> tuple[UUID, UUID]:
        return self.first, self.second


async def book(
    world: World, rooms: NightRooms, child: UUID, room: int, days_after: int, start: str, end: str
) -> str:
    """A booking of hourly care, made by the night's guardian; its id."""
    body = {"child_id": str(child), "institution_id": str(rooms.institution_id),
            "room_id": str(rooms.rooms[room]), "date": day(days_after), "start": start,
            "end": end, "care_type": "hourly"}  # fmt: skip
    booked = await world.post("/v1/bookings", body, rooms.guardian)
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


async def admitted(world: World, rooms: NightRooms, kids: Sequence[UUID]) -> None:
    """The children's admission checks, by the admin (who sees them once they are booked)."""
    record = {"kind": "admission", "examined_on": EXAMINED, "passed": True,
              "vaccination_checked": True}  # fmt: skip
    for kid in kids:
        response = await world.post(f"/v1/children/{kid}/health-records", record, rooms.admin)
        assert response.status_code == 201, response.text


async def night_rooms(
    world: World, bookings: Sequence[Booked] = MOVING_ON, *, first_capacity: int = 12,
    second_capacity: int = 12, second_carer_in: bool = True, filed_places: int = 40,
) -> NightRooms:  # fmt: skip
    """The night: the child's `bookings` made, then the clock at 19:00 on DAY, a carer clocked
    in to the first room (and to the second unless `second_carer_in` is False) and the child
    checked in to the first. Sign everyone else in before: tokens minted later are not valid
    on the real clock (or use `on_the_real_clock`)."""
    hours = [{"weekday": d, **ALL_DAY} for d in ALL_WEEK]
    institution_id, admin = await world.institution(opening_hours=hours,
                                                    filed_places=filed_places)  # fmt: skip
    base = f"/v1/institutions/{institution_id}"
    await put(world, f"{base}/refund-policy",
              {"full_refund_hours_before": 24, "late_refund_percent": 50}, admin)  # fmt: skip
    rooms = []
    for name, capacity in (("向日葵班", first_capacity), ("月亮班", second_capacity)):
        added = await world.add_room(institution_id, admin, name=name, capacity=capacity)
        room_id = UUID(added.json()["id"])
        offer = {**HOURLY, "weekdays": ALL_WEEK, **ALL_DAY}
        await put(world, f"{base}/rooms/{room_id}/offers", {"offers": [offer]}, admin)
        shifts = [{"weekday": d, "starts": "00:00", "ends": "24:00", "staff": 2} for d in ALL_WEEK]
        await put(world, f"{base}/rooms/{room_id}/roster", {"shifts": shifts}, admin)
        rooms.append(room_id)
    guardian = await world.guardian()
    carers = [await caregiver_of(world, institution_id, admin) for _ in rooms]
    night = NightRooms(institution_id, rooms[0], rooms[1], admin, carers[0], carers[1],
                       guardian, UUID(int=0), {})  # fmt: skip
    [night.child] = await many_children(world, guardian, 1)
    for name, room, days_after, start, end in bookings:
        night.bookings[name] = await book(world, night, night.child, room, days_after, start, end)
    await admitted(world, night, [night.child])
    world.runtime.clock = FrozenClock(at=EVENING)
    for carer, room_id in zip(carers[: 2 if second_carer_in else 1], rooms, strict=False):
        clock_in = {"room_id": str(room_id), "at": EVENING.isoformat()}
        assert (await world.post("/v1/staff/clock-ins", clock_in, carer)).status_code == 201
    arrived = await check_in(world, night, night.child, 0, EVENING)
    assert arrived.status_code == 201, arrived.text
    return night


async def check_in(world: World, rooms: NightRooms, child: UUID, room: int, at: datetime) -> Any:
    """A drop-off in the room (0 the first, 1 the second) at `at`, by that room's carer."""
    arrival = {"child_id": str(child), "room_id": str(rooms.rooms[room]), "at": at.isoformat(),
               "health_check": WELL, "method": "manual"}  # fmt: skip
    carer = (rooms.carer, rooms.second_carer)[room]
    return await world.post("/v1/attendance/check-ins", arrival, carer)


async def status(world: World, rooms: NightRooms, which: str) -> str:
    booking = await read(world, f"/v1/bookings/{rooms.bookings[which]}", rooms.guardian)
    return str(booking["status"])


def pick_up(rooms: NightRooms, at: datetime) -> dict[str, Any]:
    return {"child_id": str(rooms.child), "institution_id": str(rooms.institution_id),
            "at": at.isoformat(),
            "collector": {"name": "李妈妈", "phone": rooms.guardian.phone,
                          "identity_check": "id_card"}}  # fmt: skip


async def picked_up(
    world: World, rooms: NightRooms, minutes: int, by: Caller | None = None
) -> None:
    """The night's child collected by its guardian `minutes` after 19:00 on DAY, then (the
    server's clock moved there), recorded by `by` (the room's carer)."""
    clock_at(world, minutes)
    collected = await world.post("/v1/attendance/check-outs", pick_up(rooms, local_at(minutes)),
                                 by or rooms.carer)  # fmt: skip
    assert collected.status_code == 201, collected.text


@asynccontextmanager
async def on_the_real_clock(world: World) -> AsyncIterator[None]:
    """Sign-ins and bookings on the real clock (tokens are checked against it), the night's
    frozen clock back after."""
    frozen, world.runtime.clock = world.runtime.clock, Clock()
    try:
        yield
    finally:
        world.runtime.clock = frozen


async def booked_children(
    world: World, rooms: NightRooms, count: int, bookings: Sequence[tuple[int, int, str, str]]
) -> list[UUID]:
    """`count` more children of the night's guardian, each with the `bookings` (room, days
    after DAY, start, end), admitted."""
    async with on_the_real_clock(world):
        kids = await many_children(world, rooms.guardian, count)
        for kid in kids:
            for room, days_after, start, end in bookings:
                await book(world, rooms, kid, room, days_after, start, end)
        await admitted(world, rooms, kids)
    return kids


async def night_carer(world: World, rooms: NightRooms) -> Caller:
    """Another caregiver of the institution, for the night."""
    async with on_the_real_clock(world):
        return await caregiver_of(world, rooms.institution_id, rooms.admin)


async def clock(
    world: World, rooms: NightRooms, carer: Caller, room: int, minutes_after_seven_pm: int,
    *, out: bool = False,
) -> None:  # fmt: skip
    """The carer clocks in to (or `out` of) the room (0 the first, 1 the second) then."""
    body = {"room_id": str(rooms.rooms[room]), "at": local_at(minutes_after_seven_pm).isoformat()}
    done = await world.post(f"/v1/staff/clock-{'outs' if out else 'ins'}", body, carer)
    assert done.status_code == 201, done.text
