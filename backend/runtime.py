"""Opening and closing what the app runs on: database (embedded or DATABASE_URL), store, projector."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from backend.db.connection import SessionlessConnection
from backend.db.embedded import embedded_dsn, start_embedded
from backend.db.migrate import migrate
from backend.eventstore.store import EventStore
from backend.projector import Projector
from backend.settings import Settings
from backend.state import Runtime
from projections.registry import ALL

log = logging.getLogger("tuoyu.runtime")
APP_DATABASE = "tuoyu"
_servers: list[Any] = []  # keeps the embedded server handle alive for the process


async def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL if set; otherwise the embedded server under .data/ with database `tuoyu`."""
    if settings.database_url:
        return settings.database_url
    server = start_embedded(settings.embedded_pg_dir)
    _servers.append(server)
    admin = await asyncpg.connect(embedded_dsn(server))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", APP_DATABASE)
        if not exists:
            await admin.execute(f"CREATE DATABASE {APP_DATABASE}")
    finally:
        await admin.close()
    return embedded_dsn(server, APP_DATABASE)


async def migrate_database(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return [f"{m.version:04d}_{m.name}" for m in await migrate(conn)]
    finally:
        await conn.close()


async def open_runtime(settings: Settings, database_url: str, *, follow: bool = True) -> Runtime:
    """Pool, store and projector on a migrated database; `follow` starts the projector tasks."""
    applied = await migrate_database(database_url)
    if applied:
        log.info("applied migrations %s", ", ".join(applied))
    pool = await asyncpg.create_pool(
        database_url,
        min_size=2,
        max_size=settings.pool_size,
        connection_class=SessionlessConnection,
    )
    assert pool is not None
    store = EventStore(pool, cache_entries=settings.aggregate_cache_entries)
    projector = Projector(store, ALL)
    if follow:
        await projector.start(listen_dsn=database_url)
    else:
        await projector.ensure_schema()
    return Runtime(settings=settings, pool=pool, store=store, projector=projector)


async def close_runtime(runtime: Runtime) -> None:
    await runtime.feed_hub.close()
    await runtime.projector.stop()
    await runtime.store.close()
    await runtime.pool.close()
