"""Which institutions' live occupancy feeds moved, found once per projector step for the whole
process, so an open stream wakes (and reads the database) only when its institution changed.

Without it every open stream re-read its feed after every projector step of any institution:
with many admins watching, each check-in anywhere cost one query per open stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import UUID

import asyncpg

from backend.projector import Projector

log = logging.getLogger("tuoyu.live_feed")
_MOVED = (
    "SELECT institution_id, max(position) AS head FROM rm_occupancy_feed"
    " WHERE position > $1 GROUP BY institution_id"
)
_HEAD_OF = "SELECT coalesce(max(position), 0) FROM rm_occupancy_feed WHERE institution_id = $1"
_HEAD = "SELECT coalesce(max(position), 0) FROM rm_occupancy_feed"


class FeedHub:
    def __init__(self, pool: asyncpg.Pool, projector: Projector) -> None:
        self._pool, self._projector = pool, projector
        self._heads: dict[UUID, int] = {}
        self._moved = asyncio.Condition()
        self._scanned = -1  # feed position up to which moves are known; -1: not started
        self._task: asyncio.Task[None] | None = None
        self._waiting = 0
        self._wanted = asyncio.Event()  # set while some stream waits: else the hub idles

    async def wait_past(self, institution_id: UUID, after: int, timeout: float) -> bool:
        """Wait (at most `timeout` s) until the institution's feed has a row after `after`."""
        await self._start()
        if institution_id not in self._heads:
            head = await self._pool.fetchval(_HEAD_OF, institution_id)
            self._heads[institution_id] = max(head, self._heads.get(institution_id, 0))

        def moved() -> bool:
            return self._heads.get(institution_id, 0) > after

        self._waiting += 1
        self._wanted.set()
        try:
            async with asyncio.timeout(timeout), self._moved:
                await self._moved.wait_for(moved)
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
        return True

    async def _start(self) -> None:
        if self._task is None:
            self._scanned = int(await self._pool.fetchval(_HEAD))
            self._task = asyncio.create_task(self._follow(), name="live-feed-hub")

    async def _follow(self) -> None:
        while True:
            try:
                if not self._waiting:  # nobody watching: no scans until someone is
                    self._wanted.clear()
                    await self._wanted.wait()
                seen = self._projector.lowest_position()  # before the scan: no step missed
                rows = await self._pool.fetch(_MOVED, self._scanned)
                if rows:
                    for institution_id, head in rows:
                        self._heads[institution_id] = max(head, self._heads.get(institution_id, 0))
                    self._scanned = max(self._scanned, *(r["head"] for r in rows))
                    async with self._moved:
                        self._moved.notify_all()
                await self._projector.wait_until(seen + 1, 30.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live feed hub failed to scan; retrying")
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
