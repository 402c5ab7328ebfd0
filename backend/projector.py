"""The projector: tails the event store and keeps every read model, exactly once.

Each step of a read model runs in one transaction that holds the model's advisory lock,
reads its checkpoint, applies the next batch and moves the checkpoint. A crash mid-batch
rolls all of it back; two processes never apply the same batch. Events a model does not
handle are skipped in SQL, but the checkpoint still moves past them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from backend.eventstore.store import EventStore
from projections.base import Envelope, Projection, topics_of

log = logging.getLogger("tuoyu.projector")
BATCH_SIZE = 2_000
_FETCH = (
    "SELECT position, stream_id, version, topic, state, recorded_at FROM events"
    " WHERE position > $1 AND position <= $2 AND topic = ANY($3::text[])"
    " ORDER BY position LIMIT $4"
)


def _lock_id(name: str) -> int:
    return 7_478_000_000 + zlib.crc32(name.encode())


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    checkpoint: int
    head: int
    events_behind: int
    seconds_behind: float


class Projector:
    def __init__(
        self, store: EventStore, projections: Sequence[Projection], batch_size: int = BATCH_SIZE
    ) -> None:
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._topics = {p.name: topics_of(p) for p in self.projections}
        self._progress = asyncio.Condition()
        self._positions: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None

    async def ensure_schema(self) -> None:
        async with self.store.pool.acquire() as conn:
            for projection in self.projections:
                async with conn.transaction():
                    await conn.execute(
                        "SELECT pg_advisory_xact_lock($1)", _lock_id(projection.name)
                    )
                    await conn.execute(projection.schema)

    async def step(self, projection: Projection) -> int:
        """Apply the next batch; return the new checkpoint if it moved, else 0."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_id(projection.name))
            checkpoint = await _checkpoint(conn, projection.name)
            head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
            if head <= checkpoint:
                self._positions[projection.name] = checkpoint
                return 0
            rows = await conn.fetch(
                _FETCH, checkpoint, head, self._topics[projection.name], self.batch_size
            )
            moved_to = rows[-1]["position"] if len(rows) == self.batch_size else head
            if rows:
                await projection.apply(conn, [self._envelope(row) for row in rows])
            await conn.execute(
                "INSERT INTO projection_checkpoints (name, position, updated_at)"
                " VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE"
                " SET position = excluded.position, updated_at = excluded.updated_at",
                projection.name,
                moved_to,
            )
        self._positions[projection.name] = moved_to
        async with self._progress:
            self._progress.notify_all()
        return int(moved_to)

    def _envelope(self, row: asyncpg.Record) -> Envelope:
        from eventsourcing.persistence import StoredEvent

        stored = StoredEvent(row["stream_id"], row["version"], row["topic"], row["state"])
        return Envelope(
            row["position"], row["recorded_at"], self.store.mapper.to_domain_event(stored)
        )

    async def catch_up(self, projection: Projection | None = None) -> None:
        for p in [projection] if projection else self.projections:
            while await self.step(p):
                pass

    async def wait_until(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until every read model has applied `position` (read-your-writes)."""

        def reached() -> bool:
            return all(self._positions.get(p.name, 0) >= position for p in self.projections)

        if reached():
            return True
        try:
            async with asyncio.timeout(timeout), self._progress:
                await self._progress.wait_for(reached)
        except TimeoutError:
            return False
        return True

    # ---- running in the server -----------------------------------------------------------

    async def start(self, listen_dsn: str | None = None) -> None:
        await self.ensure_schema()
        if listen_dsn is not None:
            self._listener = await asyncpg.connect(listen_dsn)
            await self._listener.add_listener("tuoyu_events", self._heard)
        for projection in self.projections:
            self._tasks.append(asyncio.create_task(self._follow(projection), name=projection.name))

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.store.heard_head(int(payload))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def _follow(self, projection: Projection) -> None:
        while True:
            try:
                moved_to = await self.step(projection)
                if not moved_to:
                    known = self._positions.get(projection.name, 0)
                    await self.store.wait_for_append(known, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projection %s failed; retrying", projection.name)
                await asyncio.sleep(1.0)

    # ---- operations ----------------------------------------------------------------------

    async def status(self) -> list[ProjectionStatus]:
        async with self.store.pool.acquire() as conn:
            head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
            result = []
            for projection in self.projections:
                checkpoint = await _checkpoint(conn, projection.name)
                oldest = await conn.fetchval(
                    "SELECT recorded_at FROM events WHERE position > $1 ORDER BY position LIMIT 1",
                    checkpoint,
                )
                behind = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
                result.append(
                    ProjectionStatus(projection.name, checkpoint, head, head - checkpoint, behind)
                )
        return result

    async def rebuild(
        self, projection: Projection, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Drop the read model's tables and replay it from position 0; return events applied."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_id(projection.name))
            for table in projection.tables:
                await conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            await conn.execute(projection.schema)
            await conn.execute(
                "DELETE FROM projection_checkpoints WHERE name = $1", projection.name
            )
        head = await self.store.head_position()
        while moved_to := await self.step(projection):
            if progress is not None:
                progress(moved_to, head)
        return head


async def _checkpoint(conn: asyncpg.Connection, name: str) -> int:
    value = await conn.fetchval("SELECT position FROM projection_checkpoints WHERE name = $1", name)
    return int(value or 0)
