"""A connection whose every statement's plan, nested ones included, comes back to the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def explained(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, list[str]]]:
    """A connection of its own (it leaves `auto_explain` loaded) and the list its plans are
    added to, statement by statement, as `auto_explain` logs them (clear it between looks)."""
    conn = await asyncpg.connect(database_url)
    plans: list[str] = []
    conn.add_log_listener(lambda _conn, message: plans.append(message.message))
    try:
        await conn.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice"
        )
        yield conn, plans
    finally:
        await conn.close()
