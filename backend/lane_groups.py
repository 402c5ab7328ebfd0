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
    KEY_REUSED,
    MAX_ATTEMPTS,
    CommandContext,
    CommandOutcome,
    IdempotencyKeyReused,
    TooMuchContention,
    _replay,
    stored_answers,
)
from backend.eventstore.records import Appended, ConcurrencyConflict, StoredAnswer
from backend.eventstore.store import EventStore
from backend.lane_snapshots import PostponedSnapshots
from backend.unit_of_work import UnitOfWork, is_refusal

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


class LaneGroups:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._queues: dict[UUID, deque[_Job]] = {}
        self._leaders: dict[UUID, asyncio.Task[None]] = {}
        self.snapshots = PostponedSnapshots(store)

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
        try:
            return await future
        finally:  # a refusal raised here holds this frame: let the frame not hold the future
            del future, job  # holding it (a cycle), else freed by reference counting

    async def _lead(self, lane: UUID) -> None:
        async with self._store.lanes.hold([lane]):
            while True:
                queue = self._queues.get(lane)
                if not queue:  # no await between this look and leaving: nothing is stranded
                    self._queues.pop(lane, None)
                    self._leaders.pop(lane, None)
                    self.snapshots.lane_paused(lane, self._leaders.__contains__)
                    return
                jobs = [queue.popleft() for _ in range(min(len(queue), MAX_GROUP))]
                try:
                    back = await self._group(lane, jobs)
                except Exception as error:  # a bug, not a rule: fail the group, keep the lane
                    back = []
                    for job in jobs:
                        _settle(job, error=error)
                for job in back:
                    job.attempts += 1
                    if job.attempts >= MAX_ATTEMPTS:
                        _settle(job, error=TooMuchContention("the room-day kept moving"))
                queue.extendleft(reversed([j for j in back if not j.future.done()]))
                self.snapshots.take_overdue(lane)

    async def _group(self, lane: UUID, jobs: list[_Job]) -> list[_Job]:
        """Decide and append one group; return the jobs to queue again."""
        retry = any(job.attempts for job in jobs)
        jobs = await self._answer_known_keys(jobs, look_up=retry)
        uow = UnitOfWork(self._store, trust_cache=not retry)
        await uow.prefetch(list(dict.fromkeys(s for job in jobs for s in job.reads)))
        decided: list[tuple[_Job, Any, list[Any]]] = []
        refused: list[tuple[_Job, Exception]] = []
        back: list[_Job] = []
        dirty = False
        for i, job in enumerate(jobs):
            try:
                value = await job.decide(uow)
            except Exception as error:  # a rule, a permission, a bug: this command's answer
                _drop_frames_of_refusal(error)
                if not uow.has_pending():
                    refused.append((job, error))
                    continue
                # Refused half-way: the aggregates are dirty. First of its group, it was
                # judged on committed state, so the refusal stands; otherwise it and the
                # rest are decided again after what came before it is committed.
                dirty = True
                if decided or refused:
                    back = jobs[i:]
                else:
                    refused.append((job, error))
                    back = jobs[i + 1 :]
                break
            decided.append((job, value, uow.collect_pending()))
        if not decided:  # nothing to append, so nothing checks the versions read: look
            if refused and not await uow.judged_on_current_state():
                return [job for job, _ in refused] + back  # stale copies: decide again
            uow.keep_unchanged_after(error for _, error in refused)
            await self._settle_refusals(refused)
            return back
        first, *rest = decided
        request = uow.append_request_for(
            first[0].ctx,
            msgspec.json.encode(first[1]),
            [event for _, _, events in decided for event in events],
            grouped=[
                (job.ctx.command_key, job.ctx.request_hash, msgspec.json.encode(value))
                for job, value, _ in rest
                if job.ctx.command_key is not None
            ],
        )
        try:
            outcome = await self._store.append(request)
        except ConcurrencyConflict:
            return [job for job, _, _ in decided] + [job for job, _ in refused] + back
        if isinstance(outcome, StoredAnswer):  # the first one's twin committed meanwhile
            return [job for job, _, _ in decided] + [job for job, _ in refused] + back
        assert isinstance(outcome, Appended)
        if not dirty:  # dirty aggregates hold a refused decision: never cache them
            uow.keep_committed()
        for job, value, _ in decided:  # answered as soon as committed, before any snapshot
            _settle(job, outcome=CommandOutcome(value, outcome.last_position, replayed=False))
        await self._settle_refusals(refused)
        if not dirty:  # a snapshot waits for the lane to pause (backend/lane_snapshots.py)
            self.snapshots.note(lane, uow.versions_moved(), first[0].ctx.now)
        return back

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


def _drop_frames_of_refusal(error: Exception) -> None:
    """A refusal (a rule, a permission: answered 4xx) keeps no traceback. Kept in the group's
    list, its frames would hold that list, and the group's loaded aggregates with it, in a
    reference cycle that only the garbage collector frees: under a full room's stream of
    refusals those cycles filled the young generation (docs/adr/0011). A bug keeps its
    traceback for the log."""
    if is_refusal(error):
        error.__traceback__ = None


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
    for twin in job.twins:  # the same key: the same request shares the refusal
        if twin.ctx.request_hash == job.ctx.request_hash:
            _settle(twin, error=error)
        else:
            _settle(twin, error=IdempotencyKeyReused(KEY_REUSED))


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
