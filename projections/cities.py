"""Read model `cities`: cities and their districts, for pickers and regulators' scopes.

Handles City events; tables rm_cities, rm_districts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from domain.city.aggregate import City
from projections.base import Envelope

name = "cities"
handles: tuple[type, ...] = (City.Registered, City.DistrictAdded)
tables = ("rm_cities", "rm_districts")
schema = """
CREATE TABLE IF NOT EXISTS rm_cities (
    id uuid PRIMARY KEY, code text NOT NULL, name text NOT NULL, timezone text NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_districts (
    city_id uuid NOT NULL, code text NOT NULL, name text NOT NULL, population bigint NOT NULL,
    towns text[] NOT NULL, PRIMARY KEY (city_id, code)
);
"""


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    for envelope in batch:
        e = envelope.event
        if isinstance(e, City.Registered):
            await conn.execute(
                "INSERT INTO rm_cities VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                e.originator_id,
                e.code,
                e.name,
                e.timezone,
            )
        else:
            d = e.district
            await conn.execute(
                "INSERT INTO rm_districts VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (city_id, code) DO NOTHING",
                e.originator_id,
                d.code,
                d.name,
                d.population,
                list(d.towns),
            )


async def list_districts(conn: asyncpg.Connection | asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT c.id AS city_id, c.name AS city_name, d.code, d.name, d.population, d.towns"
        " FROM rm_districts d JOIN rm_cities c ON c.id = d.city_id ORDER BY c.name, d.code"
    )
    return [dict(r) for r in rows]


async def city_of(conn: asyncpg.Connection | asyncpg.Pool, city_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM rm_cities WHERE id = $1", city_id)
    return None if row is None else dict(row)
