"""A child booked until 24:00 on DAY and from 00:00 the next day, in a room open round the clock,
is in care past DAY's closing, not uncollected: its guardians get no 延迟接园提醒 at 00:15. When
its night's booking ends at 05:00 and nobody has collected it, the escalation starts from then
(+ the 15 minutes' grace), once per level whichever worker runs it (ADR 0007)."""

from __future__ import annotations

import asyncio

import pytest

from backend.scheduler import escalate_uncollected_children
from backend.state import Runtime
from tests.api.night_world import Booked, NightRooms, clock_at, night_rooms
from tests.api.world import World

NIGHT_HERE: tuple[Booked, ...] = (
    ("evening", 0, 0, "19:00", "24:00"), ("night", 0, 1, "00:00", "05:00"),
)  # fmt: skip
NIGHT_NEXT_DOOR: tuple[Booked, ...] = (
    ("evening", 0, 0, "19:00", "24:00"), ("night", 1, 1, "00:00", "05:00"),
)  # fmt: skip
EVENING_ONLY: tuple[Booked, ...] = (("evening", 0, 0, "19:00", "24:00"),)


async def _ticks(world: World, second_worker: Runtime, minutes_after_seven_pm: int) -> int:
    """Escalations raised when two workers run the job at once at that time, then again."""
    clock_at(world, minutes_after_seven_pm)
    second_worker.clock = world.runtime.clock
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    both = await asyncio.gather(escalate_uncollected_children(world.runtime),
                                escalate_uncollected_children(second_worker))  # fmt: skip
    again = await escalate_uncollected_children(world.runtime)
    return sum(both) + again


async def _told(world: World, rooms: NightRooms) -> int:
    """How many 延迟接园提醒 (`uncollected`) notices the guardian has had."""
    world.last_position = await world.runtime.store.head_position()
    seen = await world.client.get("/v1/notifications", headers=world.fresh(rooms.guardian.headers))
    assert seen.status_code == 200, seen.text
    return [n["kind"] for n in seen.json()].count("uncollected")


@pytest.mark.parametrize("bookings", [NIGHT_HERE, NIGHT_NEXT_DOOR], ids=["here", "next door"])
async def test_a_child_under_its_night_booking_is_not_escalated_until_that_booking_ends(
    world: World, second_worker: Runtime, bookings: tuple[Booked, ...]
):
    rooms = await night_rooms(world, bookings)
    assert await _ticks(world, second_worker, 315) == 0  # 00:15: DAY closed at 24:00 + 15
    assert await _ticks(world, second_worker, 599) == 0  # 04:59: still in care
    assert await _told(world, rooms) == 0
    assert await _ticks(world, second_worker, 615) == 1  # 05:15: its booking ended at 05:00
    assert await _ticks(world, second_worker, 625) == 0
    assert await _ticks(world, second_worker, 630) == 1  # 15 minutes on: again
    assert await _told(world, rooms) == 2


async def test_a_child_with_no_care_after_midnight_is_escalated_at_closing_as_before(
    world: World, second_worker: Runtime
):
    rooms = await night_rooms(world, EVENING_ONLY)
    assert await _ticks(world, second_worker, 314) == 0
    assert await _ticks(world, second_worker, 315) == 1
    assert await _told(world, rooms) == 1
