"""The base every Tuoyu aggregate extends: eventsourcing's Aggregate with time always given, never read."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate


class TuoyuAggregate(Aggregate):
    """Events are triggered with an explicit `timestamp`: the domain never reads the clock."""

    class Event(Aggregate.Event):
        # Fields holding a child's personal data. The store keeps them sealed with the key
        # of the event's stream (the child's), so destroying that key erases them from an
        # append-only log; afterwards they read as `erased` gives (../shared/RULES.md).
        personal: ClassVar[tuple[str, ...]] = ()
        erased: ClassVar[dict[str, Any]] = {}

        @staticmethod
        def create_timestamp() -> datetime:
            raise RuntimeError("the domain never reads the clock: pass timestamp=now")

    class Created(Event, Aggregate.Created):
        pass

    # The aggregate's own attributes that hold personal data: its snapshots keep them sealed.
    personal_state: ClassVar[tuple[str, ...]] = ()

    def check_usable(self) -> None:
        """Raise if commands may no longer use this aggregate (a child whose data was erased)."""

    def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None:
        """Trigger `event_class` at time `now` (given by the caller)."""
        self.trigger_event(event_class, timestamp=now, **fields)
