"""Group commit on a hot lane: one writer per hot stream decides the queued commands together.

Commands naming a lane (a room-day under the 8 pm booking rush) queue on it. The lane's
leader takes what is queued, decides the commands one after another against one set of
in-memory aggregates (cached copies, trusted on a first try), and appends all their events in
a single append that records every command's key and answer. One append and one WAL flush,
and a read only of what is not cached, serve the whole group. A key seen before makes the
append refuse the group; its retry first answers the known keys from their stored answers.

A command refused (by a rule, a permission check, anything it raises) is answered with its
refusal if it changed nothing (a group refused whole, which appends nothing, first checks
that the cached copies it trusted are still the streams' latest, else is decided again); one
refused half-way (some events made, then refused) leaves the aggregates dirty, so the group
stops there and the rest go back to the queue to be decided on freshly loaded state. If the
append conflicts (another process moved a stream) every command of the group, refused ones
too, goes back to the queue: all of them were judged against state that never committed.

Groups are pipelined: while one group's append is on its way to the disk, the next group is
read (its children's streams) and decided on the first one's aggregates, as that append will
leave them. Its own append is sent only once the first is committed, and its answers and
refusals are given only once its own append is judged; if the first does not commit, the
second goes back to the queue whole. So a group never commits, nor refuses, on state that
did not commit, and the lane's reads and decisions no longer wait for the WAL flush.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec

from backend.commands import (
    MAX_ATTEMPTS,
    CommandContext,
    CommandOutcome,
    Snapshot,
    TooMuchContention,
    UnitOfWork,
    _replay,
    save_snapshots,
    snapshots_due,
    stored_answers,
)
from backend.eventstore.records import Appended, ConcurrencyConflict, StoredAnswer
from backend.eventstore.store import EventStore

MAX_GROUP = 64


@dataclass
class _Job:
    ctx: CommandContext
    decide: Any
    result_type: type
    future: asyncio.Future[CommandOutcome[Any]]
    reads: tuple[UUID, ...] = ()
    attempts: int = 0
    twins: list[_Job] = field(default_factory=list)


@dataclass
class _Group:
    """One group decided: its commands' answers, refusals, what goes back to the queue, and
    its append once sent (answered only when that append is judged)."""

    jobs: list[_Job]  # every job decided here (twins folded), queued again if it cannot commit
    uow: UnitOfWork
    decided: list[tuple[_Job, Any, list[Any]]] = field(default_factory=list)
    refused: list[tuple[_Job, Exception]] = field(default_factory=list)
    back: list[_Job] = field(default_factory=list)
    dirty: bool = False
    snapshots: list[Snapshot] = field(default_factory=list)
    append: asyncio.Future[Any] | None = None

    def may_be_built_on(self) -> bool:
        """A next group may be decided on this one's aggregates before it commits: it has an
        append, and no command refused half-way left its aggregates dirty."""
        return bool(self.decided) and not self.dirty

    def send(self, store: EventStore) -> None:
        if not self.decided:
            return
        (first, value, _), *rest = self.decided
        request = self.uow.append_request_for(
            first.ctx,
            msgspec.json.encode(value),
            [event for _, _, events in self.decided for event in events],
            grouped=[
                (job.ctx.command_key, job.ctx.request_hash, msgspec.json.encode(value))
                for job, value, _ in rest
                if job.ctx.command_key is not None
            ],
        )
        self.append = asyncio.ensure_future(store.append(request))


def _next_jobs(queue: deque[_Job] | None, ahead: _Group | None) -> list[_Job]:
    """The next group to decide now: none while `ahead` may not be built on, or if the queue
    holds a retry first (decided on freshly read state, after `ahead` commits)."""
    if not queue:
        return []
    if ahead is not None and (not ahead.may_be_built_on() or queue[0].attempts):
        return []
    jobs: list[_Job] = []
    while queue and len(jobs) < MAX_GROUP and not (ahead is not None and queue[0].attempts):
        jobs.append(queue.popleft())
    return jobs


class LaneGroups:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._queues: dict[UUID, deque[_Job]] = {}
        self._leaders: dict[UUID, asyncio.Task[None]] = {}

    async def run(
        self,
        lane: UUID,
        ctx: CommandContext,
        decide: Any,
        result_type: type,
        reads: tuple[UUID, ...] = (),
    ) -> Any:
        future: asyncio.Future[CommandOutcome[Any]] = asyncio.get_running_loop().create_future()
        job = _Job(ctx, decide, result_type, future, reads)
        self._queues.setdefault(lane, deque()).append(job)
        if lane not in self._leaders:
            self._leaders[lane] = asyncio.create_task(self._lead(lane), name=f"lane-{lane}")
        return await future

    async def _lead(self, lane: UUID) -> None:
        """Decide group after group; each next group is decided while the one before it
        commits (on its aggregates, as that append will leave them), and its own append is
        sent only once that one is committed: a group never commits on state that did not."""
        async with self._store.lanes.hold([lane]):
            ahead: _Group | None = None  # decided, its append on its way, not yet answered
            while True:
                queue = self._queues.get(lane)
                if not queue and ahead is None:  # no await between this look and leaving
                    self._queues.pop(lane, None)
                    self._leaders.pop(lane, None)
                    return
                jobs = _next_jobs(queue, ahead)
                current = await self._decided(jobs, ahead) if jobs else None
                if ahead is not None:
                    committed, back = await self._finish(ahead, built_on=bool(jobs))
                    if current is not None and not committed:  # decided on state that failed
                        back += current.jobs
                        current = None
                    self._requeue(lane, back)
                if current is not None:
                    current.send(self._store)
                ahead = current

    def _requeue(self, lane: UUID, back: list[_Job]) -> None:
        for job in back:
            job.attempts += 1
            if job.attempts >= MAX_ATTEMPTS:
                _settle(job, error=TooMuchContention("the room-day kept moving"))
        queue = self._queues.setdefault(lane, deque())
        queue.extendleft(reversed([j for j in back if not j.future.done()]))

    async def _decided(self, jobs: list[_Job], ahead: _Group | None) -> _Group | None:
        """The group decided (on top of `ahead` if given), or None if deciding failed (a bug,
        not a rule: the group is failed, the lane kept)."""
        try:
            return await self._decide(jobs, ahead)
        except Exception as error:
            for job in jobs:
                _settle(job, error=error)
            return None

    async def _decide(self, jobs: list[_Job], ahead: _Group | None) -> _Group:
        retry = any(job.attempts for job in jobs)
        jobs = await self._answer_known_keys(jobs, look_up=retry)
        uow = UnitOfWork(self._store, trust_cache=not retry)
        if ahead is not None:
            uow.continue_from(ahead.uow)
        await uow.prefetch(list(dict.fromkeys(s for job in jobs for s in job.reads)))
        group = _Group(jobs, uow)
        for i, job in enumerate(jobs):
            try:
                value = await job.decide(uow)
            except Exception as error:  # a rule, a permission, a bug: this command's answer
                if not uow.has_pending():
                    group.refused.append((job, error))
                    continue
                # Refused half-way: the aggregates are dirty. First of its group, it was
                # judged on committed state, so the refusal stands; otherwise it and the
                # rest are decided again after what came before it is committed.
                group.dirty = True
                if group.decided or group.refused:
                    group.back = jobs[i:]
                else:
                    group.refused.append((job, error))
                    group.back = jobs[i + 1 :]
                break
            group.decided.append((job, value, uow.collect_pending()))
        if group.decided and not group.dirty:  # encoded before the next group changes them
            group.snapshots = snapshots_due(self._store, uow.versions_moved())
        return group

    async def _finish(self, group: _Group, *, built_on: bool) -> tuple[bool, list[_Job]]:
        """Answer a group once its append is judged: (committed, the jobs to queue again).
        Its aggregates go to the cache unless a next group was `built_on` them."""
        if group.append is None:  # nothing to append, so nothing checks the versions read
            if group.refused and not await group.uow.judged_on_current_state():
                return False, [job for job, _ in group.refused] + group.back  # stale copies
            if not group.dirty and not built_on:
                group.uow.keep_committed()  # refusals change nothing: these are as committed
            await self._settle_refusals(group.refused)
            return True, group.back
        decided = [job for job, _, _ in group.decided]
        refused = [job for job, _ in group.refused]
        try:
            outcome = await group.append
        except ConcurrencyConflict:
            return False, decided + refused + group.back
        except Exception as error:  # a bug or the database: fail the group, keep the lane
            for job in decided + refused:
                _settle(job, error=error)
            return False, group.back
        if isinstance(outcome, StoredAnswer):  # the first one's twin committed meanwhile
            return False, decided + refused + group.back
        assert isinstance(outcome, Appended)
        if not group.dirty and not built_on:  # dirty aggregates hold a refused decision
            group.uow.keep_committed()
        for job, value, _ in group.decided:  # answered as soon as committed, before snapshots
            _settle(job, outcome=CommandOutcome(value, outcome.last_position, replayed=False))
        await self._settle_refusals(group.refused)
        save_snapshots(self._store, group.snapshots, group.decided[0][0].ctx.now)
        return True, group.back

    async def _settle_refusals(self, refused: list[tuple[_Job, Exception]]) -> None:
        """A refused command with a key may be a replay of one that was accepted (a check-in
        replayed after it landed): then the first answer is the answer, not the refusal."""
        known = await stored_answers(self._store, [job.ctx.command_key for job, _ in refused])
        for job, refusal in refused:
            if job.ctx.command_key in known:
                _settle_replay(job, known[job.ctx.command_key])  # type: ignore[index]
            else:
                _settle(job, error=refusal)

    async def _answer_known_keys(self, jobs: list[_Job], *, look_up: bool) -> list[_Job]:
        """Fold twins (same key) into the first of them; with `look_up`, first answer keys
        already recorded. A first try does not look: the append itself refuses a known key
        (the group then comes back here, looking), and a refusal looks before it answers."""
        keys = [j.ctx.command_key for j in jobs]
        known = await stored_answers(self._store, keys) if look_up else {}
        fresh: dict[str | None, _Job] = {}
        left = []
        for job in jobs:
            key = job.ctx.command_key
            if key is not None and key in known:
                _settle_replay(job, known[key])
            elif key is not None and key in fresh:
                fresh[key].twins.append(job)
            else:
                if key is not None:
                    fresh[key] = job
                left.append(job)
        return left


def _settle(
    job: _Job, *, outcome: CommandOutcome[Any] | None = None, error: BaseException | None = None
) -> None:
    if job.future.done():
        return
    if error is not None:
        job.future.set_exception(error)
    else:
        assert outcome is not None
        job.future.set_result(outcome)
        answer = StoredAnswer(
            job.ctx.request_hash, msgspec.json.encode(outcome.value), outcome.position
        )
        for twin in job.twins:
            _settle_replay(twin, answer)
        return
    for twin in job.twins:
        _settle(twin, error=error)


def _settle_replay(job: _Job, answer: StoredAnswer) -> None:
    try:
        _settle(job, outcome=_replay(answer, job.ctx, job.result_type))
    except Exception as refused:  # a different request under the same key
        _settle(job, error=refused)


_groups: weakref.WeakKeyDictionary[EventStore, LaneGroups] = weakref.WeakKeyDictionary()


def groups_for(store: EventStore) -> LaneGroups:
    if store not in _groups:
        _groups[store] = LaneGroups(store)
    return _groups[store]
