"""The base every Tuoyu aggregate extends: eventsourcing's Aggregate with time always given, never read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate


class TuoyuAggregate(Aggregate):
    """Events are triggered with an explicit `timestamp`: the domain never reads the clock."""

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            raise RuntimeError("the domain never reads the clock: pass timestamp=now")

    class Created(Event, Aggregate.Created):
        pass

    def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None:
        """Trigger `event_class` at time `now` (given by the caller)."""
        self.trigger_event(event_class, timestamp=now, **fields)
