"""Which institutions' live occupancy feeds moved, and their new rows, known once per projector
step for the whole process, so an open stream wakes only when its institution changed, and
takes the new rows from memory instead of reading them again.

Without it every open stream re-read its feed after every projector step of any institution:
with many admins watching, each check-in anywhere cost one query per open stream. A stream
whose position the kept rows do not reach (it resumes from an old Last-Event-ID, or its
institution was not watched when the rows came) reads the database as before.

A step of this process's follower hands the hub the events it applied to the attendance read
model (`Projector.follow_steps`), and the hub makes their feed rows itself
(`projections.attendance_feed.feed_of`, as the model does), so it learns of them without a query
and without waiting for one. Rows it was not handed (another process's steps, a rebuild, the
time before it started) it reads from `rm_occupancy_feed`, as before.

A child's erasure blanks the staff's words about it in the table (ADR 0012); the hub blanks
them in the rows it keeps alike, learning of the erasure from its own step's events, or, for
another process's step, from the events it reads past when it scans.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from uuid import UUID

import asyncpg

from backend.erasures_heard import children_erased_between
from backend.projector import Projector
from domain.child.aggregate import Child
from projections import attendance, attendance_days, attendance_feed
from projections.attendance_erasure import feed_data_without_words
from projections.base import Envelope

log = logging.getLogger("tuoyu.live_feed")
_NEW_ROWS = (
    "SELECT position, institution_id, kind, data::text AS data FROM rm_occupancy_feed"
    " WHERE position > $1 ORDER BY position LIMIT $2"
)
SCAN_PAGE = 2_000
KEPT_PER_INSTITUTION = 1_000


class FeedRow(NamedTuple):
    position: int
    kind: str
    data: str


@dataclass
class _Kept:
    """A watched institution's newest feed rows: every row after `complete_after` is here."""

    complete_after: int
    watchers: int = 0
    rows: list[FeedRow] = field(default_factory=list)

    def add(self, row: FeedRow) -> None:
        self.rows.append(row)
        if len(self.rows) > 2 * KEPT_PER_INSTITUTION:
            self.complete_after = self.rows[-KEPT_PER_INSTITUTION - 1].position
            del self.rows[:-KEPT_PER_INSTITUTION]


_HEAD_OF = "SELECT coalesce(max(position), 0) FROM rm_occupancy_feed WHERE institution_id = $1"
_HEAD = "SELECT coalesce(max(position), 0) FROM rm_occupancy_feed"
_CHILD_ID = '"child_id":"'  # how a feed row's JSON names its child (a UUID's 36 characters)
_FED_BY = attendance.name  # the read model whose steps write the feed


class FeedHub:
    def __init__(self, pool: asyncpg.Pool, projector: Projector) -> None:
        self._pool, self._projector = pool, projector
        self._heads: dict[UUID, int] = {}
        self._kept: dict[UUID, _Kept] = {}
        self._moved = asyncio.Event()  # set, and replaced, whenever heads move
        self._scanned = -1  # feed position up to which moves are known; -1: not started
        self._task: asyncio.Task[None] | None = None
        self._waiting = 0
        self._wanted = asyncio.Event()  # set while some stream waits: else the hub idles
        projector.follow_steps(_FED_BY, self._stepped)

    async def wait_past(self, institution_id: UUID, after: int, timeout: float) -> bool:
        """Wait (at most `timeout` s) until the institution's feed has a row after `after`."""
        await self._start()
        if institution_id not in self._heads:
            head = await self._pool.fetchval(_HEAD_OF, institution_id)
            self._heads[institution_id] = max(head, self._heads.get(institution_id, 0))

        self._waiting += 1
        self._wanted.set()
        try:
            async with asyncio.timeout(timeout):
                while self._heads.get(institution_id, 0) <= after:
                    await self._moved.wait()
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
        return True

    @contextlib.contextmanager
    def watching(self, institution_id: UUID) -> Iterator[None]:
        """While open, the institution's new rows are kept for `rows_after`."""
        kept = self._kept.get(institution_id)
        if kept is None:  # complete from the last scan on: the next one brings what follows
            kept = self._kept[institution_id] = _Kept(self._scanned)
        kept.watchers += 1
        try:
            yield
        finally:
            kept.watchers -= 1
            if not kept.watchers:
                self._kept.pop(institution_id, None)

    def rows_after(self, institution_id: UUID, after: int) -> list[FeedRow] | None:
        """The kept rows after `after`, or None if they may not all be kept (read the table):
        also while the institution's head, read from the table when a stream first waited on
        it, is past what the hub has scanned (another process's step wrote rows the hub has
        not read yet). Kept rows would then answer "nothing" to a stream that `wait_past` has
        just told there is something, and the stream would ask again, and again."""
        kept = self._kept.get(institution_id)
        if kept is None or self._scanned < 0 or after < kept.complete_after:
            return None
        if self._heads.get(institution_id, 0) > self._scanned:
            return None
        start = bisect.bisect_right(kept.rows, after, key=lambda row: row.position)
        return kept.rows[start:]

    async def _start(self) -> None:
        if self._task is None:
            self._scanned = int(await self._pool.fetchval(_HEAD))
            for kept in self._kept.values():  # rows up to here were never scanned
                kept.complete_after = max(kept.complete_after, self._scanned)
            self._task = asyncio.create_task(self._follow(), name="live-feed-hub")

    async def _follow(self) -> None:
        while True:
            try:
                if not self._waiting:  # nobody watching: no scans until someone is
                    self._wanted.clear()
                    await self._wanted.wait()
                seen = self._projector.lowest_position()  # before the scan: no step missed
                applied = self._projector.position_of(_FED_BY)
                if self._scanned < applied:  # rows no step of ours handed over: read them
                    rows = await self._pool.fetch(_NEW_ROWS, self._scanned, SCAN_PAGE)
                    # every row up to `applied` was committed before the read began
                    done = applied if len(rows) < SCAN_PAGE else rows[-1]["position"]
                    erased = await self._erased_between(self._scanned, done)
                    self._take(rows, done)
                    self._forget(erased)
                    if len(rows) == SCAN_PAGE:
                        continue
                await self._projector.wait_until(seen + 1, 30.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live feed hub failed to scan; retrying")
                await asyncio.sleep(1.0)

    def _stepped(self, after: int, up_to: int, events: Sequence[Envelope]) -> None:
        """This process's follower committed the attendance model's step over (after, up_to]:
        its feed rows are made here from its events. A step that does not follow on from
        what the hub knows (another process's steps came between) is left to the scan. An
        erasure in the step blanks the rows kept, this step's own rows among them."""
        rows = self._rows_of_step(after, events)
        if rows is not None:
            self._take(rows, up_to)
        self._forget([e.event.originator_id for e in events
                      if isinstance(e.event, Child.DataErased)])  # fmt: skip

    def _rows_of_step(
        self, after: int, events: Sequence[Envelope]
    ) -> list[tuple[int, UUID, str, str]] | None:
        """The feed rows of a step that follows on from what the hub knows; else None."""
        if self._scanned < 0 or after > self._scanned:
            return None
        rows = []
        for envelope in events:
            feed = attendance_feed.feed_of(envelope.event)
            if feed is None:
                continue
            day = attendance_days.known_day(envelope.event.originator_id)
            if day is None:  # not seen by this process (cannot be after the model's step)
                return None
            rows.append((envelope.position, day[0], *feed))
        return rows

    def _take(self, rows: Sequence[tuple[int, UUID, str, str]], done: int) -> None:
        """New rows in position order, and every row up to `done` known: heads move, watched
        institutions keep their rows. Rows known already (handed over by a step while a
        scan was reading) are skipped. No await in here, so a stream starting to watch sees
        a scan or a step wholly or not at all."""
        for position, institution_id, kind, data in rows:
            if position <= self._scanned:
                continue
            self._heads[institution_id] = max(position, self._heads.get(institution_id, 0))
            kept = self._kept.get(institution_id)
            if kept is not None and position > kept.complete_after:
                kept.add(FeedRow(position, kind, data))
        self._scanned = max(self._scanned, done)
        if rows:  # wake the waiting streams; later waits wait on a fresh event
            self._moved.set()
            self._moved = asyncio.Event()

    async def _erased_between(self, after: int, up_to: int) -> list[UUID]:
        """The children erased at positions in (after, up_to], which another process's step
        applied: only if rows are kept (rows read from the table are blanked already)."""
        if not any(kept.rows for kept in self._kept.values()):
            return []
        return await children_erased_between(self._pool, after, up_to)

    def _forget(self, children: Sequence[UUID]) -> None:
        """The erased children's rows kept here lose their words, as in the table."""
        if not children:
            return
        erased = {str(child) for child in children}
        for kept in self._kept.values():
            for i, row in enumerate(kept.rows):
                start = row.data.find(_CHILD_ID) + len(_CHILD_ID)
                if start >= len(_CHILD_ID) and row.data[start : start + 36] in erased:
                    kept.rows[i] = row._replace(data=feed_data_without_words(row.data))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
