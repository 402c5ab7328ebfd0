"""What a read model is to the projector: a name, the events it handles, its tables, an apply step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import asyncpg
from eventsourcing.utils import get_topic


class Envelope(NamedTuple):
    """A decoded event with where and when it was recorded (a tuple: a rebuild makes millions)."""

    position: int
    recorded_at: datetime
    event: Any


class Projection(Protocol):
    name: str
    handles: tuple[type, ...]
    tables: tuple[str, ...]
    schema: str

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None: ...


def topics_of(projection: Projection) -> list[str]:
    return [get_topic(cls) for cls in projection.handles]
