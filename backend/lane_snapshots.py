"""A hot lane's snapshots wait for a pause in its traffic.

A stream's snapshot falls due each time it crosses its interval (`snapshot_interval` in
backend/commands.py), and an ordinary command takes it at once. A lane's stream is the one
a rush writes: a room-day under the 8 pm booking rush holds thousands of bookings, and
encoding one such snapshot stops the event loop (19 ms at 16,000 bookings, 32 ms at
32,000) for every booking in flight, while PostgreSQL writes megabytes. Meanwhile the
aggregate stays cached, so the snapshot would serve only a process started during the rush.

So a lane's due snapshots wait until no command has run on it for `QUIET_SECONDS`, and at
most `LONGEST_WAIT_SECONDS` (then one is taken between two groups): a cold load replays at
most that much more of the lane's commands than it would have. A quiet lane (an
institution's attendance day between check-ins) takes its snapshots a moment later than it
would have. What is written is the cached copy at that moment: the cache holds only
committed state, and no command holds an entry while it is there. A stream whose copy left
the cache meanwhile is skipped; its next crossing falls due again. Docs: docs/adr/0019.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from backend.commands import snapshot_due, snapshot_soon
from backend.eventstore.store import EventStore

QUIET_SECONDS = 0.25
LONGEST_WAIT_SECONDS = 30.0


class PostponedSnapshots:
    def __init__(
        self,
        store: EventStore,
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_WAIT_SECONDS,
    ) -> None:
        self._store = store
        self._quiet = quiet
        self._longest = longest
        # lane → stream → (when it fell due, monotonic; the time of the command that moved it)
        self._due: dict[UUID, dict[UUID, tuple[float, datetime]]] = {}
        self._paused_at: dict[UUID, float] = {}

    def note(self, lane: UUID, moved: list[tuple[Any, int]], now: datetime) -> None:
        """After a group committed: each stream it moved across its interval falls due."""
        for aggregate, read_version in moved:
            if snapshot_due(aggregate, read_version):
                due = self._due.setdefault(lane, {})
                since = due[aggregate.id][0] if aggregate.id in due else time.monotonic()
                due[aggregate.id] = (since, now)

    def take_overdue(self, lane: UUID) -> None:
        """Between two groups of a busy lane: the snapshots that waited long enough."""
        due = self._due.get(lane)
        if due:
            limit = time.monotonic() - self._longest
            self._take(lane, [stream for stream, (since, _) in due.items() if since <= limit])

    def lane_paused(self, lane: UUID, busy: Callable[[UUID], bool]) -> None:
        """The lane's queue ran dry: its due snapshots are taken if it stays quiet."""
        if lane not in self._due:
            return
        paused_at = self._paused_at[lane] = time.monotonic()

        def if_still_quiet() -> None:
            if not busy(lane) and self._paused_at.get(lane) == paused_at:
                self._take(lane, list(self._due.get(lane, ())))

        asyncio.get_running_loop().call_later(self._quiet, if_still_quiet)

    def waiting(self, lane: UUID) -> list[UUID]:
        """The streams of this lane whose snapshots are due and not yet taken."""
        return list(self._due.get(lane, ()))

    def _take(self, lane: UUID, streams: list[UUID]) -> None:
        due = self._due.get(lane, {})
        for stream_id in streams:
            _, now = due.pop(stream_id)
            aggregate = self._store.cache.peek(stream_id)
            if aggregate is not None:
                snapshot_soon(self._store, aggregate, now)
        if not due:
            self._due.pop(lane, None)
            self._paused_at.pop(lane, None)
