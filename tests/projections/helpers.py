"""Events to project: accounts registered through the real command path."""

from __future__ import annotations

from datetime import UTC, datetime

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute
from backend.eventstore.store import EventStore
from backend.services import cities

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


async def register_guardians(store: EventStore, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        phone = f"136{i:08d}"
        await execute(
            store,
            CommandContext(now=NOW),
            lambda uow, phone=phone: cities.register_guardian(
                uow, NOW, phone=phone, display_name="家长"
            ),
            CommandAccepted,
        )


async def table_rows(store: EventStore, table: str) -> list[tuple[object, ...]]:
    rows = await store.pool.fetch(f"SELECT * FROM {table} ORDER BY 1")
    return [tuple(r) for r in rows]
