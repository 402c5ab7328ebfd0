"""Room moves at the ends of the institution's local day (Asia/Shanghai, UTC+8): a move at
23:59 belongs to that day however late a tablet sends it, and a move after midnight of a child
nobody collected belongs to the day of its stay, as its pick-up does; the register, the child's
day and the rooms' bookings all say the same dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from backend.clock import FrozenClock
from backend.scheduler import release_due_no_shows
from tests.api.attendance_world import EXAMINED, WELL, caregiver_of
from tests.api.booking_world import HOURLY, many_children, put
from tests.api.days import DAY, DAY_DATE, SHANGHAI, day
from tests.api.room_moves_world import MOVES, read, register
from tests.api.world import Caller, World

ALL_WEEK = list(range(1, 8))
ALL_DAY = {"opens": "00:00", "closes": "24:00"}
EVENING = datetime.combine(DAY_DATE, time(19, 0), SHANGHAI)


def local_at(minutes_after_seven_pm: int) -> datetime:
    return EVENING + timedelta(minutes=minutes_after_seven_pm)


@dataclass
class NightRooms:
    institution_id: UUID
    first: UUID  # 向日葵班: the child checked in at 19:00, booked 19:00–23:30
    second: UUID  # 月亮班: the child booked 23:30–24:00, and 00:00–01:00 the next day
    admin: Caller
    carer: Caller  # clocked in to both rooms' carers at 19:00
    guardian: Caller
    child: UUID
    bookings: dict[str, str]  # "first", "second", "next day" → booking id


async def _night_rooms(world: World, *, booked_to_midnight: bool = True) -> NightRooms:
    """An institution open round the clock (延时托 to midnight and on), two rooms; without
    `booked_to_midnight`, the child's booking 23:30–24:00 in the second room is not made."""
    hours = [{"weekday": d, **ALL_DAY} for d in ALL_WEEK]
    institution_id, admin = await world.institution(opening_hours=hours)
    base = f"/v1/institutions/{institution_id}"
    await put(world, f"{base}/refund-policy",
              {"full_refund_hours_before": 24, "late_refund_percent": 50}, admin)  # fmt: skip
    rooms = []
    for name in ("向日葵班", "月亮班"):
        room_id = UUID((await world.add_room(institution_id, admin, name=name)).json()["id"])
        offer = {**HOURLY, "weekdays": ALL_WEEK, **ALL_DAY}
        await put(world, f"{base}/rooms/{room_id}/offers", {"offers": [offer]}, admin)
        shifts = [{"weekday": d, "starts": "00:00", "ends": "24:00", "staff": 2} for d in ALL_WEEK]
        await put(world, f"{base}/rooms/{room_id}/roster", {"shifts": shifts}, admin)
        rooms.append(room_id)
    first, second = rooms
    guardian = await world.guardian()
    [child] = await many_children(world, guardian, 1)
    bookings = {}
    for name, room_id, date, start, end in (
        ("first", first, DAY, "19:00", "23:30"), ("second", second, DAY, "23:30", "24:00"),
        ("next day", second, day(1), "00:00", "01:00"),
    ):  # fmt: skip
        if name == "second" and not booked_to_midnight:
            continue
        body = {"child_id": str(child), "institution_id": str(institution_id),
                "room_id": str(room_id), "date": date, "start": start, "end": end,
                "care_type": "hourly"}  # fmt: skip
        booked = await world.post("/v1/bookings", body, guardian)
        assert booked.status_code == 201, booked.text
        bookings[name] = booked.json()["id"]
    record = {"kind": "admission", "examined_on": EXAMINED, "passed": True,
              "vaccination_checked": True}  # fmt: skip
    assert (await world.post(f"/v1/children/{child}/health-records", record, admin)).is_success
    carers = [await caregiver_of(world, institution_id, admin) for _ in rooms]
    world.runtime.clock = FrozenClock(at=EVENING)
    for carer, room_id in zip(carers, rooms, strict=True):
        clock_in = {"room_id": str(room_id), "at": EVENING.isoformat()}
        assert (await world.post("/v1/staff/clock-ins", clock_in, carer)).status_code == 201
    arrival = {"child_id": str(child), "room_id": str(first), "at": EVENING.isoformat(),
               "health_check": WELL, "method": "manual"}  # fmt: skip
    assert (await world.post("/v1/attendance/check-ins", arrival, carers[0])).status_code == 201
    return NightRooms(institution_id, first, second, admin, carers[0], guardian, child, bookings)


def _move(rooms: NightRooms, at: datetime) -> dict[str, Any]:
    return {"child_id": str(rooms.child), "institution_id": str(rooms.institution_id),
            "to_room_id": str(rooms.second), "at": at.isoformat()}  # fmt: skip


async def _status(world: World, rooms: NightRooms, which: str) -> str:
    booking = await read(world, f"/v1/bookings/{rooms.bookings[which]}", rooms.guardian)
    return str(booking["status"])


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
    rooms = await _night_rooms(world)
    world.runtime.clock.at = local_at(299)  # type: ignore[attr-defined]  # 23:59
    moved = await world.post(MOVES, _move(rooms, local_at(299)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["local_time"] == "23:59"
    assert moved.json()["booking_id"] == rooms.bookings["second"]
    await _on_day_of_stay(world, rooms, "23:59")
    assert await _status(world, rooms, "first") == "completed"
    assert await _status(world, rooms, "second") == "checked_in"


async def test_a_move_at_23_59_replayed_after_midnight_is_on_the_day_it_was_made(world: World):
    rooms = await _night_rooms(world)
    world.runtime.clock.at = local_at(330)  # type: ignore[attr-defined]  # 00:30 the next day
    moved = await world.post(MOVES, _move(rooms, local_at(299)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["local_time"] == "23:59"
    await _on_day_of_stay(world, rooms, "23:59")
    assert await _status(world, rooms, "first") == "completed"
    assert await _status(world, rooms, "second") == "checked_in"


async def test_a_move_within_the_tolerance_before_a_booking_at_midnight_checks_that_booking_in(
    world: World,
):
    """Moved at 23:45 on the day of its stay into a room whose booking starts at 00:00 the
    next day: the move is on its day, the booking on the next day's room-day is the one that
    counts as arrived, and the no-show job leaves it alone."""
    rooms = await _night_rooms(world, booked_to_midnight=False)
    world.runtime.clock.at = local_at(285)  # type: ignore[attr-defined]  # 23:45
    moved = await world.post(MOVES, _move(rooms, local_at(285)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["booking_id"] == rooms.bookings["next day"]
    await _on_day_of_stay(world, rooms, "23:45")
    assert await _status(world, rooms, "next day") == "checked_in"
    world.runtime.clock.at = local_at(345)  # type: ignore[attr-defined]  # 00:45
    assert await release_due_no_shows(world.runtime) == 0


async def test_a_move_after_midnight_of_a_child_nobody_collected_is_on_the_day_of_its_stay(
    world: World,
):
    """Moved at 00:10 into a room whose booking of the next day covers it: the move is on the
    day of the stay (as its pick-up would be), the next day's booking counts as arrived, and the
    pick-up at 00:40 completes it."""
    rooms = await _night_rooms(world)
    world.runtime.clock.at = local_at(310)  # type: ignore[attr-defined]  # 00:10 the next day
    moved = await world.post(MOVES, _move(rooms, local_at(310)), rooms.carer)
    assert moved.status_code == 201, moved.text
    assert moved.json()["local_time"] == "00:10"
    assert moved.json()["booking_id"] == rooms.bookings["next day"]
    await _on_day_of_stay(world, rooms, "00:10")
    assert await _status(world, rooms, "next day") == "checked_in"
    world.runtime.clock.at = local_at(340)  # type: ignore[attr-defined]  # 00:40
    body = {"child_id": str(rooms.child), "institution_id": str(rooms.institution_id),
            "at": local_at(340).isoformat(),
            "collector": {"name": "李妈妈", "phone": rooms.guardian.phone,
                          "identity_check": "id_card"}}  # fmt: skip
    collected = await world.post("/v1/attendance/check-outs", body, rooms.carer)
    assert collected.status_code == 201, collected.text
    assert await _status(world, rooms, "next day") == "completed"
    [came] = await register(world, rooms.second, rooms.admin)
    assert (came["checked_in"], came["checked_out"]) == ("00:10", "00:40")
