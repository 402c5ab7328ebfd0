"""The `institutions` read model keeps each staff member's role and the position it holds it
from (`since`, ADR 0025): the same events give the same rows however they were batched."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from uuid import UUID, uuid4

import asyncpg
import pytest

from domain.institution.aggregate import Institution
from domain.institution.kinds import StaffRole
from projections import institutions
from projections.base import Envelope

NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)
ADMIN, CARER = StaffRole.institution_admin, StaffRole.caregiver


def _events(iid: UUID, account: UUID, *changes: StaffRole | None) -> list[Envelope]:
    """Each change at positions 10, 11, …: a role attached, or None for a detachment."""
    versions = count(2)
    return [
        Envelope(position, NOW, Institution.StaffDetached(
            originator_id=iid, originator_version=next(versions), timestamp=NOW,
            account_id=account,
        ) if role is None else Institution.StaffAttached(
            originator_id=iid, originator_version=next(versions), timestamp=NOW,
            account_id=account, role=role,
        ))
        for position, role in enumerate(changes, start=10)
    ]  # fmt: skip


async def _row(pool: asyncpg.Pool, batches: list[list[Envelope]]) -> tuple[str, int] | None:
    """The staff row after applying `batches` one by one (rolled back after)."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(institutions.schema)  # the model's tables, as the projector makes
            for batch in batches:
                await institutions.apply(conn, batch)
            event = batches[0][0].event
            row = await conn.fetchrow(
                "SELECT role, since FROM rm_institution_staff"
                " WHERE institution_id = $1 AND account_id = $2",
                event.originator_id, event.account_id,
            )  # fmt: skip
            return None if row is None else (row["role"], row["since"])
        finally:
            await transaction.rollback()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ((ADMIN, CARER, ADMIN), ("institution_admin", 12)),
        ((ADMIN, CARER, CARER), ("caregiver", 11)),
        ((ADMIN, ADMIN), ("institution_admin", 10)),
        ((ADMIN, None, ADMIN), ("institution_admin", 12)),
        ((ADMIN, None), None),
    ],
)
async def test_a_staff_members_role_and_since_do_not_depend_on_how_events_were_batched(
    pool: asyncpg.Pool, changes: tuple[StaffRole | None, ...], expected: object
):
    events = _events(uuid4(), uuid4(), *changes)
    one_by_one = [[e] for e in events]
    first_alone = [events[:1], events[1:]] if len(events) > 1 else [events]
    assert await _row(pool, one_by_one) == expected
    assert await _row(pool, first_alone) == expected
    assert await _row(pool, [events]) == expected
