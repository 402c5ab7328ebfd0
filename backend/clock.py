"""Injected sources of time and identity: tests freeze them, the domain never reads them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4


def system_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    now: Callable[[], datetime] = system_now


@dataclass
class IdSource:
    new: Callable[[], UUID] = uuid4


@dataclass
class FrozenClock(Clock):
    """A clock tests can set and move."""

    at: datetime = field(default_factory=system_now)

    def __post_init__(self) -> None:
        self.now = lambda: self.at
