"""Work done in child processes for the rebuild benchmark: making events, and the two timed replays.

Each timed replay runs in a fresh interpreter, so its peak RSS is its own and not the bench's.
"""

from __future__ import annotations

import asyncio
import resource
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import asyncpg

EVENT_COLUMNS = ("position", "stream_id", "version", "topic", "state", "recorded_at")
PAGE = 2_000
_KEYSET = (
    "SELECT position, stream_id, version, topic, state, recorded_at FROM events"
    " WHERE position > $1 ORDER BY position LIMIT $2"
)

Row = tuple[int, UUID, int, str, bytes, datetime]


def make_accounts(first: int, count: int) -> list[Row]:
    """Rows for `count` real Account.Registered events (accounts first..first+count-1).

    Position i+1 belongs to account i; phones are 13000000000 + i, all distinct and valid.
    """
    from backend.eventstore.mapper import MsgspecMapper
    from domain.account.aggregate import Account, Role

    mapper = MsgspecMapper()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    rows: list[Row] = []
    for i in range(first, first + count):
        now = base + timedelta(seconds=i)
        account = Account.register(str(13_000_000_000 + i), f"家长{i}", Role.guardian, now)
        stored = mapper.to_stored_event(account.collect_events()[0])
        rows.append(
            (
                i + 1,
                stored.originator_id,
                stored.originator_version,
                stored.topic,
                stored.state,
                now,
            )
        )
    return rows


def _peak_rss_mb() -> float:
    """This process's own peak RSS in MiB.

    ru_maxrss survives execve on Linux, so in a spawned child it starts at the parent's
    RSS at fork time (the whole bench's). VmHWM is the high-water mark of this process's
    own memory map, which is what we want; ru_maxrss is the fallback elsewhere.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _reporter(label: str, total: int) -> Any:
    marks = iter(range(1, 11))
    step = next(marks)
    start = time.perf_counter()

    def report(done: int) -> None:
        nonlocal step
        while total and done >= total * step / 10:
            rate = done / (time.perf_counter() - start)
            print(f"    {label}: {done:,}/{total:,} ({rate:,.0f} events/s)", flush=True)
            step = next(marks, 11)

    return report


def keyset_decode(dsn: str, total: int) -> dict[str, Any]:
    """Anchor: bare keyset-paged read of the events table and msgspec decode of every event."""
    return asyncio.run(_keyset_decode(dsn, total))


async def _keyset_decode(dsn: str, total: int) -> dict[str, Any]:
    from eventsourcing.persistence import StoredEvent

    from backend.eventstore.mapper import MsgspecMapper

    mapper = MsgspecMapper()
    report = _reporter("keyset read + decode", total)
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        after, events = 0, 0
        while rows := await conn.fetch(_KEYSET, after, PAGE):
            for row in rows:
                mapper.to_domain_event(StoredEvent(row[1], row[2], row[3], row[4]))
            after = rows[-1][0]
            events += len(rows)
            report(events)
        seconds = time.perf_counter() - started
    finally:
        await conn.close()
    return {"events": events, "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def rebuild_accounts(dsn: str, total: int) -> dict[str, Any]:
    """Ours: Projector(store, [accounts]).rebuild(accounts), end to end, then count the rows."""
    return asyncio.run(_rebuild_accounts(dsn, total))


async def _rebuild_accounts(dsn: str, total: int) -> dict[str, Any]:
    from backend.eventstore.store import EventStore
    from backend.projector import Projector
    from projections import accounts
    from projections.base import Projection

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    store = EventStore(pool)
    projection = cast(Projection, accounts)
    report = _reporter("Projector.rebuild(accounts)", total)
    try:
        started = time.perf_counter()
        head = await Projector(store, [projection]).rebuild(
            projection, progress=lambda moved_to, _head: report(moved_to)
        )
        seconds = time.perf_counter() - started
        rows = await pool.fetchval("SELECT count(*) FROM rm_accounts")
    finally:
        await store.close()
        await pool.close()
    return {
        "events": int(head),
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "rows": int(rows),
    }
