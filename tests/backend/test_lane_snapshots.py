"""A hot lane's snapshots wait for a pause in its traffic, or at most the longest wait."""

from __future__ import annotations

import asyncio

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute
from backend.eventstore.store import EventStore
from backend.lane_groups import groups_for
from backend.lane_snapshots import PostponedSnapshots
from backend.unit_of_work import load_aggregate
from tests.backend.cities import NOW, adding, registered_city


async def _on_its_lane(store: EventStore, city_id, codes: list[str], *, together: bool) -> None:
    commands = (
        execute(
            store, CommandContext(now=NOW), adding(city_id, code), CommandAccepted, lane=[city_id]
        )  # fmt: skip
        for code in codes
    )
    if together:
        await asyncio.gather(*commands)
    else:
        for command in commands:
            await command


async def _snapshot_version(store: EventStore, stream_id) -> int | None:
    await store.snapshots_written()
    snapshot = await store.latest_snapshot(stream_id)
    return None if snapshot is None else snapshot[0]


async def test_a_lane_kept_busy_takes_its_due_snapshot_only_once_it_has_been_quiet(
    store: EventStore,
):
    snapshots = groups_for(store).snapshots = PostponedSnapshots(store, quiet=0.5)
    city = await registered_city(store)  # version 1
    await _on_its_lane(store, city.id, [f"d{i}" for i in range(150)], together=True)
    assert await _snapshot_version(store, city.id) is None  # it crossed 100 during the rush
    assert snapshots.waiting(city.id) == [city.id]
    await asyncio.sleep(0.8)
    assert await _snapshot_version(store, city.id) == 151  # the cached copy when it was taken
    assert snapshots.waiting(city.id) == []
    fresh = await load_aggregate(EventStore(store.pool), city.id)  # from the snapshot
    assert fresh.version == 151 and len(fresh.districts) == 150


async def test_a_due_snapshot_that_waited_the_longest_is_taken_between_two_groups(
    store: EventStore,
):
    groups_for(store).snapshots = PostponedSnapshots(store, quiet=60.0, longest=0.0)
    city = await registered_city(store)
    await _on_its_lane(store, city.id, [f"d{i}" for i in range(99)], together=False)
    assert await _snapshot_version(store, city.id) == 100  # never quiet for a minute


async def test_a_due_snapshot_whose_copy_left_the_cache_is_skipped_not_read_again(
    store: EventStore,
):
    snapshots = groups_for(store).snapshots = PostponedSnapshots(store, quiet=0.2)
    city = await registered_city(store)
    await _on_its_lane(store, city.id, [f"d{i}" for i in range(99)], together=False)
    store.cache.clear()  # evicted (or taken by a command) before the lane had been quiet
    await asyncio.sleep(0.4)
    assert await _snapshot_version(store, city.id) is None
    assert snapshots.waiting(city.id) == []
