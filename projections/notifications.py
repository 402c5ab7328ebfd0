"""Read model `notifications`: what each guardian is told about their bookings and their child's
attendance, newest first (admins too, for a child left after closing).

Handles RoomDay events, RoomEnrolments.DayClosed (a regular place's day refunded), Child.DataErased (the child's notices go) and attendance events (texts in attendance_notices, which reads the
attendance, children and institutions read models: registry order keeps them ahead); tables rm_notifications and rm_notification_bookings (which guardian
made each booking, so later events about it reach them). Texts are in Chinese, times in UTC
(the app shows them in the institution's time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from domain.booking.enrolment import RoomEnrolments
from domain.booking.room_day import RoomDay
from domain.booking.terms import CARE_TYPE_CHINESE
from domain.child.aggregate import Child
from domain.institution.values import hhmm
from projections.attendance_notices import ADMIN_NOTICE, NOTICE, Notices, attendance_notices
from projections.attendance_notices import HANDLES as ATTENDANCE_EVENTS
from projections.base import Envelope, erasures_apart

name = "notifications"
handles: tuple[type, ...] = (
    RoomDay.CareBooked,
    RoomDay.BookingCancelled,
    RoomDay.NoShowReleased,
    RoomDay.ReleasedBookingAttended,
    RoomDay.WaitlistJoined,
    RoomDay.WaitlistOfferMade,
    RoomDay.WaitlistOfferExpired,
    RoomEnrolments.DayClosed,
    *ATTENDANCE_EVENTS,
    Child.DataErased,
)
tables = ("rm_notifications", "rm_notification_bookings")
schema = """
CREATE TABLE IF NOT EXISTS rm_notification_bookings (
    booking_id uuid PRIMARY KEY, guardian_id uuid NOT NULL, summary text NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_notifications (
    position bigint NOT NULL, account_id uuid NOT NULL, kind text NOT NULL, booking_id uuid,
    title text NOT NULL, body text NOT NULL, at timestamptz NOT NULL, child_id uuid,
    PRIMARY KEY (position, account_id)
);
CREATE INDEX IF NOT EXISTS rm_notifications_account ON rm_notifications (account_id, position);
CREATE INDEX IF NOT EXISTS rm_notifications_child ON rm_notifications (child_id)
    WHERE child_id IS NOT NULL;
"""


def _local_date(starts_at: datetime, local_minute: int) -> str:
    """The institution's local date of a start, from its UTC instant and local minute."""
    offset = (local_minute - (starts_at.hour * 60 + starts_at.minute)) % 1440
    if offset > 720:
        offset -= 1440
    return (starts_at + timedelta(minutes=offset)).date().isoformat()


def _subject(event: Any) -> UUID:
    """The booking or waitlist entry an event is about."""
    subject: UUID = getattr(event, "booking_id", None) or event.entry_id
    return subject


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    batch, erased = erasures_apart(batch, Child.DataErased)
    if batch:
        await _apply(conn, batch)
    if erased:  # notices name the child: they go with its data
        await conn.execute("DELETE FROM rm_notifications WHERE child_id = ANY($1::uuid[])", erased)


async def _apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    attendance = [e for e in batch if isinstance(e.event, ATTENDANCE_EVENTS)]
    if attendance:
        batch = [e for e in batch if not isinstance(e.event, ATTENDANCE_EVENTS)]
    bookings: dict[UUID, tuple[UUID, UUID, str]] = {}
    notices = await attendance_notices(conn, attendance) if attendance else Notices([], [])
    notes: list[tuple[Any, ...]] = []
    wanted = [
        _subject(e.event)
        for e in batch
        if not isinstance(
            e.event, RoomDay.CareBooked | RoomDay.WaitlistJoined | RoomEnrolments.DayClosed
        )
    ]
    known = {
        r["booking_id"]: (r["booking_id"], r["guardian_id"], r["summary"])
        for r in (
            await conn.fetch(
                "SELECT * FROM rm_notification_bookings WHERE booking_id = ANY($1::uuid[])",
                wanted,
            )
            if wanted
            else []
        )
    }
    for envelope in batch:
        e, at, pos = envelope.event, envelope.event.timestamp, envelope.position
        if isinstance(e, RoomDay.CareBooked):
            b = e.booking
            summary = (
                f"{_local_date(b.starts_at, b.start)} {hhmm(b.start)}–{hhmm(b.end)}"
                f" {CARE_TYPE_CHINESE[b.care_type]}"
            )
            bookings[b.booking_id] = (b.booking_id, b.guardian_id, summary)
            notes.append((pos, b.guardian_id, "booked", b.booking_id, "预约成功",
                          f"{summary}，费用{_yuan(b.price_fen)}", at))  # fmt: skip
            continue
        if isinstance(e, RoomEnrolments.DayClosed):
            notes += _closed_day_notes(e, pos, at)
            continue
        if isinstance(e, RoomDay.WaitlistJoined):
            n = e.entry
            summary = f"{n.day.isoformat()} {hhmm(n.start)}–{hhmm(n.end)} {CARE_TYPE_CHINESE[n.care_type]}"
            bookings[n.entry_id] = (n.entry_id, n.guardian_id, summary)
            continue
        booking = bookings.get(_subject(e)) or known.get(_subject(e))
        if booking is None:
            continue
        _, guardian, summary = booking
        if isinstance(e, RoomDay.BookingCancelled):
            if not e.by_institution:
                continue  # the guardian cancelled it themselves
            body = f"{summary}：机构取消，全额退款{_yuan(e.refund_fen)}。{e.reason}"
            notes.append((pos, guardian, "cancelled_by_institution", e.booking_id, "预约已被取消",
                          body, at))  # fmt: skip
        elif isinstance(e, RoomDay.NoShowReleased):
            body = f"{summary}：开始{e.after_minutes}分钟后仍未签到，名额已释放。"
            notes.append((pos, guardian, "no_show", e.booking_id, "预约已释放", body, at))
        elif isinstance(e, RoomDay.ReleasedBookingAttended):
            body = f"{summary}：离线签到已补录，孩子在名额释放前已到园，预约已恢复。"
            notes.append((pos, guardian, "booking_restored", e.booking_id, "预约已恢复", body, at))
        elif isinstance(e, RoomDay.WaitlistOfferMade):
            body = f"{summary}：有名额空出，已为您保留，请在{e.until.isoformat()}之前确认。"
            notes.append((pos, guardian, "waitlist_offer", e.entry_id, "候补名额", body, at))
        else:
            body = f"{summary}：保留的候补名额已过期。"
            notes.append((pos, guardian, "waitlist_lapsed", e.entry_id, "候补已过期", body, at))
    if bookings:
        await conn.executemany(
            "INSERT INTO rm_notification_bookings VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            list(bookings.values()),
        )
    if notices.to_guardians:
        await conn.executemany(NOTICE, notices.to_guardians)
    if notices.to_admins:
        await conn.executemany(ADMIN_NOTICE, notices.to_admins)
    if notes:
        await conn.executemany(
            "INSERT INTO rm_notifications VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT DO NOTHING",
            notes,
        )


def _closed_day_notes(e: Any, pos: int, at: datetime) -> list[tuple[Any, ...]]:
    """One notice per guardian (a notice is keyed by position and account), with every place
    of theirs refunded that day: twins, or a morning and an afternoon term."""
    by_guardian: dict[UUID, list[Any]] = {}
    for refund in e.refunds:
        by_guardian.setdefault(refund.guardian_id, []).append(refund)
    notes = []
    for guardian, refunds in by_guardian.items():
        total = _yuan(sum(r.refund_fen for r in refunds))
        places = f"{len(refunds)}个常规托位" if len(refunds) > 1 else "常规托位"
        body = f"{e.day.isoformat()} 停课，{places}当天费用退还{total}。{e.reason}"
        notes.append((pos, guardian, "regular_day_closed", refunds[0].enrolment_id,
                      "常规托位停课", body, at))  # fmt: skip
    return notes


async def for_account(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: UUID, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT position, kind, booking_id, title, body, at FROM rm_notifications"
        " WHERE account_id = $1 ORDER BY position DESC LIMIT $2 OFFSET $3",
        account_id,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
