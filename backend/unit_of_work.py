"""The aggregates one decision reads and changes (UnitOfWork), loaded from the store as a snapshot
plus the events after it, or from the process's cache, with the versions they were read at: the
append checks those versions, so a decision on a stale copy conflicts and is decided again.
Running a decision (retries, the command key, snapshots after it) is backend/commands.py."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent
from litestar.exceptions import HTTPException

from backend.eventstore.cache import ABSENT
from backend.eventstore.records import AppendRequest
from backend.eventstore.snapshots import SnapshotUnreadable, decode_snapshot
from backend.eventstore.store import FROM_THE_FIRST_EVENT, EventStore
from domain.aggregate import TuoyuAggregate
from domain.errors import DomainError, NotFound

if TYPE_CHECKING:
    from backend.commands import CommandContext

A = TypeVar("A", bound=TuoyuAggregate)
log = logging.getLogger("tuoyu.commands")  # the name its warnings were always logged under


class UnitOfWork:
    """The aggregates one decision reads and changes, with the versions they were read at."""

    def __init__(self, store: EventStore, *, trust_cache: bool = False) -> None:
        """`trust_cache`: decide on cached aggregates without reading their streams. Safe
        because the append checks every stream read is still at the version it was read at;
        a copy gone stale (another process wrote) costs a conflict, and the retry reads."""
        self._store = store
        self._trust_cache = trust_cache
        self._loaded: dict[UUID, Any] = {}
        self._read_versions: dict[UUID, int] = {}
        self._prefetched: dict[UUID, Any] = {}
        self._unread: set[UUID] = set()  # taken from the cache as they were, not read
        self._shared: set[UUID] = set()  # the cache's own copies, lent by `read_only`

    async def get(self, cls: type[A], stream_id: UUID, what: str = "") -> A:
        """The aggregate, usable for a command (`find` also returns erased children)."""
        found = await self.find(cls, stream_id)
        if found is None:
            label = what or cls.__name__.lower()
            raise NotFound(f"{label} {stream_id} does not exist", field=f"{label}_id")
        found.check_usable()
        return found

    async def read_only(self, cls: type[A], stream_id: UUID, what: str = "") -> A:
        """An aggregate the decision reads and never changes (a city's class rules, read by
        every booking and check-in of the city). On a first try the cache's committed copy
        is shared, not taken: taken, it would make every other decision in the process that
        needs it meanwhile read its stream again. Its version is checked like any read's."""
        if stream_id in self._shared:
            return self._loaded[stream_id]  # type: ignore[no-any-return]
        shared = None if stream_id in self._loaded else self._store.cache.peek(stream_id)
        if not self._trust_cache or shared is None or not isinstance(shared, cls):
            return await self.get(cls, stream_id, what)
        self._read_versions[stream_id] = _version_of(shared)
        self._unread.add(stream_id)
        self._shared.add(stream_id)
        self._loaded[stream_id] = shared  # no pending events: put back unchanged
        return shared  # type: ignore[no-any-return]

    async def prefetch(self, stream_ids: list[UUID]) -> None:
        """Read several streams the decision will need in one round trip."""
        wanted = [
            s for s in stream_ids if s not in self._read_versions and s not in self._prefetched
        ]
        if wanted:
            loaded = await load_aggregates(
                self._store, wanted, trust_cache=self._trust_cache, unread=self._unread
            )
            for stream_id in wanted:
                self._prefetched[stream_id] = loaded.get(stream_id)

    async def find(self, cls: type[A], stream_id: UUID) -> A | None:
        if stream_id in self._shared:  # lent to be read, now to be changed: an own copy
            self._shared.discard(stream_id)
            self._unread.discard(stream_id)
            del self._loaded[stream_id], self._read_versions[stream_id]
        if stream_id in self._loaded:
            return self._loaded[stream_id]  # type: ignore[no-any-return]
        if stream_id in self._read_versions:  # read here already, and found absent
            return None
        if stream_id in self._prefetched:
            aggregate: Any = self._prefetched.pop(stream_id)
        else:
            aggregate = (
                await load_aggregates(
                    self._store, [stream_id], trust_cache=self._trust_cache, unread=self._unread
                )
            ).get(stream_id)
        if aggregate is not None and not isinstance(aggregate, cls):
            raise NotFound(f"{stream_id} is not a {cls.__name__.lower()}", field="id")
        self._read_versions[stream_id] = _version_of(aggregate)
        if aggregate is not None:
            self._loaded[stream_id] = aggregate
        return aggregate

    async def judged_on_current_state(self) -> bool:
        """Whether every cached copy this decision trusted unread is still the stream's latest.
        An append checks that itself; a refusal appends nothing, so before one is answered
        this looks: a copy gone stale (another process wrote) must not refuse a command that
        the committed state allows."""
        trusted = {s: v for s, v in self._read_versions.items() if s in self._unread}
        if not trusted:
            return True
        current = await self._store.stream_versions(list(trusted))
        return all(current.get(s, 0) == v for s, v in trusted.items())

    async def create_data_key(self, child_id: UUID) -> None:
        """A new child's data key (backend/eventstore/child_keys.py), stored at once: it holds
        nothing personal, so one left by a command that then failed does no harm."""
        await self._store.mapper.keys.create(self._store.pool, child_id)

    def add(self, aggregate: Any) -> None:
        """Track a newly created aggregate (its stream must not exist yet)."""
        self._loaded[aggregate.id] = aggregate
        self._read_versions.setdefault(aggregate.id, 0)

    def keep_committed(self) -> None:
        """After a successful append: every aggregate here is as committed; cache them. A copy
        `read_only` lent is put back only as it was read: a decision that took the same copy
        meanwhile (the one that edits it) may have changed it and not committed yet."""
        for aggregate in self._own():
            self._store.cache.put(aggregate)
        for stream_id in self._shared:
            lent = self._loaded[stream_id]
            if not lent.pending_events and _version_of(lent) == self._read_versions[stream_id]:
                self._store.cache.put(lent)
        for aggregate in self._prefetched.values():
            if aggregate is not None:
                self._store.cache.put(aggregate)
        for stream_id in self._absent():
            self._store.cache.put_absent(stream_id)

    def keep_unchanged_after(self, errors: Iterable[BaseException]) -> None:
        """After refusals only (`is_refusal`) that changed nothing, the aggregates are still as
        committed: back into the cache, so a full room's refusals do not each cost the next
        decision a read of the whole room-day. After a bug, or with events pending, not."""
        if not self.has_pending() and all(is_refusal(error) for error in errors):
            self.keep_committed()

    def append_request(self, ctx: CommandContext, result: bytes | None) -> AppendRequest:
        return self.append_request_for(ctx, result, self.collect_pending())

    def _absent(self) -> Iterator[UUID]:
        """The streams this decision read and found not to exist, and did not create."""
        for stream_id, version in self._read_versions.items():
            if version == 0 and stream_id not in self._loaded:
                yield stream_id
        for stream_id, aggregate in self._prefetched.items():
            if aggregate is None:
                yield stream_id

    def _own(self) -> Iterator[Any]:
        """The aggregates this decision may change: not those `read_only` lent (another
        decision may have taken the same copy to change it, and its events are its own)."""
        return (a for s, a in self._loaded.items() if s not in self._shared)

    def has_pending(self) -> bool:
        return any(agg.pending_events for agg in self._own())

    def collect_pending(self) -> list[Any]:
        """The events decided since the last collection, taken off the aggregates."""
        return [event for agg in self._own() for event in agg.collect_events()]

    def append_request_for(
        self,
        ctx: CommandContext,
        result: bytes | None,
        events: list[Any],
        grouped: list[tuple[str, bytes, bytes | None]] | None = None,
    ) -> AppendRequest:
        return AppendRequest(
            events=self._store.new_events(events),
            expected=dict(self._read_versions),
            command_key=ctx.command_key,
            request_hash=ctx.request_hash,
            result=result,
            actor=ctx.actor,
            correlation_id=ctx.correlation_id,
            grouped=grouped or [],
        )

    def versions_moved(self) -> list[tuple[Any, int]]:
        """Each aggregate that moved, with the version it was read at."""
        return [
            (agg, self._read_versions.get(agg.id, 0))
            for agg in self._own()
            if agg.version > self._read_versions.get(agg.id, 0)
        ]


def is_refusal(error: BaseException) -> bool:
    """A rule or a permission said no (answered 4xx), raised before the decision changed an
    aggregate: its aggregates are still as committed, and go back to the cache. (A bug may
    have left one half-changed: those are dropped.)"""
    return isinstance(error, DomainError | HTTPException)


def _version_of(aggregate: Any) -> int:
    return 0 if aggregate is None else int(aggregate.version)


async def load_aggregate(store: EventStore, stream_id: UUID) -> Any | None:
    return (await load_aggregates(store, [stream_id])).get(stream_id)


async def load_aggregates(
    store: EventStore,
    stream_ids: list[UUID],
    *,
    trust_cache: bool = False,
    unread: set[UUID] | None = None,
) -> dict[UUID, Any]:
    """The aggregates of these streams, read in one round trip: a cached copy plus the events
    after it, or the latest snapshot plus the events after that. Cached copies are taken out
    of the cache (see backend/eventstore/cache.py). With `trust_cache`, if every stream is
    cached, the copies are taken as they are, unread (added to `unread`): only for a decision
    that checks the versions it read before it counts, by its append or, if refused, by
    `UnitOfWork.judged_on_current_state`. If some stream must be read anyway, the cached
    copies catch up in the same round trip, so a refusal has nothing left to check."""
    ids = list(dict.fromkeys(stream_ids))
    cached: dict[UUID, Any] = {stream_id: store.cache.take(stream_id) for stream_id in ids}
    loaded = {s: a for s, a in cached.items() if a is not None and a is not ABSENT}
    if trust_cache and all(a is not None for a in cached.values()):  # absent ones too
        if unread is not None:
            unread.update(ids)
        return loaded
    after = [cached[s].version if cached[s] is not None else 0 for s in ids]
    outdated = []
    for stream_id, (snapshot, events) in (await store.read_streams(ids, after)).items():
        aggregate = loaded.get(stream_id)
        if snapshot is not None:
            try:
                aggregate = decode_snapshot(stream_id, *snapshot, store.mapper.keys)
            except (msgspec.ValidationError, SnapshotUnreadable) as unfit:
                log.warning("snapshot of %s unusable (%s): replayed", stream_id, unfit)
                outdated.append(stream_id)
                continue
        loaded[stream_id] = _replayed(store, stream_id, aggregate, events)
    if outdated:  # the aggregate gained state since: its events from the first, once
        for stream_id, (_, events) in (
            await store.read_streams(outdated, [FROM_THE_FIRST_EVENT] * len(outdated))
        ).items():
            loaded[stream_id] = _replayed(store, stream_id, None, events)
    return loaded


def _replayed(
    store: EventStore, stream_id: UUID, aggregate: Any, events: list[tuple[int, str, bytes]]
) -> Any:
    for version, topic, state in events:
        stored = StoredEvent(stream_id, version, topic, state)
        aggregate = store.mapper.to_domain_event(stored).mutate(aggregate)
    return aggregate
