"""Read model `notifications`: what each guardian is told about their bookings and their child's
attendance, newest first (admins too, for a child left after closing).

Handles RoomDay events, RoomEnrolments.DayClosed and EnrolmentEnded (texts in booking_notices),
Child.DataErased (the child's notices go), Institution.StaffAttached/StaffDetached (an admin
who leaves, or becomes a caregiver, loses the admins' notices) and attendance events (texts in
attendance_notices, which reads the attendance, children and institutions read models:
registry order keeps them ahead); tables rm_notifications (an admins' notice keeps its
institution) and rm_notification_bookings (which child and guardian each booking or waitlist
entry is for, so later events about it reach them).
A notice goes to the guardians (and admins) of its moment: those whose `since` position in
the children (institutions) model is before the event's, so a rebuild addresses it alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from domain.child.aggregate import Child
from domain.institution.aggregate import Institution, StaffRole
from projections.attendance_notices import ADMIN_NOTICE, NOTICE, Notices, attendance_notices
from projections.attendance_notices import HANDLES as ATTENDANCE_EVENTS
from projections.base import Envelope, erasures_apart
from projections.booking_notices import HANDLES as BOOKING_EVENTS
from projections.booking_notices import BookingNotices, booking_notices

name = "notifications"
handles: tuple[type, ...] = (
    *BOOKING_EVENTS,
    *ATTENDANCE_EVENTS,
    Child.DataErased,
    Institution.StaffAttached,
    Institution.StaffDetached,
)
tables = ("rm_notifications", "rm_notification_bookings")
schema = """
CREATE TABLE IF NOT EXISTS rm_notification_bookings (
    booking_id uuid PRIMARY KEY, guardian_id uuid NOT NULL, child_id uuid NOT NULL,
    summary text NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_notifications (
    position bigint NOT NULL, account_id uuid NOT NULL, kind text NOT NULL, booking_id uuid,
    title text NOT NULL, body text NOT NULL, at timestamptz NOT NULL, child_id uuid,
    institution_id uuid,  -- a notice to an institution's admins: readable while they are
    PRIMARY KEY (position, account_id)
);
CREATE INDEX IF NOT EXISTS rm_notifications_account ON rm_notifications (account_id, position);
CREATE INDEX IF NOT EXISTS rm_notifications_child ON rm_notifications (child_id)
    WHERE child_id IS NOT NULL;
"""


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    batch, erased = erasures_apart(batch, Child.DataErased)
    if batch:
        await _apply(conn, batch)
    if erased:  # notices name the child: they go with its data
        await conn.execute("DELETE FROM rm_notifications WHERE child_id = ANY($1::uuid[])", erased)


# An admin who leaves the staff, or becomes a caregiver, no longer reads the notices that went to
# the institution's admins before (they name children); one who joins later reads none of them.
_ADMIN_NOTICES_LEFT = (
    "DELETE FROM rm_notifications WHERE institution_id = $1 AND account_id = $2 AND position < $3"
)


def _admins_leaving(batch: Sequence[Envelope]) -> list[tuple[UUID, UUID, int]]:
    return [
        (e.event.originator_id, e.event.account_id, e.position)
        for e in batch
        if isinstance(e.event, Institution.StaffDetached)
        or (
            isinstance(e.event, Institution.StaffAttached)
            and e.event.role is not StaffRole.institution_admin
        )
    ]


async def _apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    leaving = _admins_leaving(batch)
    attendance = [e for e in batch if isinstance(e.event, ATTENDANCE_EVENTS)]
    bookings = [e for e in batch if isinstance(e.event, BOOKING_EVENTS)]
    notices = await attendance_notices(conn, attendance) if attendance else Notices([], [])
    told = await booking_notices(conn, bookings) if bookings else BookingNotices([], [])
    if told.subjects:
        await conn.executemany(
            "INSERT INTO rm_notification_bookings VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            told.subjects,
        )
    if notices.to_guardians:
        await conn.executemany(NOTICE, notices.to_guardians)
    if notices.to_admins:
        await conn.executemany(ADMIN_NOTICE, notices.to_admins)
    if told.rows:
        await conn.executemany(
            "INSERT INTO rm_notifications VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT DO NOTHING",
            told.rows,
        )
    if leaving:
        await conn.executemany(_ADMIN_NOTICES_LEFT, leaving)


# A notice sent to an institution's admins (it names the child) is read by its admins of now:
# one removed from the staff, or no longer its admin, reads it no more.
_FOR_ACCOUNT = (
    "SELECT position, kind, booking_id, title, body, at FROM rm_notifications n"
    " WHERE account_id = $1 AND (institution_id IS NULL OR EXISTS (SELECT 1"
    " FROM rm_institution_staff s WHERE s.institution_id = n.institution_id"
    " AND s.account_id = $1 AND s.role = 'institution_admin'))"
    " ORDER BY position DESC LIMIT $2 OFFSET $3"
)


async def for_account(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: UUID, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        _FOR_ACCOUNT,
        account_id,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
