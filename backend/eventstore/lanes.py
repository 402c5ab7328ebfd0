"""Per-stream lanes: commands on the same hot stream in this process take turns.

A command first tries optimistically, holding no lane. If its append conflicts, it retries
holding the lanes of every stream it touched (taken in sorted order, so two commands never
wait on each other crosswise). Commands queued on a lane then run one at a time and stop
conflicting with each other; only other processes (and each newcomer's one optimistic try)
can still move the stream, so retries stay bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from uuid import UUID


class Lanes:
    def __init__(self) -> None:
        self._locks: dict[UUID, asyncio.Lock] = {}
        self._users: dict[UUID, int] = {}

    def busy(self, stream_id: UUID) -> bool:
        return stream_id in self._locks

    @asynccontextmanager
    async def hold(self, streams: Iterable[UUID]) -> AsyncIterator[None]:
        ordered = sorted(set(streams))
        for stream in ordered:
            self._users[stream] = self._users.get(stream, 0) + 1
            self._locks.setdefault(stream, asyncio.Lock())
        held: list[UUID] = []
        try:
            for stream in ordered:
                await self._locks[stream].acquire()
                held.append(stream)
            yield
        finally:
            for stream in reversed(held):
                self._locks[stream].release()
            for stream in ordered:
                self._users[stream] -= 1
                if self._users[stream] == 0:
                    del self._users[stream], self._locks[stream]
