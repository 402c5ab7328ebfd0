"""Read model `waitlist`: who waits for which room-day interval, and the offers they hold.

Handles the RoomDay waitlist events; table rm_waitlist. Queries: an entry (for routing a
command to its room-day), a guardian's entries, the room-days with lapsed offers, where
families wait by room-day, child or institution, and where children hold offers (for the job
that offers places freed by changes: backend/freed_places.py).

An entry keeps its room-day's room and institution, read from the bookings model's
rm_room_days as of the entry's joining (ADR 0025): that row never changes, and it comes from
the room-day's `Opened`, version 1 of the same stream. Live, the bookings model applies each
batch before this one and never lags it; a rebuild of either replays behind the other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.booking.room_day import RoomDay
from projections.base import Envelope

name = "waitlist"
handles: tuple[type, ...] = (
    RoomDay.WaitlistJoined,
    RoomDay.WaitlistOfferMade,
    RoomDay.WaitlistOfferExpired,
    RoomDay.WaitlistOfferWithdrawn,
    RoomDay.WaitlistOfferTaken,
    RoomDay.WaitlistLeft,
    RoomDay.WaitlistClosed,
)
tables = ("rm_waitlist",)
schema = """
CREATE TABLE IF NOT EXISTS rm_waitlist (
    entry_id uuid PRIMARY KEY, room_day_id uuid NOT NULL, child_id uuid NOT NULL,
    guardian_id uuid NOT NULL, day date NOT NULL, care_type text NOT NULL,
    start_min integer NOT NULL, end_min integer NOT NULL, children_per_carer integer NOT NULL,
    status text NOT NULL,
    offered_until timestamptz, booking_id uuid, joined_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    room_id uuid, institution_id uuid  -- the room-day's (NULL only if rm_room_days lacked it)
);
CREATE INDEX IF NOT EXISTS rm_waitlist_guardian ON rm_waitlist (guardian_id);
CREATE INDEX IF NOT EXISTS rm_waitlist_offers ON rm_waitlist (offered_until)
    WHERE status = 'offered';
CREATE INDEX IF NOT EXISTS rm_waitlist_waiting ON rm_waitlist (day) WHERE status = 'waiting';
CREATE INDEX IF NOT EXISTS rm_waitlist_waiting_room_day ON rm_waitlist (room_day_id)
    WHERE status = 'waiting';
CREATE INDEX IF NOT EXISTS rm_waitlist_waiting_child ON rm_waitlist (child_id)
    WHERE status = 'waiting';
CREATE INDEX IF NOT EXISTS rm_waitlist_waiting_institution ON rm_waitlist (institution_id)
    WHERE status = 'waiting';
CREATE INDEX IF NOT EXISTS rm_waitlist_offered_child ON rm_waitlist (child_id)
    WHERE status = 'offered';
"""
_STATUS = {
    RoomDay.WaitlistOfferExpired: "expired",
    RoomDay.WaitlistOfferTaken: "booked",
    RoomDay.WaitlistLeft: "left",
    RoomDay.WaitlistClosed: "closed",
}


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    # Events are applied in order, one statement each: waitlist traffic is light.
    for envelope in batch:
        e = envelope.event
        if isinstance(e, RoomDay.WaitlistJoined):
            n = e.entry
            # the room-day's room and institution as of this event: rm_room_days has the row
            # from the stream's Opened (version 1), which never changes (module docstring)
            await conn.execute(
                "INSERT INTO rm_waitlist SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting',"
                " NULL, NULL, $10, $10, d.room_id, d.institution_id FROM (SELECT) AS joined"
                " LEFT JOIN rm_room_days d ON d.id = $2 ON CONFLICT (entry_id) DO NOTHING",
                n.entry_id, e.originator_id, n.child_id, n.guardian_id, n.day,
                n.care_type.value, n.start, n.end, n.children_per_carer, e.timestamp,
            )  # fmt: skip
        elif isinstance(e, RoomDay.WaitlistOfferMade):
            await conn.execute(
                "UPDATE rm_waitlist SET status = 'offered', offered_until = $2, updated_at = $3"
                " WHERE entry_id = $1",
                e.entry_id, e.until, e.timestamp,
            )  # fmt: skip
        elif isinstance(e, RoomDay.WaitlistOfferWithdrawn):  # waiting again, in its place
            await conn.execute(
                "UPDATE rm_waitlist SET status = 'waiting', offered_until = NULL, updated_at = $2"
                " WHERE entry_id = $1",
                e.entry_id, e.timestamp,
            )  # fmt: skip
        else:
            await conn.execute(
                "UPDATE rm_waitlist SET status = $2, booking_id = $3, updated_at = $4"
                " WHERE entry_id = $1",
                e.entry_id, _STATUS[type(e)], getattr(e, "booking_id", None), e.timestamp,
            )  # fmt: skip


async def get_entry(
    conn: asyncpg.Pool | asyncpg.Connection, entry_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM rm_waitlist WHERE entry_id = $1", entry_id)
    return None if row is None else dict(row)


async def for_guardian(
    conn: asyncpg.Pool | asyncpg.Connection, account_id: UUID
) -> list[dict[str, Any]]:
    """The open entries of the guardian's children, each with its room's and institution's
    names as they are now (`room_name`, `institution_name`; None if unknown): a family waiting
    in two rooms for the same time must tell which room an offer is for."""
    rows = await conn.fetch(
        "SELECT w.*, r.name AS room_name, i.name AS institution_name FROM rm_waitlist w"
        " LEFT JOIN rm_rooms r ON r.id = w.room_id"
        " LEFT JOIN rm_institutions i ON i.id = w.institution_id"
        " WHERE w.child_id IN (SELECT child_id FROM rm_child_guardians WHERE account_id = $1)"
        " AND w.status IN ('waiting', 'offered') ORDER BY w.day, w.start_min, w.joined_at",
        account_id,
    )
    return [dict(r) for r in rows]


async def room_days_with_lapsed_offers(
    conn: asyncpg.Pool | asyncpg.Connection, now: datetime
) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT room_day_id FROM rm_waitlist"
        " WHERE status = 'offered' AND offered_until <= $1 LIMIT 500",
        now,
    )
    return [r["room_day_id"] for r in rows]


async def room_days_with_waiting(
    conn: asyncpg.Pool | asyncpg.Connection, from_day: date
) -> dict[UUID, date]:
    """Every room-day from `from_day` on where a family still waits for a place, with its day."""
    rows = await conn.fetch(
        "SELECT DISTINCT room_day_id, day FROM rm_waitlist WHERE status = 'waiting' AND day >= $1",
        from_day,
    )
    return {r["room_day_id"]: r["day"] for r in rows}


# The room-days (and their days) from $1 on with entries of a status whose `column` is in $2:
# the statuses and columns are ours (each has its partial index), never a caller's text.
_IN_LINE = (
    "SELECT DISTINCT room_day_id, day FROM rm_waitlist WHERE status = '{status}' AND day >= $1"
    " AND {column} = ANY($2::uuid[])"
)


async def where_families_wait(
    conn: asyncpg.Pool | asyncpg.Connection,
    from_day: date,
    *,
    room_days: Collection[UUID] = (),
    children: Collection[UUID] = (),
    institutions: Collection[UUID] = (),
) -> dict[UUID, date]:
    """The room-days from `from_day` on where a family still waits, among `room_days`, those
    `children` wait on, and those of `institutions` (with any whose institution is unknown),
    each with its day. One index look-up per kind named: none reads every waiting entry."""
    found: dict[UUID, date] = {}
    for column, ids in (
        ("room_day_id", room_days), ("child_id", children), ("institution_id", institutions)
    ):  # fmt: skip
        if ids:
            query = _IN_LINE.format(status="waiting", column=column)
            rows = await conn.fetch(query, from_day, list(ids))
            found.update((r["room_day_id"], r["day"]) for r in rows)
    if institutions:
        rows = await conn.fetch(
            "SELECT DISTINCT room_day_id, day FROM rm_waitlist WHERE status = 'waiting'"
            " AND day >= $1 AND institution_id IS NULL",
            from_day,
        )
        found.update((r["room_day_id"], r["day"]) for r in rows)
    return found


async def where_children_hold_offers(
    conn: asyncpg.Pool | asyncpg.Connection, from_day: date, children: Collection[UUID]
) -> dict[UUID, date]:
    """The room-days from `from_day` on where one of `children` holds an offer, each with its
    day (for the job that withdraws offers to children booked elsewhere since: it reads only
    the open offers, a small index, whatever the number of bookings)."""
    if not children:
        return {}
    query = _IN_LINE.format(status="offered", column="child_id")
    rows = await conn.fetch(query, from_day, list(children))
    return {r["room_day_id"]: r["day"] for r in rows}


async def open_entry_of_child(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, today: date
) -> UUID | None:
    """An entry for today or later the child still waits on or holds an offer from, if any."""
    found: UUID | None = await conn.fetchval(
        "SELECT entry_id FROM rm_waitlist WHERE child_id = $1 AND day >= $2"
        " AND status IN ('waiting', 'offered') ORDER BY joined_at LIMIT 1",
        child_id,
        today,
    )
    return found
