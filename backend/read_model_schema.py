"""Read-model tables follow the code: a changed DDL means drop, recreate, replay from zero.

Read models are derived data, so rather than migrating them by hand, each is created from
its module's `schema` and `indexes`; a hash of that DDL is kept in `projection_schemas`.
When the hash differs (or was never recorded), the model's tables are dropped, recreated,
and its checkpoint reset, so the follower replays it from position 0.
"""

from __future__ import annotations

import hashlib
import logging

import asyncpg

from projections.base import Projection, indexes_of

log = logging.getLogger("tuoyu.projector")


def schema_hash(projection: Projection) -> str:
    ddl = projection.schema + indexes_of(projection) + "|".join(projection.tables)
    return hashlib.sha256(ddl.encode()).hexdigest()


async def ensure_current(conn: asyncpg.Connection, projection: Projection) -> bool:
    """Create or recreate the model's tables (caller holds its lock); True if recreated."""
    wanted = schema_hash(projection)
    stored = await conn.fetchval(
        "SELECT schema_hash FROM projection_schemas WHERE name = $1", projection.name
    )
    if stored == wanted:
        await conn.execute(projection.schema + indexes_of(projection))
        return False
    if stored is not None or await _has_tables(conn, projection):
        log.info("read model %s changed shape: rebuilding it from position 0", projection.name)
    for table in projection.tables:
        await conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    await conn.execute(projection.schema + indexes_of(projection))
    await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1", projection.name)
    await record_schema(conn, projection)
    return True


async def record_schema(conn: asyncpg.Connection, projection: Projection) -> None:
    """Remember the DDL the model's tables were (re)created with."""
    await conn.execute(
        "INSERT INTO projection_schemas (name, schema_hash) VALUES ($1, $2)"
        " ON CONFLICT (name) DO UPDATE SET schema_hash = excluded.schema_hash, created_at = now()",
        projection.name,
        schema_hash(projection),
    )


async def _has_tables(conn: asyncpg.Connection, projection: Projection) -> bool:
    found = await conn.fetchval(
        "SELECT count(*) FROM pg_tables WHERE tablename = ANY($1::text[])",
        list(projection.tables),
    )
    return bool(found)
