"""The log of who read a child's personal data; guardians' own reads are not logged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
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


class LoggedToday:
    """Which children each staff reader is already logged reading today: the live view names
    the children present on every refresh (often every few seconds), so it is logged once per
    reader, child and day, not once per refresh."""

    def __init__(self, limit: int = 200_000) -> None:
        self._seen: set[tuple[UUID, UUID, date]] = set()
        self._limit = limit

    def new(self, reader: UUID, children: Iterable[UUID], day: date) -> list[UUID]:
        return [c for c in children if (reader, c, day) not in self._seen]

    def add(self, reader: UUID, children: list[UUID], day: date) -> None:
        if len(self._seen) + len(children) > self._limit:
            self._seen.clear()  # at worst a reader is logged again that day
        self._seen.update((reader, c, day) for c in children)


async def log_children_seen(
    pool: asyncpg.Pool, logged: LoggedToday, children: Iterable[UUID], reader: Principal,
    purpose: str, now: datetime, day: date,
) -> None:  # fmt: skip
    """Log a staff reader seeing these children's names and ages, once a day each."""
    if reader.role is Role.guardian:
        return
    new = logged.new(reader.account_id, children, day)
    if not new:
        return
    await pool.execute(
        "INSERT INTO child_data_access_log (child_id, account_id, role, purpose, read_at)"
        " SELECT unnest($1::uuid[]), $2, $3, $4, $5",
        new, reader.account_id, reader.role.value, purpose, now,
    )  # fmt: skip
    logged.add(reader.account_id, new, day)


async def reads_of(pool: asyncpg.Pool, child_id: UUID, limit: int = 200) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT l.role, l.purpose, l.read_at, a.display_name FROM child_data_access_log l"
        " LEFT JOIN rm_accounts a ON a.id = l.account_id WHERE l.child_id = $1"
        " ORDER BY l.read_at DESC, l.id DESC LIMIT $2",
        child_id,
        limit,
    )
    return [dict(r) for r in rows]
