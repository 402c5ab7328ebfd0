"""The event store: append (batched, atomic across streams), read a stream, read all in order, snapshots."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.utils import get_topic

from backend.eventstore.appender import Appender, AppendOutcome
from backend.eventstore.cache import DEFAULT_CACHE_ENTRIES, AggregateCache
from backend.eventstore.lanes import Lanes
from backend.eventstore.mapper import MsgspecMapper, seals_personal_data
from backend.eventstore.records import AppendRequest, NewEvent, RecordedEvent

_EVENT_COLUMNS = "position, stream_id, version, topic, state, recorded_at, command_key, actor"
log = logging.getLogger("tuoyu.eventstore")
FROM_THE_FIRST_EVENT = -1  # `after` for read_streams: every event, the snapshot ignored
# Snapshot rows (kind 0) come before each stream's events (kind 1), which come in version order;
# a child's data key (kind 2, the key in `state`) comes last, so its sealed fields open.
# For each stream: read after version `after` if given (> 0), else from its latest snapshot
# (0), or from the first event (FROM_THE_FIRST_EVENT: no snapshot row is selected).
_READ_STREAMS = (
    "WITH ids AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS t(sid, after)),"
    " snap AS (SELECT s.stream_id, s.version, s.topic, s.state FROM snapshots s"
    " JOIN ids ON s.stream_id = ids.sid WHERE ids.after = 0)"
    " SELECT 0 AS kind, stream_id, version, topic, state FROM snap"
    " UNION ALL"
    " SELECT 1, e.stream_id, e.version, e.topic, e.state FROM ids JOIN events e"
    " ON e.stream_id = ids.sid AND e.version > greatest(ids.after, coalesce("
    " (SELECT snap.version FROM snap WHERE snap.stream_id = ids.sid), 0))"
    " UNION ALL"
    " SELECT 2, k.child_id, 0, '', k.key FROM ids JOIN child_data_keys k ON k.child_id = ids.sid"
    " ORDER BY 2, 1, 3"
)


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(*row)


class EventStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        mapper: MsgspecMapper | None = None,
        notify: bool = True,
        cache_entries: int = DEFAULT_CACHE_ENTRIES,
    ) -> None:
        self.pool = pool
        self.mapper = mapper or MsgspecMapper()
        self._appender = Appender(pool, self._committed, notify=notify)
        self.lanes = Lanes()
        self.cache = AggregateCache(cache_entries)
        self._head = 0
        self._head_moved = asyncio.Event()  # replaced by a fresh one each time it is set
        self._snapshot_writes: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        await self.snapshots_written()
        await self._appender.stop()

    # ---- writing -------------------------------------------------------------------------

    def new_events(self, domain_events: Sequence[Any]) -> list[NewEvent]:
        """Map pending domain events to rows (topic + encoded state)."""
        rows = []
        for event in domain_events:
            stored = self.mapper.to_stored_event(event)
            stream_id = stored.originator_id
            rows.append(
                NewEvent(
                    stream_id if isinstance(stream_id, UUID) else UUID(str(stream_id)),
                    stored.originator_version,
                    stored.topic,
                    stored.state,
                )
            )
        return rows

    async def append(self, request: AppendRequest) -> AppendOutcome:
        """Commit one command's events; raises ConcurrencyConflict on a stale expected version."""
        return await self._appender.append(request)

    def heard_head(self, position: int) -> None:
        """Commits up to `position` are known from elsewhere: another process's (heard through
        LISTEN/NOTIFY), or the head a read-model step read."""
        self._committed(position)

    def _committed(self, position: int) -> None:
        if position > self._head:
            self._head = position
            moved, self._head_moved = self._head_moved, asyncio.Event()
            moved.set()

    async def wait_for_append(self, after: int, timeout: float) -> bool:
        """Wait until a commit past `after` is known (this process's, or heard via NOTIFY)."""
        try:
            async with asyncio.timeout(timeout):
                while self._head <= after:
                    await self._head_moved.wait()
        except TimeoutError:
            return False
        return True

    # ---- reading -------------------------------------------------------------------------

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[RecordedEvent]:
        rows = await self.pool.fetch(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2"
            " ORDER BY version",
            stream_id,
            after_version,
        )
        return [_recorded(r) for r in rows]

    async def read_streams(
        self, stream_ids: list[UUID], after: list[int] | None = None
    ) -> dict[UUID, tuple[tuple[int, str, bytes] | None, list[tuple[int, str, bytes]]]]:
        """Several streams in one round trip: each one's events after `after[i]` if positive,
        its latest snapshot and the events after that if 0, every event and no snapshot if
        FROM_THE_FIRST_EVENT (-1: a snapshot that no longer fits its aggregate). A child's
        data key comes in the same round trip; sealed rows without one read as erased."""
        rows = await self.pool.fetch(_READ_STREAMS, stream_ids, after or [0] * len(stream_ids))
        found: dict[UUID, tuple[tuple[int, str, bytes] | None, list[tuple[int, str, bytes]]]] = {}
        keys = self.mapper.keys
        for kind, stream_id, version, topic, state in rows:
            if kind == 2:
                if not keys.knows(stream_id):
                    keys.learn(stream_id, state)
                continue
            _, events = found.setdefault(stream_id, (None, []))
            if kind == 0:
                found[stream_id] = ((version, topic, state), events)
            else:
                events.append((version, topic, state))
        for stream_id, (snapshot, events) in found.items():
            if not keys.knows(stream_id) and any(
                seals_personal_data(topic) for _, topic, _ in [*events, *filter(None, [snapshot])]
            ):
                keys.learn(stream_id, None)  # no key in the same read: erased
        return found

    async def stream_versions(self, stream_ids: list[UUID]) -> dict[UUID, int]:
        """Each stream's current version (0 if it has no event), one index probe each."""
        rows = await self.pool.fetch(
            "SELECT s.id, (SELECT e.version FROM events e WHERE e.stream_id = s.id"
            " ORDER BY e.version DESC LIMIT 1) FROM unnest($1::uuid[]) AS s(id)",
            stream_ids,
        )
        return {stream_id: version or 0 for stream_id, version in rows}

    async def has_event(self, stream_id: UUID, event_class: type) -> bool:
        """Whether the stream holds an event of this class (its index: the stream's rows)."""
        found = await self.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND topic = $2)",
            stream_id,
            get_topic(event_class),
        )
        return bool(found)

    async def read_all(
        self, after_position: int, limit: int, conn: asyncpg.Connection | None = None
    ) -> list[RecordedEvent]:
        """Events after `after_position` in commit order. Positions are never filled in behind."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
        rows = await (conn or self.pool).fetch(sql, after_position, limit)
        return [_recorded(r) for r in rows]

    async def head_position(self) -> int:
        value = await self.pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return int(value)

    def to_domain_event(self, event: RecordedEvent) -> Any:
        from eventsourcing.persistence import StoredEvent

        return self.mapper.to_domain_event(
            StoredEvent(event.stream_id, event.version, event.topic, event.state)
        )

    def forget_erased(self, child_ids: Sequence[UUID]) -> None:
        """These children were erased (perhaps by another process): their keys and cached
        aggregates leave this process's memory (backend/erasures_heard.py). A key forgotten is
        never fetched again: it reads as erased."""
        for child_id in child_ids:
            self.mapper.keys.forget(child_id)
            self.cache.take(child_id)

    async def destroy_child_key(self, child_id: UUID) -> None:
        """Crypto-shred a child's personal data: its key goes, and its snapshots with it (they
        would be unreadable anyway). Idempotent; the children read model repeats it."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM snapshots WHERE stream_id = $1", child_id)
            await self.mapper.keys.destroy(conn, child_id)

    # ---- snapshots -----------------------------------------------------------------------

    async def latest_snapshot(self, stream_id: UUID) -> tuple[int, str, bytes] | None:
        row = await self.pool.fetchrow(
            "SELECT version, topic, state FROM snapshots WHERE stream_id = $1", stream_id
        )
        return None if row is None else (row["version"], row["topic"], row["state"])

    def save_snapshot_soon(
        self, stream_id: UUID, version: int, topic: str, state: bytes, taken_at: datetime
    ) -> None:
        """Write a snapshot in the background: the writer (a hot stream's lane) goes on with
        its next commands meanwhile. A snapshot only shortens a later load, so one that
        cannot be written is logged, not raised; an older one never replaces a newer one."""

        async def write() -> None:
            try:
                await self.save_snapshot(stream_id, version, topic, state, taken_at)
            except Exception:
                log.warning("snapshot of %s at %d not written", stream_id, version,
                            exc_info=True)  # fmt: skip

        task = asyncio.get_running_loop().create_task(write(), name=f"snapshot-{stream_id}")
        self._snapshot_writes.add(task)
        task.add_done_callback(self._snapshot_writes.discard)

    async def snapshots_written(self) -> None:
        """Wait for the snapshots being written in the background (before closing the pool)."""
        while self._snapshot_writes:
            await asyncio.gather(*self._snapshot_writes)

    async def save_snapshot(
        self, stream_id: UUID, version: int, topic: str, state: bytes, taken_at: datetime
    ) -> None:
        await self.pool.execute(
            "INSERT INTO snapshots (stream_id, version, topic, state, taken_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id) DO UPDATE"
            " SET version = excluded.version, topic = excluded.topic, state = excluded.state,"
            " taken_at = excluded.taken_at WHERE snapshots.version < excluded.version",
            stream_id,
            version,
            topic,
            state,
            taken_at,
        )
