"""Read model `accounts`: who is who, for staff lists and admin screens (never used to decide).

Handles Account events; table rm_accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
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
    id uuid NOT NULL, phone text NOT NULL, display_name text NOT NULL, role text NOT NULL,
    city_id uuid, district_code text, registered_at timestamptz NOT NULL
);
"""
# The primary key, apart so that a rebuild builds it once at the end (apply never needs it).
indexes = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint
                   WHERE conrelid = 'rm_accounts'::regclass AND contype = 'p') THEN
        ALTER TABLE rm_accounts ADD PRIMARY KEY (id);
    END IF;
END $$;
"""


_COLUMNS = ("id", "phone", "display_name", "role", "city_id", "district_code", "registered_at")
# The event's attributes in column order (role is a StrEnum, so it is already its text).
_row = attrgetter(
    "originator_id", "phone", "display_name", "role", "city_id", "district_code", "timestamp"
)


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    """COPY one row per registered account.

    Plain COPY, no ON CONFLICT: Registered is version 1 of the account's own stream and the
    store keeps (stream, version) unique, so each id is registered once ever, and the
    projector applies each event exactly once. Keyed by id all the same (first one wins),
    so even a batch that carried an id twice could not fail or write it twice.
    """
    rows: dict[UUID, tuple[Any, ...]] = {}
    for envelope in batch:
        e = envelope.event
        if e.originator_id not in rows:
            rows[e.originator_id] = _row(e)
    if rows:
        await conn.copy_records_to_table("rm_accounts", records=rows.values(), columns=_COLUMNS)
