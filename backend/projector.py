"""The projector: tails the event store and keeps every read model, exactly once.

Each step of a read model runs in one transaction that holds the model's advisory lock,
reads its checkpoint, applies the next batch and moves the checkpoint. A crash mid-batch
rolls all of it back; two processes never apply the same batch. Events a model does not
handle are skipped in SQL, but the checkpoint still moves past them.

A rebuild reads and decodes the next page while the current one is applied (one page ahead:
bounded memory). The usual locked step applies a prefetched page only if the checkpoint still
equals the page's start; otherwise it reads its own page, and prefetching restarts from there.
The positions reached and the changes counted, and who is told: backend/projector_progress.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import asyncpg

from backend.erasures_heard import ErasuresHeard
from backend.eventstore.mapper import seals_personal_data
from backend.eventstore.store import EventStore
from backend.follower import follow_all, lock_key
from backend.projector_progress import ReadModelProgress
from backend.read_model_schema import ensure_current, record_schema
from projections.base import Envelope, Projection, indexes_of, topics_of

log = logging.getLogger("tuoyu.projector")
Progress = Callable[[int, int], None] | None  # (checkpoint, head) after each step
BATCH_SIZE = 2_000
REBUILD_BATCH = 10_000
DECODE_CHUNK = 1_000
_HEAD = "SELECT coalesce(max(position), 0) FROM events"
_FETCH = (
    "SELECT position, stream_id, version, topic, state, recorded_at FROM events"
    " WHERE position > $1 AND position <= $2 AND topic = ANY($3::text[])"
    " ORDER BY position LIMIT $4"
)
_MOVE = (
    "INSERT INTO projection_checkpoints (name, position, updated_at)"
    " VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE"
    " SET position = excluded.position, updated_at = excluded.updated_at"
)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    checkpoint: int
    head: int
    events_behind: int
    seconds_behind: float


class _Page(NamedTuple):  # the handled events in (after, moved_to], decoded
    after: int
    moved_to: int
    batch: list[Envelope]


class Projector(ReadModelProgress):
    def __init__(
        self, store: EventStore, projections: Sequence[Projection], batch_size: int = BATCH_SIZE
    ) -> None:
        super().__init__()
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._topics = {p.name: topics_of(p) for p in self.projections}
        self._sealed_topics = frozenset(
            t for topics in self._topics.values() for t in topics if seals_personal_data(t)
        )
        # what every live step sends (backend/follower.py): the models' lock keys and names,
        # and every topic any of them handles
        self.step_arguments = (
            [lock_key(p.name) for p in self.projections],
            [p.name for p in self.projections],
            sorted({t for topics in self._topics.values() for t in topics}),
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None
        self.erasures = ErasuresHeard(store.pool)  # told by the live follower's steps
        self.erasures.tell(store.forget_erased)

    async def ensure_schema(self) -> None:
        async with self.store.pool.acquire() as conn:
            for projection in self.projections:
                async with conn.transaction():
                    await _lock(conn, projection.name)
                    await ensure_current(conn, projection)

    async def step(self, projection: Projection) -> int:
        """Apply the next batch; return the new checkpoint if it moved, else 0."""
        return await self._step(projection, None, self.batch_size)

    async def _step(self, projection: Projection, prefetched: _Page | None, limit: int) -> int:
        """One transaction: lock, read the checkpoint, apply `prefetched` if it starts there
        (else read the next page here), move the checkpoint. Returns it if it moved, else 0."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await _lock(conn, projection.name)
            checkpoint = await _checkpoint(conn, projection.name)
            changed = self.moved_elsewhere({projection.name: checkpoint})
            page = prefetched if prefetched is not None and prefetched.after == checkpoint else None
            if page is None:
                head = await conn.fetchval(_HEAD)
                if head <= checkpoint:
                    self.changed(changed)
                    self._reached({projection.name: checkpoint})
                    return 0
                page = await self._read(conn, projection, checkpoint, head, limit)
            if page.batch:
                await projection.apply(conn, page.batch)
                changed = [projection.name]
            await conn.execute(_MOVE, projection.name, page.moved_to)
        self.changed(changed)
        self._reached({projection.name: page.moved_to})
        async with self._progress:
            self._progress.notify_all()
        return page.moved_to

    async def _read(
        self, conn: asyncpg.Connection, projection: Projection, after: int, head: int, limit: int
    ) -> _Page:
        """The handled events after `after`, decoded; a short page ends at `head`: all seen."""
        rows = await conn.fetch(_FETCH, after, head, self._topics[projection.name], limit)
        batch: list[Envelope] = []
        for start in range(0, len(rows), DECODE_CHUNK):
            chunk = rows[start : start + DECODE_CHUNK]
            await self.fetch_keys(conn, chunk)
            batch += self.decode(chunk)
            await asyncio.sleep(0)  # lets a page being applied meanwhile stream on
        return _Page(after, int(rows[-1][0]) if len(rows) == limit else int(head), batch)

    async def fetch_keys(self, conn: asyncpg.Connection, rows: Sequence[Any]) -> None:
        """The data keys of children whose sealed events are in `rows`, if not yet known
        (one query; rare: only events holding a child's personal data are sealed)."""
        if not self._sealed_topics:  # e.g. rebuilding a model that reads no child's data
            return
        keys, sealed = self.store.mapper.keys, self._sealed_topics
        wanted = [r[1] for r in rows if r[3] in sealed and not keys.knows(r[1])]
        if wanted:
            await keys.ensure(conn, wanted)

    def decode(self, rows: Sequence[asyncpg.Record]) -> list[Envelope]:
        decode = self.store.mapper.decode_state
        batch = []
        for position, stream_id, version, topic, state, recorded_at in rows:
            # As MsgspecMapper.to_domain_event, without building a StoredEvent per row.
            cls, attrs = decode(topic, state, stream_id)
            attrs["originator_id"] = stream_id
            attrs["originator_version"] = version
            event: Any = object.__new__(cls)
            object.__setattr__(event, "__dict__", attrs)
            batch.append(Envelope(position, recorded_at, event))
        return batch

    async def catch_up(self, projection: Projection | None = None) -> None:
        for p in [projection] if projection else self.projections:
            while await self.step(p):
                pass

    # ---- running in the server -----------------------------------------------------------

    async def start(self, listen_dsn: str | None = None) -> None:
        await self.ensure_schema()
        await self.erasures.begin()
        if listen_dsn is not None:
            self._listener = await asyncpg.connect(listen_dsn)
            await self._listener.add_listener("tuoyu_events", self._heard)
        self._tasks.append(asyncio.create_task(follow_all(self), name="read-models"))

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

    # ---- operations ----------------------------------------------------------------------

    async def status(self) -> list[ProjectionStatus]:
        async with self.store.pool.acquire() as conn:
            head = await conn.fetchval(_HEAD)
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
        self, projection: Projection, progress: Progress = None, batch_size: int = REBUILD_BATCH
    ) -> int:
        """Drop the read model's tables and replay it from position 0; return events applied."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await _lock(conn, projection.name)
            for table in projection.tables:
                await conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            await conn.execute(projection.schema)
            await conn.execute("DELETE FROM projection_checkpoints WHERE name=$1", projection.name)
            await record_schema(conn, projection)
        self.changed([projection.name])
        with _fewer_collections():
            try:
                head = await self._replay(projection, batch_size, progress)
            finally:  # its `indexes`: once at the head (or on failure), not row by row
                async with self.store.pool.acquire() as conn, conn.transaction():
                    await _lock(conn, projection.name)
                    await conn.execute(projection.schema + indexes_of(projection))
            while moved_to := await self.step(projection):  # what was appended meanwhile
                if progress is not None:
                    progress(moved_to, head)
        return head

    async def _replay(self, projection: Projection, limit: int, report: Progress) -> int:
        """Apply pages up to the head (returned), each read while the one before is applied."""
        head = await self.store.head_position()
        reading = self._prefetch(projection, 0, head, limit)
        try:
            while reading is not None:
                page = await reading
                reading = self._prefetch(projection, page.moved_to, head, limit)
                moved_to = await self._step(projection, page, limit)
                if not moved_to:
                    break
                if moved_to != page.moved_to:  # another projector moved it: read from there
                    await _discard(reading)
                    reading = self._prefetch(projection, moved_to, head, limit)
                if report is not None:
                    report(moved_to, head)
        finally:
            await _discard(reading)
        return head

    def _prefetch(
        self, projection: Projection, after: int, head: int, limit: int
    ) -> asyncio.Task[_Page] | None:
        """Read the page after `after` on its own connection. Safe outside the lock: positions up
        to a seen head are never filled in behind it; `_step` decides if the page still applies."""
        if after >= head:
            return None

        async def read() -> _Page:
            async with self.store.pool.acquire() as conn:
                return await self._read(conn, projection, after, head, limit)

        return asyncio.create_task(read(), name=f"prefetch {projection.name}")


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect the young generation every 100,000 allocations, not 700, while rebuilding:
    pages of fresh acyclic objects (freed by refcount anyway) stay alive a while, and the
    collector kept traversing them (10-15 % of the time). The last rebuild out restores."""
    _rebuilding.append(_rebuilding[0] if _rebuilding else gc.get_threshold())
    gc.set_threshold(max(_rebuilding[0][0], 100_000), *_rebuilding[0][1:])
    try:
        yield
    finally:
        before = _rebuilding.pop()
        if not _rebuilding:
            gc.set_threshold(*before)


_rebuilding: list[tuple[int, int, int]] = []


async def _discard(task: asyncio.Task[_Page] | None) -> None:
    """Cancel a page read that is no longer wanted; how it ended, even an error, is not news."""
    if task is not None:
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()


async def _lock(conn: asyncpg.Connection, name: str) -> None:
    """The read model's advisory lock, held until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(name))


async def _checkpoint(conn: asyncpg.Connection, name: str) -> int:
    value = await conn.fetchval("SELECT position FROM projection_checkpoints WHERE name = $1", name)
    return int(value or 0)
