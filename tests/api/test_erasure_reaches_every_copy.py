"""After a child's erasure no copy keeps the staff's words about it: the live feed's rows kept
in memory (this process's or another's step) (ADR 0012)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID

from backend.follower import step_all
from backend.live_feed import FeedRow
from backend.state import Runtime
from tests.api.attendance_world import (
    NINE,
    Room,
    attending_room,
    check_out_body,
    visit_with_words,
)
from tests.api.world import World

WORDS = "林小雪昨晚发烧，妈妈说的"


async def _collected_and_erased(world: World, room: Room, child: UUID) -> None:
    """The child is collected at 10:00 and erased the next day."""
    await _collected(world, room, child)
    await _erased(world, room, child)


async def _collected(world: World, room: Room, child: UUID) -> None:
    world.runtime.clock.at = NINE + timedelta(hours=1)  # type: ignore[attr-defined]
    out = check_out_body(room, child, room.guardian.phone, minutes=60)
    assert (await world.post("/v1/attendance/check-outs", out, room.admin)).status_code == 201
    await _settled(world)  # the erasure reads that the child is not present from the models


async def _erased(world: World, room: Room, child: UUID) -> None:
    world.runtime.clock.at = NINE + timedelta(days=1)  # type: ignore[attr-defined]
    erased = await world.post(f"/v1/children/{child}/erasure", {}, room.guardian)
    assert erased.status_code == 200, erased.text


async def _settled(world: World) -> None:
    await world.runtime.projector.wait_until(await world.runtime.store.head_position())


async def _feed_table(runtime: Runtime, institution_id: UUID, after: int) -> list[FeedRow]:
    rows = await runtime.pool.fetch(
        "SELECT position, kind, data::text AS data FROM rm_occupancy_feed"
        " WHERE institution_id = $1 AND position > $2 ORDER BY position",
        institution_id, after,
    )  # fmt: skip
    return [FeedRow(*r) for r in rows]


async def _kept_with_words(world: World, room: Room, after: int) -> list[FeedRow]:
    """The hub follows the institution; the admin's check-in past the ratio and correction
    carry the words; the feed rows the hub keeps in memory have them."""
    hub = world.runtime.feed_hub
    await hub.wait_past(room.institution_id, after, 0.1)  # the hub is following now
    await visit_with_words(world, room, room.children[0], WORDS)
    await _settled(world)
    kept = hub.rows_after(room.institution_id, after) or []
    assert sum(WORDS in row.data for row in kept) == 2  # override_reason, reason
    return kept


async def test_the_feed_rows_kept_in_memory_lose_the_words_when_the_child_is_erased(
    world: World,
):
    room = await attending_room(world, clock_in=False)  # nobody clocked in: the admin overrides
    hub, runtime = world.runtime.feed_hub, world.runtime
    await _settled(world)
    after = int(await runtime.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    with hub.watching(room.institution_id):
        await _kept_with_words(world, room, after)
        await _collected_and_erased(world, room, room.children[0])
        await _settled(world)
        kept = hub.rows_after(room.institution_id, after)  # what a resumed stream is sent
        assert kept is not None and not any(WORDS in row.data for row in kept)
        assert kept == await _feed_table(runtime, room.institution_id, after)


async def test_an_erasure_another_process_applied_reaches_this_process_s_kept_feed_rows(
    world: World, second_worker: Runtime, database_url: str
):
    room = await attending_room(world, clock_in=False)
    hub, runtime = world.runtime.feed_hub, world.runtime
    await _settled(world)
    after = int(await runtime.pool.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    with hub.watching(room.institution_id):
        await _kept_with_words(world, room, after)
        await _collected(world, room, room.children[0])
        await runtime.projector.stop()  # this process's follower pauses: the other one steps
        await _erased(world, room, room.children[0])
        while await step_all(second_worker.projector):
            pass
        await runtime.projector.start(listen_dsn=database_url)
        kept: list[FeedRow] = []
        async with asyncio.timeout(5):
            while not kept or any(WORDS in row.data for row in kept):
                head = kept[-1].position if kept else after
                await hub.wait_past(room.institution_id, head, 0.2)  # the hub scans meanwhile
                kept = hub.rows_after(room.institution_id, after) or []
        assert kept == await _feed_table(runtime, room.institution_id, after)
