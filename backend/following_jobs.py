"""Timed jobs that follow the event store from where they stopped, rather than scanning a read
model whole on every tick: their work is proportional to what changed since their last run.

A job names the event topics that may give it work and the read models it looks that work up
in. Each tick, under the job's advisory lock, it reads the streams those topics were recorded
on after its cursor, up to the position every one of those read models has reached (so a
look-up never misses what came before a change), finds the items they call for (the streams
its command runs on), and records the items and moves its cursor in one transaction. Then it
does the items, soonest day first, each removed once its command has committed or been
refused. A process that stops in between leaves the items for the next tick; the commands are
idempotent, so an item done twice does nothing more. On its first run a job has no cursor and
finds its items the long way, once (`Changes.first`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import NamedTuple
from uuid import UUID

import asyncpg
from eventsourcing.utils import get_topic

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute
from backend.state import Runtime
from domain.errors import DomainError

log = logging.getLogger("tuoyu.scheduler")
PAGE = 5_000  # events read per transaction: a job that was stopped long catches up in steps
ITEMS_PER_TICK = 2_000
ONE_DAY = timedelta(days=1)
_SINCE = (
    "SELECT position, stream_id, topic FROM events WHERE position > $1 AND position <= $2"
    " AND topic = ANY($3::text[]) ORDER BY position LIMIT $4"
)
_MARK = (
    "INSERT INTO job_items (job, item, day, marked)"
    " SELECT $1, u.item, u.day, $4 FROM unnest($2::uuid[], $3::date[]) AS u(item, day)"
    " ON CONFLICT (job, item) DO UPDATE SET day = least(job_items.day, excluded.day),"
    " marked = excluded.marked"
)
_MOVE = (
    "INSERT INTO job_cursors (job, position, updated_at) VALUES ($1, $2, now())"
    " ON CONFLICT (job) DO UPDATE SET position = excluded.position, updated_at = now()"
)


class Changes(NamedTuple):
    """What was recorded after a job's cursor, up to `upto` (where the cursor moves): the
    streams each of its topics was recorded on. `first`: the job never ran, nothing is read,
    and its items are found the long way."""

    first: bool
    upto: int
    streams: dict[str, set[UUID]]

    def of(self, *event_classes: type) -> set[UUID]:
        """The streams any of `event_classes` was recorded on."""
        return set().union(*(self.streams.get(get_topic(c), set()) for c in event_classes))


Find = Callable[[asyncpg.Connection, Changes, datetime], Awaitable[dict[UUID, date]]]
Command = Callable[..., Awaitable[CommandAccepted]]  # (uow, now, **{item_is: item})


@dataclass(frozen=True)
class FollowingJob:
    """`find` turns changes into items (stream → its local day); `command` is the service run
    on one item, refused or changing nothing when there is nothing to do."""

    name: str
    lock: int
    topics: tuple[type, ...]
    read_models: tuple[str, ...]
    find: Find
    command: Command
    item_is: str  # the keyword `command` takes the item under
    actor: str


@asynccontextmanager
async def alone(runtime: Runtime, lock: int) -> AsyncIterator[asyncpg.Connection | None]:
    """A connection holding the session advisory lock `lock`, or None while another worker
    holds it (that worker is on the job)."""
    async with runtime.pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
            yield None
            return
        try:
            yield conn
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock)


async def run_following_job(runtime: Runtime, job: FollowingJob) -> int:
    """Note what changed since the job's last run, then take up to ITEMS_PER_TICK of its items;
    return how many were taken up (0 while another worker is on the job)."""
    async with alone(runtime, job.lock) as conn:
        if conn is None:
            return 0
        now = runtime.clock.now()
        while await note_changes(conn, job, now):
            pass
        # days gone by need nothing offered or judged: from yesterday in UTC, today has begun
        # there in every time zone an institution uses
        await conn.execute(
            "DELETE FROM job_items WHERE job = $1 AND day < $2", job.name, (now - ONE_DAY).date()
        )
        return await _do_items(runtime, conn, job)


async def note_changes(conn: asyncpg.Connection, job: FollowingJob, now: datetime) -> bool:
    """One page of changes: its items recorded and the cursor moved past it, together (the
    first half of a tick; the caller holds the job's lock). True while there may be more."""
    async with conn.transaction():
        changes = await changes_since(conn, job)
        if changes is None:
            return False
        items = await job.find(conn, changes, now)
        if items:
            await conn.execute(_MARK, job.name, list(items), list(items.values()), changes.upto)
        await conn.execute(_MOVE, job.name, changes.upto)
        return not changes.first


async def changes_since(conn: asyncpg.Connection, job: FollowingJob) -> Changes | None:
    """The next page of changes after the job's cursor, or None when the read models it looks
    things up in have reached nothing new."""
    cursor = await conn.fetchval("SELECT position FROM job_cursors WHERE job = $1", job.name)
    reached = await _reached(conn, job.read_models)
    if cursor is None:
        return Changes(True, reached, {})
    if reached <= cursor:
        return None
    topics = [get_topic(c) for c in job.topics]
    rows = await conn.fetch(_SINCE, cursor, reached, topics, PAGE)
    streams: dict[str, set[UUID]] = {}
    for row in rows:
        streams.setdefault(row["topic"], set()).add(row["stream_id"])
    return Changes(False, rows[-1]["position"] if len(rows) == PAGE else reached, streams)


async def _reached(conn: asyncpg.Connection, read_models: Collection[str]) -> int:
    """The position every one of `read_models` has applied (0 if one never stepped)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(min(position), 0) AS low FROM projection_checkpoints"
        " WHERE name = ANY($1::text[])",
        list(read_models),
    )
    return int(row["low"]) if row["n"] == len(read_models) else 0


async def _do_items(runtime: Runtime, conn: asyncpg.Connection, job: FollowingJob) -> int:
    """The job's items, soonest first, each on its own at the time it is decided (a tick of
    2,000 takes a while: an offer's hold runs from when it is made): done or refused (the
    world moved on), it is removed; failed (a bug, a broken stream), it is told loudly and
    kept for the next tick, and the others still run."""
    rows = await conn.fetch(
        "SELECT item, marked FROM job_items WHERE job = $1 ORDER BY day, item LIMIT $2",
        job.name, ITEMS_PER_TICK,
    )  # fmt: skip
    for row in rows:
        now = runtime.clock.now()
        ctx = CommandContext(now=now, actor=job.actor)
        try:
            decide = partial(job.command, now=now, **{job.item_is: row["item"]})
            await execute(runtime.store, ctx, decide, CommandAccepted)
        except DomainError as refused:
            log.info("%s of %s not done: %s", job.name, row["item"], refused.detail)
        except Exception:
            log.exception("%s of %s failed; kept for the next tick", job.name, row["item"])
            continue
        await conn.execute(
            "DELETE FROM job_items WHERE job = $1 AND item = $2 AND marked = $3",
            job.name, row["item"], row["marked"],
        )  # fmt: skip
    return len(rows)
