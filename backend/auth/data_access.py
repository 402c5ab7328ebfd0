"""The log of who read a child's personal data; guardians' own reads are not logged."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from backend.auth.principal import Principal
from domain.account.aggregate import Role


async def log_child_read(
    pool: asyncpg.Pool, child_id: UUID, reader: Principal, purpose: str, now: datetime
) -> None:
    if reader.role is Role.guardian:
        return
    await pool.execute(
        "INSERT INTO child_data_access_log (child_id, account_id, role, purpose, read_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        child_id,
        reader.account_id,
        reader.role.value,
        purpose,
        now,
    )


async def reads_of(pool: asyncpg.Pool, child_id: UUID, limit: int = 200) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT l.role, l.purpose, l.read_at, a.display_name FROM child_data_access_log l"
        " LEFT JOIN rm_accounts a ON a.id = l.account_id WHERE l.child_id = $1"
        " ORDER BY l.read_at DESC, l.id DESC LIMIT $2",
        child_id,
        limit,
    )
    return [dict(r) for r in rows]
