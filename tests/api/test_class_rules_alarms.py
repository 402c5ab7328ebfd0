"""A change of the rules under children present raises the ratio alarm (ADR 0022): a city that
tightens its class rules, or an admin who makes a room stricter, leaves a room out of ratio at
once; the job that follows such changes records the alarm on the room's attendance day, shown
by the live view and the stream, and a loosening records the recovery. Once, however many
workers judge the day."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from eventsourcing.utils import get_topic

from backend.rule_alarms import raise_alarms_after_rule_changes
from backend.state import Runtime
from domain.attendance.day import AttendanceDay
from tests.api.attendance_world import Room, attending_room, check_in
from tests.api.sse import stream_opened
from tests.api.world import Caller, World, idem

TODDLERS_BY_FOUR = {
    "class_type": "toddler", "min_age_months": 12, "max_age_months": 24, "max_class_size": 12,
    "children_per_carer": 4,
}  # fmt: skip


async def _present(world: World, children: int) -> Room:
    """A 托小班 room at 09:00, one carer clocked in, `children` checked in (1:5: five fit)."""
    room = await attending_room(world, children=children)
    for child in room.children:
        assert (await check_in(world, room, child)).status_code == 201
    return room


async def _rules(world: World, regulator: Caller, *rules: dict[str, Any]) -> None:
    response = await world.client.put(
        f"/v1/cities/{world.city_id}/class-rules", json={"rules": list(rules)},
        headers={**world.fresh(regulator.headers), **idem()},
    )  # fmt: skip
    assert world.saw(response).status_code == 200, response.text


async def _judged(world: World, *runtimes: Runtime) -> None:
    """The read models caught up, the job runs (on each runtime at once)."""
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    await asyncio.gather(*(raise_alarms_after_rule_changes(r) for r in runtimes or [world.runtime]))
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    world.last_position = await world.runtime.store.head_position()


async def _live(world: World, room: Room) -> dict[str, Any]:
    response = await world.client.get(
        f"/v1/institutions/{room.institution_id}/occupancy/live",
        headers=world.fresh(room.admin.headers),
    )
    assert response.status_code == 200, response.text
    [seen] = response.json()["rooms"]
    return dict(seen)


async def _recorded(world: World, event_class: type) -> int:
    found = await world.runtime.pool.fetchval(
        "SELECT count(*) FROM events WHERE topic = $1", get_topic(event_class)
    )
    return int(found)


async def test_a_city_tightening_raises_the_alarm_of_a_room_out_of_ratio_and_a_loosening_clears_it(
    world: World, second_worker: Runtime
):
    regulator = await world.regulator()
    room = await _present(world, children=5)
    second_worker.clock = world.runtime.clock
    await _judged(world)  # nothing out of bounds: nothing recorded
    assert (await _live(world, room))["alarm"] is None

    await _rules(world, regulator, TODDLERS_BY_FOUR)  # five at 1:4 need two carers
    await _judged(world, world.runtime, second_worker)
    seen = await _live(world, room)
    assert (seen["alarm"], seen["ratio_ok"], seen["required_staff"]) == ("ratio", False, 2)
    await _judged(world, world.runtime, second_worker)
    assert await _recorded(world, AttendanceDay.RoomOutOfBounds) == 1

    await _rules(world, regulator)  # the national 1:5 again
    await _judged(world)
    seen = await _live(world, room)
    assert (seen["alarm"], seen["ratio_ok"]) == (None, True)
    assert await _recorded(world, AttendanceDay.RoomBackInBounds) == 1


async def test_a_room_within_the_tightened_ratio_gets_no_alarm(world: World):
    regulator = await world.regulator()
    room = await _present(world, children=4)
    await _judged(world)
    await _rules(world, regulator, TODDLERS_BY_FOUR)  # four at 1:4: one carer is enough
    await _judged(world)
    assert (await _live(world, room))["alarm"] is None
    assert await _recorded(world, AttendanceDay.RoomOutOfBounds) == 0


async def test_the_stream_shows_the_alarm_a_tightening_raises_and_the_recovery_a_loosening_brings(
    world: World, server_url: str
):
    regulator = await world.regulator()
    room = await _present(world, children=5)
    await _judged(world)
    url = f"{server_url}/v1/institutions/{room.institution_id}/occupancy/stream"
    reader, seen = await stream_opened(url, world.fresh(room.admin.headers), 3)
    await _rules(world, regulator, TODDLERS_BY_FOUR)
    await _judged(world)
    await _rules(world, regulator)
    await _judged(world)
    await asyncio.wait_for(reader, 10)
    assert [e["event"] for e in seen] == ["snapshot", "ratio_alarm", "ratio_recovered"]
    alarm = json.loads(seen[1]["data"])
    assert (alarm["breach"], alarm["children"], alarm["staff"], alarm["required_staff"]) == (
        "ratio", 5, 1, 2,
    )  # fmt: skip


async def test_an_admin_making_a_room_stricter_under_children_present_raises_its_alarm(
    world: World,
):
    room = await _present(world, children=5)
    await _judged(world)
    response = await world.client.put(
        f"/v1/institutions/{room.institution_id}/rooms/{room.room_id}",
        json={"name": "向日葵班", "class_type": "toddler", "capacity": 15, "children_per_carer": 3},
        headers={**world.fresh(room.admin.headers), **idem()},
    )
    assert world.saw(response).status_code == 200, response.text
    await _judged(world)
    assert (await _live(world, room))["alarm"] == "ratio"  # five at 1:3 need two carers
