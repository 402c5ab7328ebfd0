"""Room moves refused whole: a move a tablet replays after another device collected the child
(a named 409, nothing written, the same answer when replayed again), and moves by anyone who
is not staff of the institution with the child in their care (ADR 0024)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.attendance_world import NINE, at, caregiver_of, check_out_body
from tests.api.booking_world import bookable_room
from tests.api.room_moves_world import MOVE_AT, MOVES, move_body, read, register, two_rooms
from tests.api.world import World


async def _events(world: World) -> int:
    count: int = await world.runtime.pool.fetchval("SELECT count(*) FROM events")
    return count


async def test_a_move_replayed_after_another_device_collected_the_child_is_refused_whole(
    world: World,
):
    rooms = await two_rooms(world)
    first, [child] = rooms.first, rooms.first.children
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT + 10)  # type: ignore[attr-defined]
    out = check_out_body(first, child, first.guardian.phone, minutes=MOVE_AT + 10)
    assert (await world.post("/v1/attendance/check-outs", out, first.caregiver)).status_code == 201
    world.runtime.clock.at = NINE + timedelta(minutes=MOVE_AT + 30)  # type: ignore[attr-defined]
    before = await _events(world)

    late = await world.post(MOVES, move_body(rooms, child), first.caregiver, key="tablet-move-9")
    assert late.status_code == 409, late.text  # made offline at 10:40, sent at 11:10
    problem = late.json()
    assert problem["type"] == "/problems/not-checked-in" and problem["field"] == "child_id"
    assert "already collected" in problem["detail"]
    again = await world.post(MOVES, move_body(rooms, child), rooms.second_carer,
                             key="tablet-move-9")  # fmt: skip
    assert (again.status_code, again.json()) == (409, problem)

    assert await _events(world) == before
    [row] = await register(world, first.room_id, first.admin)
    assert (row["checked_out"], row["collector"]) == ("10:50", "李妈妈（监护人）")
    assert await register(world, rooms.second_id, first.admin) == []
    booked: Any = await read(world, f"/v1/bookings/{first.bookings[0]}", first.guardian)
    assert booked["status"] == "completed"


async def test_only_staff_of_the_institution_move_its_children(world: World):
    regulator = await world.regulator()
    other_id, other_room, other_admin = await bookable_room(world)
    other_carer = await caregiver_of(world, other_id, other_admin)
    rooms = await two_rooms(world)
    first, [child] = rooms.first, rooms.first.children
    clock_in = {"room_id": str(other_room), "at": at(MOVE_AT - 10)}
    assert (await world.post("/v1/staff/clock-ins", clock_in, other_carer)).status_code == 201
    before = await _events(world)
    for outsider in (regulator, first.guardian, other_admin, other_carer):
        refused = await world.post(MOVES, move_body(rooms, child), outsider)
        assert refused.status_code == 403, refused.text
    into_theirs = move_body(rooms, child, to_room_id=str(other_room))
    refused = await world.post(MOVES, into_theirs, other_carer)
    assert refused.status_code == 403, refused.text
    assert await _events(world) == before
