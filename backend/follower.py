"""The live follower: every read model advanced together, one transaction per batch.

Following each read model on its own meant a transaction per model per wake-up: under the
booking rush that was ~8 commits (and WAL flushes) per booking competing with the appends.
Here one transaction takes every model's lock, reads the new events once (the locks, the
checkpoints, the head and the events in one round trip: migration 0007), decodes them once,
gives each model the ones it handles past its own checkpoint, and moves the checkpoints it
must. Still exactly once: rows and checkpoints commit together. Rebuilds keep their own
per-model path (backend/projector.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import zlib
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

import asyncpg

from backend.erasures_heard import APPLIED_BY

if TYPE_CHECKING:
    from backend.projector import Projector
    from projections.base import Envelope

log = logging.getLogger("tuoyu.projector")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_BEGIN = "BEGIN; SET LOCAL synchronous_commit TO off"
BEGIN_STEP = "SELECT * FROM read_models_begin_step($1, $2, $3, $4)"  # migration 0007


def lock_key(name: str) -> int:
    if not _NAME.fullmatch(name):
        raise ValueError(f"read model name {name!r}: lowercase letters, digits and _ only")
    return 7_478_000_000 + zlib.crc32(name.encode())


def moves_and_commit(moves: list[tuple[str, int]]) -> str:
    """The checkpoints' moves and the COMMIT as one simple query (one round trip, no
    parameters: the names are the read models' own, of _NAME's letters, the positions ints)."""
    if not all(_NAME.fullmatch(name) for name, _ in moves):
        raise ValueError(f"read model names: lowercase letters, digits and _ only: {moves}")
    if not moves:
        return "COMMIT"
    values = ", ".join(f"('{name}', {int(position)}, now())" for name, position in moves)
    return (
        f"INSERT INTO projection_checkpoints (name, position, updated_at) VALUES {values}"
        " ON CONFLICT (name) DO UPDATE"
        " SET position = excluded.position, updated_at = excluded.updated_at; COMMIT"
    )


async def step_all(projector: Projector) -> int:
    """Advance every read model by one batch; return the new position if any moved, else 0."""
    async with projector.store.pool.acquire() as conn:
        # Asynchronous commit: a read model's rows and checkpoint commit together, so a step
        # lost in a crash is applied again, identically (docs/adr/0009).
        await conn.execute(_BEGIN)
        try:
            step = await _step(projector, conn)
        except BaseException:
            with contextlib.suppress(Exception):  # else the pool rolls back on release
                await conn.execute("ROLLBACK")
            raise
    projector.applied(step.applied)  # before the positions: a follower of the feed is current
    projector.changed(step.changed, step.streams)
    await projector.positions_reached(step.checkpoints)
    projector.store.heard_head(step.head)  # a head not yet heard of (no NOTIFY) is known now
    await projector.erasures.heard(step.applied.get(APPLIED_BY), step.checkpoints.get(APPLIED_BY))
    return step.moved_to


class _Step(NamedTuple):
    """A committed step: moved to (0 if nothing moved), the head it read, every model's
    checkpoint, the models whose rows may have changed, for each model that applied events
    here the streams they came from, and for each model moved here (after, up to, the events
    it applied)."""

    moved_to: int
    head: int
    checkpoints: dict[str, int]
    changed: list[str]
    streams: dict[str, set[UUID]]
    applied: dict[str, tuple[int, int, list[Envelope]]]


async def _step(projector: Projector, conn: asyncpg.Connection) -> _Step:
    """Inside the step's transaction: apply the next batch and commit."""
    models = projector.projections
    keys, names, topics = projector.step_arguments
    # one round trip: every model's lock, their checkpoints, the head, the next events
    rows = await conn.fetch(BEGIN_STEP, keys, names, topics, projector.batch_size)
    checkpoints = {r[1]: int(r[2]) for r in rows if r[0] == 0}
    head = next(int(r[2]) for r in rows if r[0] == 1)
    events = [r[2:] for r in rows if r[0] == 2]
    low = min(checkpoints.values(), default=head)
    changed = projector.moved_elsewhere(checkpoints)
    streams: dict[str, set[UUID]] = {}
    applied: dict[str, tuple[int, int, list[Envelope]]] = {}
    if head <= low:
        await conn.execute("COMMIT")
        return _Step(0, head, checkpoints, changed, streams, applied)
    moved_to = int(events[-1][0]) if len(events) == projector.batch_size else head
    await projector.fetch_keys(conn, events)
    batch = projector.decode(events)
    moves = []
    for model in models:
        checkpoint = checkpoints[model.name]
        if checkpoint >= moved_to:
            continue
        handles = tuple(model.handles)
        mine = [e for e in batch if e.position > checkpoint and isinstance(e.event, handles)]
        if mine:
            await model.apply(conn, mine)
            if model.name not in changed:  # moved elsewhere too: it may have changed anywhere
                streams[model.name] = {e.event.originator_id for e in mine}
                changed.append(model.name)
        moves.append((model.name, moved_to))
        applied[model.name] = (checkpoint, moved_to, mine)
        checkpoints[model.name] = moved_to
    await conn.execute(moves_and_commit(moves))
    return _Step(moved_to, head, checkpoints, changed, streams, applied)


async def follow_all(projector: Projector) -> None:
    """Step, then wait for a commit past what every model applied. A step that reached the
    head it read is not followed by another at once: that one would only find nothing, three
    round trips (BEGIN, the step's read, COMMIT) per step under a trickle of commands. A step
    cut short by the batch size goes on at once (the head it read is past it)."""
    while True:
        try:
            await step_all(projector)
            await projector.store.wait_for_append(projector.lowest_position(), timeout=1.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("read models failed to advance; retrying")
            await asyncio.sleep(1.0)
