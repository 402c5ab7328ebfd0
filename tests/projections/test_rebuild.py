"""A rebuild (prefetched pages, indexes built at the end) equals the live read model, also when racing one."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from backend.eventstore.records import AppendRequest, NewEvent
from backend.eventstore.store import EventStore
from backend.projector import Projector
from projections import accounts
from projections.base import Envelope
from tests.projections.helpers import register_guardians, table_rows

HAS_PRIMARY_KEY = (
    "SELECT count(*) FROM pg_constraint WHERE conrelid = 'rm_accounts'::regclass AND contype = 'p'"
)


class Counting:
    """The accounts read model, counting the events it applies; optionally slow on its first batch."""

    name, handles, tables, schema, indexes = (
        accounts.name, accounts.handles, accounts.tables, accounts.schema, accounts.indexes,
    )  # fmt: skip

    def __init__(self, first_batch_delay: float = 0.0, fail_on_batch: int = 0) -> None:
        self.applied = 0
        self.batches = 0
        self.first_batch = asyncio.Event()
        self.delay = first_batch_delay
        self.fail_on_batch = fail_on_batch

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
        self.batches += 1
        if self.batches == self.fail_on_batch:
            raise ConnectionError("lost the database mid-rebuild")
        await accounts.apply(conn, batch)
        if self.batches == 1:
            self.first_batch.set()
            await asyncio.sleep(self.delay)
        self.applied += len(batch)


async def append_foreign_event(store: EventStore) -> None:
    foreign = [NewEvent(uuid4(), 1, "elsewhere:Unrelated", b"{}")]
    await store.append(AppendRequest(foreign, {foreign[0].stream_id: 0}))


@pytest.mark.parametrize("batch_size", [7, 10, 10_000])
async def test_a_rebuild_in_prefetched_pages_equals_the_live_read_model(
    store: EventStore, batch_size: int
):
    await register_guardians(store, 15)
    await append_foreign_event(store)
    await register_guardians(store, 15, start=15)
    live = Projector(store, [accounts], batch_size=4)
    await live.ensure_schema()
    await live.catch_up()
    before = await table_rows(store, "rm_accounts")
    assert await store.pool.fetchval(HAS_PRIMARY_KEY) == 1
    thresholds = gc.get_threshold()

    progress: list[tuple[int, int]] = []
    head = await live.rebuild(accounts, lambda done, h: progress.append((done, h)), batch_size)

    assert await table_rows(store, "rm_accounts") == before and len(before) == 30
    assert await store.pool.fetchval(HAS_PRIMARY_KEY) == 1
    assert head == await store.head_position() == 31
    [status] = await live.status()
    assert status.checkpoint == head
    done = [d for d, _ in progress]
    assert done == sorted(done) and done[-1] == head
    assert gc.get_threshold() == thresholds


async def test_a_rebuild_racing_a_live_projector_in_another_process_applies_each_event_once(
    database_url: str,
):
    pools = [await asyncpg.create_pool(database_url, min_size=1, max_size=4) for _ in range(2)]
    stores = [EventStore(p) for p in pools]
    try:
        await register_guardians(stores[0], 40)
        live_model = Counting()
        live = Projector(stores[1], [live_model], batch_size=3)
        await live.ensure_schema()
        await live.catch_up()
        live_model.applied = 0

        rebuilding_model = Counting(first_batch_delay=0.1)
        rebuilding = Projector(stores[0], [rebuilding_model])
        rebuild = asyncio.create_task(rebuilding.rebuild(rebuilding_model, batch_size=5))
        await rebuilding_model.first_batch.wait()  # holding the lock: the live step queues
        writer = asyncio.create_task(register_guardians(stores[0], 20, start=40))
        await asyncio.gather(live.catch_up(), rebuild, writer)
        await live.catch_up()

        rows = await table_rows(stores[0], "rm_accounts")
        assert len(rows) == 60 and len({r[0] for r in rows}) == 60
        assert rebuilding_model.applied + live_model.applied == 60
        assert live_model.applied > 0, "the live projector never got a step in"
        assert await pools[0].fetchval(HAS_PRIMARY_KEY) == 1
        [status] = await live.status()
        assert status.checkpoint == status.head
    finally:
        for s in stores:
            await s.close()
        for p in pools:
            await p.close()


async def test_a_failed_rebuild_keeps_its_indexes_and_the_next_run_has_no_gap_or_duplicate(
    store: EventStore,
):
    await register_guardians(store, 25)
    failing = Counting(fail_on_batch=3)
    projector = Projector(store, [failing])
    thresholds = gc.get_threshold()
    with pytest.raises(ConnectionError):
        await projector.rebuild(failing, batch_size=10)
    assert gc.get_threshold() == thresholds
    assert await store.pool.fetchval(HAS_PRIMARY_KEY) == 1
    assert len(await table_rows(store, "rm_accounts")) == 20  # two pages committed

    restarted: Any = Counting()
    await Projector(store, [restarted], batch_size=4).catch_up()
    rows = await table_rows(store, "rm_accounts")
    assert len(rows) == 25 and len({r[0] for r in rows}) == 25
    assert restarted.applied == 5
