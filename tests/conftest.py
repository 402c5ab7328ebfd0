"""Test fixtures: one embedded PostgreSQL per session, a fresh migrated database per test."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from backend.db.embedded import embedded_dsn, process_alive, start_embedded
from backend.db.migrate import migrate
from backend.eventstore.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "tuoyu_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    _remove_servers_of_finished_sessions()
    data = ROOT / ".data" / f"test-pg-{os.getpid()}"
    server = start_embedded(data, fast_unsafe=True)
    yield server
    server.cleanup()
    if not (data / "postmaster.pid").exists():  # stopped: ~60 MB that nothing needs again
        shutil.rmtree(data, ignore_errors=True)


def _remove_servers_of_finished_sessions() -> None:
    """Data directories left by test sessions that were killed before removing their own (or
    by an earlier process with this one's id), unless a server still runs on one."""
    for data in (ROOT / ".data").glob("test-pg-*"):
        owner = data.name.removeprefix("test-pg-")
        if not owner.isdigit():
            continue
        if int(owner) != os.getpid() and process_alive(int(owner)):
            continue  # a session running now
        try:
            postmaster = int((data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            postmaster = None  # no server on it
        if postmaster is not None and process_alive(postmaster):
            continue
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_db(pg_server: Any) -> str:
    admin = await asyncpg.connect(embedded_dsn(pg_server))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(embedded_dsn(pg_server, TEMPLATE))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return TEMPLATE


@pytest.fixture
async def database_url(pg_server: Any, template_db: str) -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template, dropped afterwards."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = await asyncpg.connect(embedded_dsn(pg_server))
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    finally:
        await admin.close()
    yield embedded_dsn(pg_server, name)
    admin = await asyncpg.connect(embedded_dsn(pg_server))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=20)
    assert pool is not None
    yield pool
    await pool.close()


@pytest.fixture
async def store(pool: asyncpg.Pool) -> AsyncIterator[EventStore]:
    store = EventStore(pool)
    yield store
    await store.close()
