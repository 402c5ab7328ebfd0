"""The job that offers places freed by changes follows what changed since its last run: a tick
after nothing changed looks at no room-day, a change is looked for only where it happened, two
workers at once make each offer once, and a change noted before a process stopped is offered
after it restarts."""

from __future__ import annotations

import asyncio

from backend.following_jobs import note_changes
from backend.freed_places import FREED_PLACES
from backend.scheduler import offer_places_freed_by_changes
from backend.state import Runtime
from domain.booking.room_day import room_day_id
from tests.api.booking_world import put
from tests.api.days import DAY_DATE
from tests.api.waitlist_world import (
    Line,
    full_with_a_line,
    job_offers,
    offers_made,
    statuses,
    two_places,
)
from tests.api.world import World


async def test_a_tick_after_nothing_changed_looks_at_no_room_day(world: World):
    """Three full room-days with a line: the first run looks at each once; then, with nothing
    changed, a tick looks at none (it no longer scans every waiting room-day each time)."""
    line = await full_with_a_line(world, days=3)
    assert await job_offers(world) == 3
    assert await job_offers(world) == 0
    assert await job_offers(world) == 0
    assert await statuses(world, line.waiting) == ["waiting"] * 3
    await two_places(world, line)
    assert await job_offers(world) == 3
    assert await statuses(world, line.waiting) == ["offered"] * 3
    assert await job_offers(world) == 0  # its own offers give it nothing more to do


async def test_a_change_is_looked_for_only_where_it_happened(world: World):
    here, elsewhere = await full_with_a_line(world), await full_with_a_line(world)
    await job_offers(world)
    shifts = [{"weekday": d, "starts": "08:00", "ends": "17:30", "staff": 2} for d in range(1, 6)]
    await put(world, f"/v1/institutions/{elsewhere.institution_id}/rooms/"
              f"{elsewhere.room_id}/roster", {"shifts": shifts}, elsewhere.admin)  # fmt: skip
    assert await job_offers(world) == 1  # the other institution's line is not looked at
    await two_places(world, here)
    assert await job_offers(world) == 1
    assert await statuses(world, here.waiting) == ["offered"]
    assert await statuses(world, elsewhere.waiting) == ["waiting"]  # more carers, one place


async def test_two_workers_ticking_at_once_make_each_offer_once(
    world: World, second_worker: Runtime
):
    line = await full_with_a_line(world, days=3)
    await job_offers(world)
    await two_places(world, line)
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    for _ in range(3):
        await asyncio.gather(
            offer_places_freed_by_changes(world.runtime),
            offer_places_freed_by_changes(second_worker),
        )
    world.last_position = await world.runtime.store.head_position()
    assert await statuses(world, line.waiting) == ["offered"] * 3
    assert await offers_made(world) == 3


async def test_a_change_noted_before_the_process_stopped_is_offered_after_it_restarts(
    world: World, second_worker: Runtime
):
    """The job noted the change and moved its cursor, then its process stopped before the
    offer: another process (or this one restarted) makes it. And an offer made just before a
    stop, its item not yet removed, is not made twice."""
    line = await full_with_a_line(world)
    await job_offers(world)
    await two_places(world, line)
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())
    async with world.runtime.pool.acquire() as conn:
        while await note_changes(conn, FREED_PLACES, world.runtime.clock.now()):
            pass
    assert await statuses(world, line.waiting) == ["waiting"]  # stopped here

    assert await job_offers(world, second_worker) == 1
    assert await statuses(world, line.waiting) == ["offered"]
    await _item_not_removed(world.runtime, line)  # as if it stopped right after the offer
    assert await job_offers(world) == 1
    assert await offers_made(world) == 1


async def _item_not_removed(runtime: Runtime, line: Line) -> None:
    await runtime.pool.execute(
        "INSERT INTO job_items VALUES ($1, $2, $3, 0)",
        FREED_PLACES.name, room_day_id(line.room_id, DAY_DATE), DAY_DATE,
    )  # fmt: skip
