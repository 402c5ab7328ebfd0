"""Read model `accounts`: who is who, for staff lists and admin screens (never used to decide).

Handles Account events; table rm_accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from domain.account.aggregate import Account
from projections.base import Envelope

name = "accounts"
handles: tuple[type, ...] = (Account.Registered,)
tables = ("rm_accounts",)
schema = """
CREATE TABLE IF NOT EXISTS rm_accounts (
    id uuid PRIMARY KEY, phone text NOT NULL, display_name text NOT NULL, role text NOT NULL,
    city_id uuid, district_code text, registered_at timestamptz NOT NULL
);
"""


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    rows: dict[UUID, tuple[Any, ...]] = {}
    for envelope in batch:
        e = envelope.event
        rows[e.originator_id] = (
            e.originator_id, e.phone, e.display_name, e.role.value, e.city_id, e.district_code,
            e.timestamp,
        )  # fmt: skip
    if rows:
        await conn.execute(
            "INSERT INTO rm_accounts SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],"
            " $4::text[], $5::uuid[], $6::text[], $7::timestamptz[]) ON CONFLICT (id) DO NOTHING",
            *map(list, zip(*rows.values(), strict=True)),
        )
