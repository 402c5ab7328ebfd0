"""Events to project: accounts registered through the real command path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute
from backend.eventstore.store import EventStore
from backend.services import cities
from projections import accounts
from projections.base import Envelope

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


class StallingAccounts:
    """The accounts read model, but it stalls after writing a batch (until cancelled)."""

    name, handles, tables, schema = (
        accounts.name,
        accounts.handles,
        accounts.tables,
        accounts.schema,
    )

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
        await accounts.apply(conn, batch)
        self.entered.set()
        await asyncio.sleep(3600)


@contextlib.asynccontextmanager
async def processes(
    database_url: str, count: int, pool_size: int
) -> AsyncIterator[list[EventStore]]:
    """`count` stores, each on a pool of its own, as separate processes would have."""
    pools = [
        await asyncpg.create_pool(database_url, min_size=1, max_size=pool_size)
        for _ in range(count)
    ]
    stores = [EventStore(p) for p in pools]
    try:
        yield stores
    finally:
        for s in stores:
            await s.close()
        for p in pools:
            await p.close()
