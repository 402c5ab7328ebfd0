"""What a read model is to the projector: a name, the events it handles, its tables, an apply step.

A read model may also have `indexes`: idempotent DDL for indexes its apply step does not rely
on (no ON CONFLICT target among them). The projector runs it after `schema` when it creates
the tables, but a rebuild runs it only once the replay has reached the head: building an
index over a million rows once costs far less than maintaining it row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

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


def indexes_of(projection: Projection) -> str:
    """The read model's optional `indexes` DDL (see the module docstring), or ''."""
    return str(getattr(projection, "indexes", ""))


def erasures_apart(
    batch: Sequence[Envelope], erased: type[Any]
) -> tuple[list[Envelope], list[UUID]]:
    """The batch without its `erased` events (a child's data erased), and those children: a
    model that copied something of theirs deletes it after applying the rest."""
    children: list[UUID] = [e.event.originator_id for e in batch if isinstance(e.event, erased)]
    if not children:
        return list(batch), []
    return [e for e in batch if not isinstance(e.event, erased)], children
