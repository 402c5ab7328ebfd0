"""A caregiver sees the live occupancy of the room they are clocked in to, now and on the
stream, and follows a move to another room; admins see every room (ADR 0021)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.clock import Clock
from tests.api.attendance_world import NINE, Room, at, attending_room, caregiver_of, check_in
from tests.api.booking_world import put
from tests.api.sse import read_events, stream_opened
from tests.api.world import Caller, World


@dataclass
class TwoRooms:
    first: Room  # its caregiver clocked in to it
    second_id: UUID
    second_carer: Caller  # clocked in to the second room
    idle_carer: Caller  # on the staff, clocked in nowhere


async def _two_rooms(world: World) -> TwoRooms:
    first = await attending_room(world)
    frozen, world.runtime.clock = world.runtime.clock, Clock()  # sign in on the real clock
    try:
        base = f"/v1/institutions/{first.institution_id}"
        second = await world.add_room(first.institution_id, first.admin, name="月亮班")
        second_id = UUID(second.json()["id"])
        shifts = [
            {"weekday": d, "starts": "08:00", "ends": "17:30", "staff": 2} for d in range(1, 6)
        ]
        await put(world, f"{base}/rooms/{second_id}/roster", {"shifts": shifts}, first.admin)
        second_carer = await caregiver_of(world, first.institution_id, first.admin)
        idle_carer = await caregiver_of(world, first.institution_id, first.admin)
    finally:
        world.runtime.clock = frozen
    await _clock_in(world, second_id, second_carer)
    return TwoRooms(first, second_id, second_carer, idle_carer)


async def _clock_in(world: World, room_id: UUID, who: Caller, minutes: int = 0) -> None:
    body = {"room_id": str(room_id), "at": at(minutes)}
    response = await world.post("/v1/staff/clock-ins", body, who)
    assert response.status_code == 201, response.text


async def _live(world: World, rooms: TwoRooms, who: Caller) -> dict[str, Any]:
    path = f"/v1/institutions/{rooms.first.institution_id}/occupancy/live"
    response = await world.client.get(path, headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return response.json()


def _room_ids(live: dict[str, Any]) -> set[UUID]:
    return {UUID(r["room_id"]) for r in live["rooms"]}


async def test_a_caregiver_sees_only_the_room_they_are_clocked_in_to_and_follows_a_move(
    world: World,
):
    rooms = await _two_rooms(world)
    first = rooms.first
    assert (await check_in(world, first, first.children[0])).status_code == 201

    everything = await _live(world, rooms, first.admin)
    assert _room_ids(everything) == {first.room_id, rooms.second_id}
    mine = await _live(world, rooms, first.caregiver)
    assert _room_ids(mine) == {first.room_id}
    assert [c["child_id"] for c in mine["rooms"][0]["children"]] == [str(first.children[0])]
    theirs = await _live(world, rooms, rooms.second_carer)
    assert _room_ids(theirs) == {rooms.second_id} and theirs["rooms"][0]["children"] == []
    idle = await _live(world, rooms, rooms.idle_carer)
    assert idle["rooms"] == []
    totals = {(v["children_present"], v["staff_present"]) for v in (everything, mine, theirs, idle)}
    assert totals == {(1, 2)}  # the institution's totals are the same for all its staff

    await _clock_in(world, rooms.second_id, first.caregiver, minutes=1)  # a move
    assert _room_ids(await _live(world, rooms, first.caregiver)) == {rooms.second_id}


async def test_a_caregiver_s_stream_carries_their_room_s_events_and_follows_their_move(
    world: World, server_url: str
):
    rooms = await _two_rooms(world)
    first = rooms.first
    url = f"{server_url}/v1/institutions/{first.institution_id}/occupancy/stream"
    reader, seen = await stream_opened(url, world.fresh(first.caregiver.headers), 5)
    snapshot = json.loads(seen[0]["data"])
    assert [UUID(r["room_id"]) for r in snapshot["rooms"]] == [first.room_id]

    assert (await check_in(world, first, first.children[0])).status_code == 201  # seen
    world.runtime.clock.at = NINE + timedelta(minutes=5)  # type: ignore[attr-defined]
    await _clock_in(world, rooms.second_id, rooms.idle_carer, minutes=1)  # another room: not
    await _clock_in(world, rooms.second_id, first.caregiver, minutes=2)  # out of 1, into 2
    # the first room, left with a child and no carer, goes out of ratio: no longer theirs
    await _clock_in(world, first.room_id, rooms.idle_carer, minutes=3)  # nor is its recovery
    out = {"room_id": str(rooms.second_id), "at": at(4)}
    assert (await world.post("/v1/staff/clock-outs", out, rooms.second_carer)).status_code == 201
    await asyncio.wait_for(reader, 10)

    def what(event: dict[str, Any]) -> tuple[str, UUID]:
        return event["event"], UUID(json.loads(event["data"])["room_id"])

    assert [what(e) for e in seen[1:]] == [
        ("child_checked_in", first.room_id),
        ("staff_clocked_out", first.room_id),  # their own move, out of the first room
        ("staff_clocked_in", rooms.second_id),  # and into the second
        ("staff_clocked_out", rooms.second_id),  # the second room's carer leaves
    ]

    # resumed after the check-in, the stream replays what they saw live: the rooms they were
    # in at each event (not the idle carer's clock-in to what is their room only later)
    resumed: list[dict[str, Any]] = []
    headers = {**first.caregiver.headers, "Last-Event-ID": seen[1]["id"]}
    await asyncio.wait_for(read_events(url, headers, 3, resumed), 10)
    assert [(e["event"], e["data"], e["id"]) for e in resumed] == [
        (e["event"], e["data"], e["id"]) for e in seen[2:]
    ]
