"""The shapes that cross the event store's boundary: events to append, events read back, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class NewEvent:
    stream_id: UUID
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    stream_id: UUID
    version: int
    topic: str
    state: bytes
    recorded_at: datetime
    command_key: str | None = None
    actor: str | None = None


@dataclass(slots=True)
class AppendRequest:
    """One command's writes: events on one or more streams, each stream at an expected version."""

    events: list[NewEvent]
    expected: dict[UUID, int]
    command_key: str | None = None
    request_hash: bytes = b""
    result: bytes | None = None
    actor: str | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    # Further commands decided together with this one: (key, request hash, answer) each.
    grouped: list[tuple[str, bytes, bytes | None]] = field(default_factory=list)
    streams: frozenset[UUID] = field(init=False)
    written: frozenset[UUID] = field(init=False)

    def keys(self) -> set[str]:
        """Every command key this append records."""
        own = {self.command_key} if self.command_key is not None else set()
        return own | {key for key, _, _ in self.grouped}

    def __post_init__(self) -> None:
        self.written = frozenset(e.stream_id for e in self.events)
        self.streams = frozenset(self.expected) | self.written
        for event in self.events:
            if event.stream_id not in self.expected:
                raise ValueError(f"no expected version given for stream {event.stream_id}")


@dataclass(frozen=True, slots=True)
class Appended:
    last_position: int | None


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The command key was used before: here is what was recorded then."""

    request_hash: bytes
    result: bytes | None
    last_position: int | None


class ConcurrencyConflict(Exception):
    """A stream moved on since it was read: reload and decide again."""

    def __init__(self, streams: frozenset[UUID]) -> None:
        super().__init__(f"stale expected version on {len(streams)} stream(s)")
        self.streams = streams
