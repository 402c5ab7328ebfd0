"""A child brought back inside the check-in tolerance of its next booking, while the booking it
left still runs, is back under the one it left: that one holds its place from the return (the
later one counts from its own start), so the room counts the child at once and another
family's booking of the place is refused."""

from __future__ import annotations

from typing import Any

from backend.clock import FrozenClock
from backend.scheduler import release_due_no_shows
from tests.api.attendance_world import (
    EXAMINED,
    NINE,
    Room,
    at,
    caregiver_of,
    check_in,
    clock_to,
    collected,
)
from tests.api.booking_world import HOURLY, bookable_room, booking_body, many_children
from tests.api.days import DAY
from tests.api.room_moves_world import read
from tests.api.world import World

NO_NOTICE = [{**HOURLY, "min_notice_minutes": 0}]  # another family may book the next minutes


async def _two_bookings_in_one_place(world: World) -> Room:
    """A one-place room at 09:00, a child booked 10:30–12:00 and then 09:00–10:30 (in that
    order: the later booking comes first in the child's record) and checked in."""
    institution_id, room_id, admin = await bookable_room(world, capacity=1, offers=NO_NOTICE)
    caregiver = await caregiver_of(world, institution_id, admin)
    guardian = await world.guardian()
    [child] = await many_children(world, guardian, 1)
    ids = []
    for start, end in (("10:30", "12:00"), ("09:00", "10:30")):
        body = booking_body(institution_id, room_id, child, start, end)
        made = await world.post("/v1/bookings", body, guardian)
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    record = {"kind": "admission", "examined_on": EXAMINED, "passed": True,
              "vaccination_checked": True}  # fmt: skip
    assert (
        await world.post(f"/v1/children/{child}/health-records", record, admin)
    ).status_code == 201
    world.runtime.clock = FrozenClock(at=NINE)
    room = Room(institution_id, room_id, admin, caregiver, guardian, [child], ids)
    clocked = await world.post("/v1/staff/clock-ins", {"room_id": str(room_id), "at": at()},
                               caregiver)  # fmt: skip
    assert clocked.status_code == 201, clocked.text
    assert (await check_in(world, room, child)).status_code == 201
    return room


async def _statuses(world: World, room: Room, booking_id: str) -> list[str]:
    booking: Any = await read(world, f"/v1/bookings/{booking_id}", room.guardian)
    return [h["status"] for h in booking["history"]]


async def test_a_child_back_before_its_next_booking_holds_its_place_under_the_one_it_left(
    world: World,
):
    stranger = await world.guardian()
    [other_child] = await many_children(world, stranger, 1)
    room = await _two_bookings_in_one_place(world)
    _later, first = room.bookings
    await collected(world, room, 30)  # 09:30, to the doctor's
    clock_to(world, 70)
    back = await check_in(world, room, room.children[0], at=at(70))  # 10:10, 20 min before 10:30
    assert back.status_code == 201, back.text
    assert back.json()["booking_id"] == first

    occupancy: Any = await read(world, f"/v1/rooms/{room.room_id}/occupancy?date={DAY}", room.admin)
    [at_1015] = [s for s in occupancy["segments"] if s["start"] <= "10:15" < s["end"]]
    assert at_1015["booked"] == 1
    body = booking_body(room.institution_id, room.room_id, other_child, "10:15", "10:30")
    taken = await world.post("/v1/bookings", body, stranger)
    assert taken.status_code == 409, taken.text
    assert taken.json()["type"] == "/problems/room-full"
    assert (await _statuses(world, room, first))[-1] == "checked_in"


async def test_the_next_booking_of_a_child_back_early_is_attended_not_released(world: World):
    """The later booking, not checked in at the return, stands while the child stays on into
    it (the no-show job leaves it) and is completed at the pick-up, as for a child that never
    left."""
    room = await _two_bookings_in_one_place(world)
    later, first = room.bookings
    await collected(world, room, 30)
    clock_to(world, 70)
    assert (await check_in(world, room, room.children[0], at=at(70))).status_code == 201
    clock_to(world, 125)  # 11:05, 35 minutes after the later booking began
    assert await release_due_no_shows(world.runtime) == 0
    await collected(world, room, 150)  # 11:30
    assert (await _statuses(world, room, first))[-2:] == ["checked_in", "completed"]
    assert (await _statuses(world, room, later))[-2:] == ["checked_in", "completed"]
