"""The live follower: every read model advanced together, one transaction per batch.

Following each read model on its own meant a transaction per model per wake-up: under the
booking rush that was ~8 commits (and WAL flushes) per booking competing with the appends.
Here one transaction takes every model's lock, reads the new events once, decodes them once,
gives each model the ones it handles past its own checkpoint, and moves the checkpoints it
must. Still exactly once: rows and checkpoints commit together. Rebuilds keep their own
per-model path (backend/projector.py).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import TYPE_CHECKING

from projections.base import topics_of

if TYPE_CHECKING:
    from backend.projector import Projector

log = logging.getLogger("tuoyu.projector")
_LOCK_ALL = (
    "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS t(k) ORDER BY k"  # no deadlock
)
_CHECKPOINTS = "SELECT name, position FROM projection_checkpoints WHERE name = ANY($1::text[])"


def lock_key(name: str) -> int:
    return 7_478_000_000 + zlib.crc32(name.encode())


async def step_all(projector: Projector) -> int:
    """Advance every read model by one batch; return the new position if any moved, else 0."""
    from backend.projector import _FETCH, _HEAD, _MOVE

    models = projector.projections
    names = [p.name for p in models]
    async with projector.store.pool.acquire() as conn, conn.transaction():
        await conn.execute(_LOCK_ALL, [lock_key(n) for n in names])
        found = {r["name"]: int(r["position"]) for r in await conn.fetch(_CHECKPOINTS, names)}
        checkpoints = {n: found.get(n, 0) for n in names}
        head = int(await conn.fetchval(_HEAD))
        low = min(checkpoints.values(), default=head)
        if head <= low:
            await projector.positions_reached(checkpoints)
            return 0
        topics = sorted({t for p in models for t in topics_of(p)})
        rows = await conn.fetch(_FETCH, low, head, topics, projector.batch_size)
        moved_to = int(rows[-1][0]) if len(rows) == projector.batch_size else head
        batch = projector.decode(rows)
        moves = []
        for model in models:
            checkpoint = checkpoints[model.name]
            if checkpoint >= moved_to:
                continue
            handles = tuple(model.handles)
            mine = [e for e in batch if e.position > checkpoint and isinstance(e.event, handles)]
            if mine:
                await model.apply(conn, mine)
            moves.append((model.name, moved_to))
            checkpoints[model.name] = moved_to
        await conn.executemany(_MOVE, moves)
    await projector.positions_reached(checkpoints)
    return moved_to


async def follow_all(projector: Projector) -> None:
    while True:
        try:
            if not await step_all(projector):
                await projector.store.wait_for_append(projector.lowest_position(), timeout=1.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("read models failed to advance; retrying")
            await asyncio.sleep(1.0)
