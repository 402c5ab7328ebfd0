"""An in-process copy of recently committed aggregates, so hot streams are not replayed per command.

An entry is an aggregate exactly as committed at its version. A command *takes* the entries
it loads (so no two commands mutate one object); on a first try it decides on them as they
are, and the append's version check catches a copy another process made stale (the retry
then catches up on the events after the cached version); a refusal, which appends nothing,
first checks the versions of the copies it trusted (`UnitOfWork.judged_on_current_state`).
Only after its append succeeds are its aggregates put back. A failed or conflicting command
puts nothing back, so the cache never holds uncommitted state. 10,000 entries cover a busy
district's children, rooms and days in one process.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID


class AggregateCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[UUID, Any] = OrderedDict()
        self._max = max_entries

    def take(self, stream_id: UUID) -> Any | None:
        return self._entries.pop(stream_id, None)

    def put(self, aggregate: Any) -> None:
        """Keep `aggregate` (committed, with no pending events); the newest version wins."""
        current = self._entries.get(aggregate.id)
        if current is not None and current.version > aggregate.version:
            return
        self._entries[aggregate.id] = aggregate
        self._entries.move_to_end(aggregate.id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
