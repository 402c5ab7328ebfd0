"""Read model `enrolments`: regular places (a child on set weekdays for a term) per room.

Handles RoomEnrolments events; table rm_enrolments. Availability and occupancy count these
places on every day of the term, as the booking decision does. A term ended early keeps its
price (what was paid) and adds up what ending it refunded (`refund_fen`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from domain.booking.enrolment import RoomEnrolments
from projections.base import Envelope

name = "enrolments"
handles: tuple[type, ...] = (
    RoomEnrolments.Opened,
    RoomEnrolments.ChildEnrolled,
    RoomEnrolments.EnrolmentEnded,
)
tables = ("rm_enrolments", "rm_enrolment_rooms")
schema = """
CREATE TABLE IF NOT EXISTS rm_enrolment_rooms (
    id uuid PRIMARY KEY, room_id uuid NOT NULL, institution_id uuid NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_enrolments (
    id uuid PRIMARY KEY, room_id uuid NOT NULL, institution_id uuid NOT NULL,
    child_id uuid NOT NULL, guardian_id uuid NOT NULL, care_type text NOT NULL,
    weekdays integer[] NOT NULL, first_day date NOT NULL, last_day date NOT NULL,
    start_min integer NOT NULL, end_min integer NOT NULL, children_per_carer integer NOT NULL,
    price_fen integer NOT NULL, enrolled_at timestamptz NOT NULL,
    refund_fen integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rm_enrolments_room ON rm_enrolments (room_id, first_day, last_day);
CREATE INDEX IF NOT EXISTS rm_enrolments_guardian ON rm_enrolments (guardian_id);
CREATE INDEX IF NOT EXISTS rm_enrolments_child ON rm_enrolments (child_id);
"""


def in_term(day: str) -> str:
    """SQL conditions on `rm_enrolments e`: its term covers the local day `day` (a query
    parameter, e.g. "$2") and it takes that weekday."""
    return (
        f"e.first_day <= {day} AND {day} <= e.last_day"
        f" AND extract(isodow FROM {day}::date)::int = ANY(e.weekdays)"
    )


# The regular places taken in given rooms on one day (for availability and occupancy).
PRESENT_ON = (
    "SELECT e.room_id, e.start_min, e.end_min, e.children_per_carer FROM rm_enrolments e"
    f" WHERE e.room_id = ANY($1::uuid[]) AND {in_term('$2')}"
)


def held_on(day: str) -> str:
    """SQL conditions on `rm_enrolments e`: a regular place held on the local day `day` (a
    query parameter, e.g. "$2"), not in a room the institution closed that day (a closed day
    was given back)."""
    return (
        f"{in_term(day)}"
        " AND NOT EXISTS (SELECT 1 FROM rm_closures c WHERE c.institution_id = e.institution_id"
        f" AND c.day = {day} AND (c.room_id IS NULL OR c.room_id = e.room_id))"
    )


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    # Enrolments are rare: applied in order, one statement each.
    for envelope in batch:
        e = envelope.event
        if isinstance(e, RoomEnrolments.Opened):
            await conn.execute(
                "INSERT INTO rm_enrolment_rooms VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                e.originator_id, e.room_id, e.institution_id,
            )  # fmt: skip
        elif isinstance(e, RoomEnrolments.ChildEnrolled):
            n = e.enrolment
            await conn.execute(
                "INSERT INTO rm_enrolments SELECT $1, r.room_id, r.institution_id, $2, $3, $4,"
                " $5, $6, $7, $8, $9, $10, $11, $12 FROM rm_enrolment_rooms r WHERE r.id = $13"
                " ON CONFLICT (id) DO NOTHING",
                n.enrolment_id, n.child_id, n.guardian_id, n.care_type.value, list(n.weekdays),
                n.first_day, n.last_day, n.start, n.end, n.children_per_carer, n.price_fen,
                e.timestamp, e.originator_id,
            )  # fmt: skip
        else:  # ended early: the price stays what was paid, the refunds add up
            await conn.execute(
                "UPDATE rm_enrolments SET last_day = $2, refund_fen = refund_fen + $3"
                " WHERE id = $1",
                e.enrolment_id, e.last_day, e.refund_fen,
            )  # fmt: skip


async def get_enrolment(
    conn: asyncpg.Pool | asyncpg.Connection, enrolment_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM rm_enrolments WHERE id = $1", enrolment_id)
    return None if row is None else dict(row)


async def for_guardian(
    conn: asyncpg.Pool | asyncpg.Connection, account_id: UUID
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT e.* FROM rm_enrolments e JOIN rm_child_guardians g ON g.child_id = e.child_id"
        " WHERE g.account_id = $1 ORDER BY e.first_day, e.id",
        account_id,
    )
    return [dict(r) for r in rows]


async def for_institution(
    conn: asyncpg.Pool | asyncpg.Connection, institution_id: UUID, on: date
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM rm_enrolments WHERE institution_id = $1 AND last_day >= $2"
        " ORDER BY room_id, first_day, id",
        institution_id,
        on,
    )
    return [dict(r) for r in rows]
