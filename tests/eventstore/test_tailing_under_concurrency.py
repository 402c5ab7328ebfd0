"""A tailing reader never misses an event, however writers in many processes interleave."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg

from backend.eventstore.records import AppendRequest, NewEvent
from backend.eventstore.store import EventStore

WRITERS = 8
APPENDS_PER_WRITER = 250


async def test_a_tailer_sees_every_position_exactly_once_in_order(database_url: str):
    # Each writer has its own store and pool, as separate server processes would.
    pools = [
        await asyncpg.create_pool(database_url, min_size=1, max_size=2) for _ in range(WRITERS)
    ]
    stores = [EventStore(p, notify=False) for p in pools]
    reader_pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    reader = EventStore(reader_pool)
    seen: list[int] = []
    writing = True

    async def write(store: EventStore) -> None:
        stream = uuid4()
        for version in range(1, APPENDS_PER_WRITER + 1):
            events = [NewEvent(stream, version, "tests:Tick", b"{}")]
            await store.append(AppendRequest(events, {stream: version - 1}))

    async def tail() -> None:
        after = 0
        while True:
            batch = await reader.read_all(after, 97)
            seen.extend(e.position for e in batch)
            if batch:
                after = batch[-1].position
            elif not writing:
                return
            else:
                await asyncio.sleep(0)

    try:
        tailer = asyncio.create_task(tail())
        await asyncio.gather(*(write(s) for s in stores))
        writing = False
        await tailer
        stored = [r[0] for r in await reader_pool.fetch("SELECT position FROM events ORDER BY 1")]
        assert len(stored) == WRITERS * APPENDS_PER_WRITER
        assert seen == stored  # every position, once, in order
    finally:
        for s in [*stores, reader]:
            await s.close()
        for p in [*pools, reader_pool]:
            await p.close()
