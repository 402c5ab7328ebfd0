"""An in-process copy of recently committed aggregates, so hot streams are not replayed per command.

An entry is an aggregate exactly as committed at its version. A command *takes* the entries
it loads (so no two commands mutate one object); on a first try it decides on them as they
are, and the append's version check catches a copy another process made stale (the retry
then catches up on the events after the cached version); a refusal, which appends nothing,
first checks the versions of the copies it trusted (`UnitOfWork.judged_on_current_state`).
Only after its append succeeds are its aggregates put back, or after a refusal that changed
nothing (a rule or a permission said no): they are still as committed, and a refused booking
in a full room must not cost the next one a read of the whole room-day. A failed (a bug) or
conflicting command puts nothing back, so the cache never holds uncommitted state.

A stream a decision read and found not to exist is kept too, as `ABSENT` (version 0), trusted
the same way: the next decision that needs it does not read the database to find it still
missing (an institution open round the clock reads the day before's attendance on every
check-in, and on its first day there is none). A stream another process created meanwhile
makes the append's version check (0) fail, and the retry reads it.

How many entries: a morning's drop-off goes round every child once, so a cache smaller than
the children, rooms and days one process serves misses on every command: each then reads the
child's and the attendance day's streams again (measured: 590 institutions, 10,684 children,
~12,500 aggregates, half the check-ins read streams with 10,000 entries). An entry took
~9 KB in the server (its RSS grew 95 MB while those children went through once, the read
models' copies included), so 30,000 entries (a city's busy districts) come to ~270 MB at
most; `TUOYU_AGGREGATE_CACHE_ENTRIES` sets it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

DEFAULT_CACHE_ENTRIES = 30_000


class _Absent:
    """A stream read and found not to exist, as of that read."""

    version = 0

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class AggregateCache:
    def __init__(self, max_entries: int = DEFAULT_CACHE_ENTRIES) -> None:
        self._entries: OrderedDict[UUID, Any] = OrderedDict()
        self._max = max_entries

    @property
    def max_entries(self) -> int:
        return self._max

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, stream_id: UUID) -> Any | None:
        """The entry, taken out: an aggregate, `ABSENT`, or None (nothing kept)."""
        return self._entries.pop(stream_id, None)

    def peek(self, stream_id: UUID) -> Any | None:
        """The aggregate, left in place (no command holds it: it is as committed); None if
        none is kept (nor for a stream kept as absent)."""
        found = self._entries.get(stream_id)
        return None if found is ABSENT else found

    def put(self, aggregate: Any) -> None:
        """Keep `aggregate` (committed, with no pending events); the newest version wins."""
        current = self._entries.get(aggregate.id)
        if current is not None and current.version > aggregate.version:
            return
        self._keep(aggregate.id, aggregate)

    def put_absent(self, stream_id: UUID) -> None:
        """Keep that the stream did not exist when read (unless a version of it is kept)."""
        if self._entries.get(stream_id) in (None, ABSENT):
            self._keep(stream_id, ABSENT)

    def _keep(self, stream_id: UUID, entry: Any) -> None:
        self._entries[stream_id] = entry
        self._entries.move_to_end(stream_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
