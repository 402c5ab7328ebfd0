"""Command execution: load aggregates (snapshot + tail), decide, append once, retry on conflict.

A command key (from `Idempotency-Key`) makes a retried command return its first answer and
write nothing twice; the same key with a different request is refused. A key is bound when
its command writes: a refused command leaves no row, so a retry is decided again. What one
decision reads and changes, and how aggregates are loaded, is backend/unit_of_work.py.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import msgspec

from backend.eventstore.records import Appended, ConcurrencyConflict, StoredAnswer
from backend.eventstore.snapshots import encode_snapshot
from backend.eventstore.store import EventStore
from backend.unit_of_work import UnitOfWork
from domain.errors import DomainError

T = TypeVar("T")
R = TypeVar("R")
MAX_ATTEMPTS = 8
SNAPSHOT_EVERY = 100
log = logging.getLogger("tuoyu.commands")


class TooMuchContention(Exception):
    """The streams kept moving under this command; the client may retry later (409)."""


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request (422)."""


KEY_REUSED = "this Idempotency-Key was used for a different request"


@dataclass(frozen=True)
class CommandContext:
    now: datetime
    actor: str | None = None
    command_key: str | None = None
    request_hash: bytes = b""
    correlation_id: UUID | None = None


@dataclass(frozen=True)
class CommandOutcome(Generic[R]):
    value: R
    position: int | None
    replayed: bool


async def execute(
    store: EventStore,
    ctx: CommandContext,
    decide: Callable[[UnitOfWork], Awaitable[T]],
    result_type: type[T],
    lane: Iterable[UUID] = (),
    reads: Iterable[UUID] = (),
) -> CommandOutcome[T]:
    """Run `decide` against fresh aggregates and append what it changed, exactly once.

    Commands naming a `lane` (the hot stream they will write, e.g. a room-day) take turns on
    it from the start; others try optimistically first and take turns only after a conflict.
    `reads` names streams the decision will read: a lane reads those of its whole group in one
    round trip before deciding any (else each child of a booking rush is a read in turn).
    """
    lanes = frozenset(lane)
    if lanes:  # a hot stream: decided together with the commands queued on it
        from backend.lane_groups import groups_for

        grouped: CommandOutcome[T] = await groups_for(store).run(
            min(lanes), ctx, decide, result_type, tuple(reads)
        )
        return grouped
    for attempt in range(MAX_ATTEMPTS):
        # Before a retry: a twin of this command (same key) may have committed meanwhile;
        # its answer is the answer, whatever deciding again on the new state would say. (A
        # first attempt needs no look: the append itself spots a known key.)
        earlier = await stored_answer(store, ctx.command_key) if attempt else None
        if earlier is not None:
            return _replay(earlier, ctx, result_type)
        try:
            async with store.lanes.hold(lanes):
                uow = UnitOfWork(store, trust_cache=attempt == 0)
                try:
                    value = await decide(uow)
                except Exception as error:  # a refusal (a rule, a permission): on what it read?
                    if await uow.judged_on_current_state():
                        uow.keep_unchanged_after([error])
                        raise
                    continue  # on a stale cached copy: decide again on a fresh read
                request = uow.append_request(ctx, msgspec.json.encode(value))
                outcome = await store.append(request)
        except ConcurrencyConflict as conflict:
            if conflict.streams <= lanes:  # another process moved it: back off a little
                await asyncio.sleep(random.uniform(0, 0.002 * (2**attempt)))
            lanes |= conflict.streams
            continue
        except DomainError:  # perhaps refused only because a twin already did it
            if (earlier := await stored_answer(store, ctx.command_key)) is not None:
                return _replay(earlier, ctx, result_type)
            raise
        if isinstance(outcome, StoredAnswer):
            return _replay(outcome, ctx, result_type)
        assert isinstance(outcome, Appended)
        uow.keep_committed()
        snapshot_long_streams(store, uow.versions_moved(), ctx.now)
        return CommandOutcome(value, outcome.last_position, replayed=False)
    raise TooMuchContention(f"gave up after {MAX_ATTEMPTS} conflicting attempts")


async def stored_answers(
    store: EventStore, command_keys: list[str | None]
) -> dict[str, StoredAnswer]:
    """The answers recorded for any of these keys, in one round trip."""
    keys = [k for k in command_keys if k is not None]
    if not keys:
        return {}
    rows = await store.pool.fetch(
        "SELECT command_key, request_hash, result, last_position FROM commands"
        " WHERE command_key = ANY($1::text[])",
        keys,
    )
    return {r["command_key"]: StoredAnswer(r[1], r[2], r[3]) for r in rows}


async def stored_answer(store: EventStore, command_key: str | None) -> StoredAnswer | None:
    if command_key is None:
        return None
    row = await store.pool.fetchrow(
        "SELECT request_hash, result, last_position FROM commands WHERE command_key = $1",
        command_key,
    )
    return None if row is None else StoredAnswer(*row)


def _replay(answer: StoredAnswer, ctx: CommandContext, result_type: type[R]) -> CommandOutcome[R]:
    if answer.request_hash != ctx.request_hash:
        raise IdempotencyKeyReused(KEY_REUSED)
    value = msgspec.json.decode(answer.result or b"null", type=result_type)
    return CommandOutcome(value, answer.last_position, replayed=True)


def snapshot_interval(version: int) -> int:
    """Events between two snapshots of a stream this long: SNAPSHOT_EVERY, or a power of two
    between a quarter and a half of the stream once that is more. A snapshot grows with its
    stream (a room-day under the rush holds thousands of bookings), so a fixed interval would
    make each event pay more and more; this way each pays about the same, the encoding and
    writing of two to four of the stream's entries, and a cold load replays at most half the
    stream after its snapshot (it happens when a process starts, not per command: a hot
    stream's aggregate stays cached)."""
    return max(SNAPSHOT_EVERY, 1 << max(version.bit_length() - 2, 0))


def _snapshot_allowed(store: EventStore, aggregate: Any) -> bool:
    """Any aggregate, but one holding personal data only while its key is here and it is not
    erased (a snapshot written in the background could land after the erasure deleted the
    child's snapshots)."""
    if not getattr(aggregate, "personal_state", ()):
        return True
    erased = getattr(aggregate, "erased_at", None) is not None
    return not erased and store.mapper.keys.can_seal(aggregate.id)


def snapshot_due(aggregate: Any, read_version: int) -> bool:
    """Whether the stream crossed a multiple of its interval since `read_version`."""
    every = snapshot_interval(aggregate.version)
    return bool(aggregate.version // every > read_version // every)


def snapshot_soon(store: EventStore, aggregate: Any, taken_at: datetime) -> None:
    """Encode a committed aggregate now, before anything changes it again; the write goes on
    in the background (`EventStore.save_snapshot_soon`), so a hot stream's lane does not wait
    for megabytes to reach the disk, and a snapshot that cannot be written is logged, not
    raised (the next crossing writes one)."""
    if not _snapshot_allowed(store, aggregate):
        return  # erased: nothing personal is left to snapshot, nor a key to seal it
    try:
        topic, state = encode_snapshot(aggregate, store.mapper.keys)
    except Exception:
        log.warning("snapshot of %s at %d not encoded", aggregate.id, aggregate.version,
                    exc_info=True)  # fmt: skip
        return
    store.save_snapshot_soon(aggregate.id, aggregate.version, topic, state, taken_at)


def snapshot_long_streams(store: EventStore, changed: list[tuple[Any, int]], now: datetime) -> None:
    """Snapshot an aggregate each time its stream crosses a multiple of its interval (the
    events are committed by now). A hot lane waits for a pause instead (backend/lane_snapshots.py)."""
    for aggregate, read_version in changed:
        if snapshot_due(aggregate, read_version):
            snapshot_soon(store, aggregate, now)
