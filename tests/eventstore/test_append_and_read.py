"""The event store's contract: optimistic concurrency, atomic multi-stream appends, idempotency."""

from __future__ import annotations

import asyncio
import gc
import weakref
from uuid import UUID, uuid4

import pytest

from backend.eventstore.appender import APPEND_SQL, append_arguments
from backend.eventstore.records import (
    Appended,
    AppendRequest,
    ConcurrencyConflict,
    NewEvent,
    StoredAnswer,
)
from backend.eventstore.store import EventStore
from tests.plans import explained


def event(stream: UUID, version: int, payload: bytes = b"{}") -> NewEvent:
    return NewEvent(stream, version, "tests:Happened", payload)


async def test_events_read_back_in_version_order_with_commit_ordered_positions(store: EventStore):
    stream = uuid4()
    first = await store.append(AppendRequest([event(stream, 1), event(stream, 2)], {stream: 0}))
    second = await store.append(AppendRequest([event(stream, 3)], {stream: 2}))
    assert isinstance(first, Appended) and isinstance(second, Appended)
    assert second.last_position is not None and first.last_position is not None
    assert second.last_position > first.last_position
    recorded = await store.read_stream(stream)
    assert [e.version for e in recorded] == [1, 2, 3]
    assert [e.position for e in recorded] == sorted(e.position for e in recorded)
    assert [e.position for e in await store.read_all(0, 10)] == [e.position for e in recorded]


async def test_a_stale_expected_version_is_refused_and_writes_nothing(store: EventStore):
    stream = uuid4()
    await store.append(AppendRequest([event(stream, 1)], {stream: 0}))
    with pytest.raises(ConcurrencyConflict):
        await store.append(AppendRequest([event(stream, 2)], {stream: 0}))
    assert [e.version for e in await store.read_stream(stream)] == [1]


async def test_a_conflicting_append_is_freed_without_the_collector(store: EventStore):
    stream = uuid4()
    await store.append(AppendRequest([event(stream, 1)], {stream: 0}))
    gc.collect()
    gc.disable()  # only reference counting frees anything now
    try:
        try:
            await store.append(AppendRequest([event(stream, 2)], {stream: 0}))
        except ConcurrencyConflict as conflict:
            refused = weakref.ref(conflict)
        # the appender's next batch lets go of the last one (and the refused append's future)
        await store.append(AppendRequest([event(stream, 2)], {stream: 1}))
        await asyncio.sleep(0)
        assert refused() is None  # not held in a cycle by the frame that awaited it
    finally:
        gc.enable()


async def test_a_multi_stream_append_is_all_or_nothing(store: EventStore):
    a, b = uuid4(), uuid4()
    await store.append(AppendRequest([event(b, 1)], {b: 0}))
    with pytest.raises(ConcurrencyConflict):
        await store.append(AppendRequest([event(a, 1), event(b, 1)], {a: 0, b: 0}))
    assert await store.read_stream(a) == []
    assert len(await store.read_stream(b)) == 1
    ok = await store.append(AppendRequest([event(a, 1), event(b, 2)], {a: 0, b: 1}))
    assert isinstance(ok, Appended)
    assert len(await store.read_stream(a)) == 1 and len(await store.read_stream(b)) == 2


async def test_an_expected_version_on_a_stream_read_but_not_written_is_checked(store: EventStore):
    read_only, written = uuid4(), uuid4()
    await store.append(AppendRequest([event(read_only, 1)], {read_only: 0}))
    with pytest.raises(ConcurrencyConflict):
        await store.append(AppendRequest([event(written, 1)], {written: 0, read_only: 0}))


async def test_the_same_command_key_writes_once_and_returns_the_first_answer(store: EventStore):
    stream = uuid4()
    first = await store.append(
        AppendRequest([event(stream, 1)], {stream: 0}, "k1", b"hash", b'{"n":1}')
    )
    again = await store.append(
        AppendRequest([event(stream, 2)], {stream: 1}, "k1", b"hash", b'{"n":2}')
    )
    assert isinstance(first, Appended)
    assert again == StoredAnswer(b"hash", b'{"n":1}', first.last_position)
    assert len(await store.read_stream(stream)) == 1


async def test_concurrent_appends_to_one_stream_accept_exactly_one_per_version(store: EventStore):
    stream = uuid4()
    attempts = [
        store.append(AppendRequest([event(stream, 1, f'{{"i":{i}}}'.encode())], {stream: 0}))
        for i in range(30)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    assert sum(isinstance(r, Appended) for r in results) == 1
    assert sum(isinstance(r, ConcurrencyConflict) for r in results) == 29
    assert len(await store.read_stream(stream)) == 1


async def test_commands_that_only_read_a_stream_can_commit_together(store: EventStore):
    shared, a, b = uuid4(), uuid4(), uuid4()
    await store.append(AppendRequest([event(shared, 1)], {shared: 0}))
    results = await asyncio.gather(
        store.append(AppendRequest([event(a, 1)], {a: 0, shared: 1})),
        store.append(AppendRequest([event(b, 1)], {b: 0, shared: 1})),
    )
    assert all(isinstance(r, Appended) for r in results)


async def test_a_command_deciding_on_a_stream_another_writes_in_the_same_rush_is_refused(
    store: EventStore,
):
    shared, reader = uuid4(), uuid4()
    await store.append(AppendRequest([event(shared, 1)], {shared: 0}))
    writer = store.append(AppendRequest([event(shared, 2)], {shared: 1}))
    deciding_on_old_state = store.append(AppendRequest([event(reader, 1)], {reader: 0, shared: 1}))
    results = await asyncio.gather(writer, deciding_on_old_state, return_exceptions=True)
    assert isinstance(results[0], Appended)
    assert isinstance(results[1], ConcurrencyConflict)


async def test_an_append_whose_grouped_key_was_seen_before_is_refused_and_writes_nothing(
    store: EventStore,
):
    first, second = uuid4(), uuid4()
    await store.append(AppendRequest([event(first, 1)], {first: 0}, "k1", b"hash", b"{}"))
    grouped = AppendRequest(
        [event(second, 1)], {second: 0}, "k2", b"hash", b"{}", grouped=[("k1", b"hash", b"{}")]
    )
    with pytest.raises(ConcurrencyConflict):
        await store.append(grouped)
    assert await store.read_stream(second) == []
    assert await store.pool.fetchval("SELECT count(*) FROM commands WHERE command_key = 'k2'") == 0


async def test_each_command_of_a_batch_is_judged_alone(store: EventStore):
    """One call of append_batch: a key seen before answers with its stored answer, a grouped
    key seen before refuses only its own command, and the third command is written."""
    seen, a, b, c = uuid4(), uuid4(), uuid4(), uuid4()
    stored = await store.append(AppendRequest([event(seen, 1)], {seen: 0}, "k1", b"h1", b"r1"))
    assert isinstance(stored, Appended)
    batch = [
        AppendRequest([event(a, 1)], {a: 0}, "k1", b"h1", b"r-again"),
        AppendRequest([event(b, 1)], {b: 0}, "k2", b"h2", b"r2", grouped=[("k1", b"h", b"")]),
        AppendRequest([event(c, 1)], {c: 0}, "k3", b"h3", b"r3"),
    ]
    rows = await store.pool.fetch(APPEND_SQL, *append_arguments(batch, notify=False))
    verdicts = [(r["idx"], r["status"], r["stored_result"]) for r in rows]
    assert verdicts == [(1, "duplicate", b"r1"), (2, "conflict", None), (3, "ok", None)]
    assert rows[0]["last_position"] == stored.last_position
    assert [len(await store.read_stream(s)) for s in (a, b, c)] == [0, 0, 1]


async def test_the_plans_append_batch_keeps_read_through_indexes_as_its_tables_grow(
    database_url: str,
):
    """Its plans are made once per connection and kept (migration 0013): a plan made while
    `commands` was nearly empty must still look keys up by index when the table has grown,
    not scan it (docs/adr/0001)."""
    fill = (
        "INSERT INTO commands (command_key, request_hash, recorded_at)"
        " SELECT 'fill-' || $1::text || '-' || g, '\\x00', now() FROM generate_series(1, $2) g"
    )
    async with explained(database_url) as (conn, plans):
        await conn.execute(fill, "small", 9)
        await conn.execute("ANALYZE commands, events")
        for round_ in range(2):
            if round_:
                await conn.execute(fill, "grown", 20_000)  # no ANALYZE: the kept plans stay
            plans.clear()
            stream = uuid4()
            request = AppendRequest(
                [event(stream, 1)], {stream: 0}, f"k{round_}", b"h", b"{}",
                grouped=[(f"g{round_}", b"h", b"{}")],
            )  # fmt: skip
            await conn.fetch(APPEND_SQL, *append_arguments([request], notify=False))
            looked_up = [p for p in plans if "FROM commands c WHERE" in p or "FROM events e" in p]
            assert len(looked_up) == 3, plans
            assert not [p for p in looked_up if "Seq Scan" in p], looked_up


async def test_append_batch_keeps_generic_plans_with_table_scans_ruled_out(store: EventStore):
    settings = await store.pool.fetchval(
        "SELECT proconfig FROM pg_proc WHERE proname = 'append_batch'"
    )
    assert settings == ["plan_cache_mode=force_generic_plan", "enable_seqscan=off"]
