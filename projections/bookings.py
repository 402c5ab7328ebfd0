"""Read model `bookings`: every booking of care with its status history (queries: booking_queries).

Handles RoomDay events; tables rm_room_days, rm_bookings, rm_booking_history.
A batch is folded first (a booking made and cancelled in one batch is written once, already
cancelled), then written with one statement per table. A booking takes its room, institution
and day from rm_room_days, written just before it: RoomDay.Opened is version 1 of the
stream, so it is either in an earlier batch or earlier in this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from domain.booking.room_day import RoomDay
from projections.base import Envelope
from projections.writes import TableWrite, write_together

name = "bookings"
handles: tuple[type, ...] = (
    RoomDay.Opened,
    RoomDay.CareBooked,
    RoomDay.BookingCancelled,
    RoomDay.BookingCheckedIn,
    RoomDay.BookingCompleted,
    RoomDay.NoShowReleased,
    RoomDay.TurnedAwayReleased,
    RoomDay.ReleasedBookingAttended,
    RoomDay.CompletedBookingResumed,
    RoomDay.BookingBeganWithChildHere,
)
# Plain status moves: the event class and the status it leads to.
_MOVES: dict[type, str] = {
    RoomDay.BookingCheckedIn: "checked_in",
    RoomDay.BookingCompleted: "completed",
    RoomDay.NoShowReleased: "no_show",
    RoomDay.TurnedAwayReleased: "turned_away",
    RoomDay.ReleasedBookingAttended: "checked_in",
    RoomDay.CompletedBookingResumed: "checked_in",
    RoomDay.BookingBeganWithChildHere: "checked_in",
}
# What the history says beside a move, when it says more than the status.
_NOTES: dict[type, str] = {
    RoomDay.NoShowReleased: "未按时签到，名额已释放",
    RoomDay.TurnedAwayReleased: "晨检未通过，未入园，名额已释放",
    RoomDay.ReleasedBookingAttended: "离线签到补录：孩子在名额释放前已到园，预约恢复",
    RoomDay.CompletedBookingResumed: "孩子当天回到本班（再次入园或转回），预约恢复",
    RoomDay.BookingBeganWithChildHere: "孩子前一天入园后一直在班（跨夜），预约开始即视为到园",
}
# When a status move happened, where the event says it (a late arrival, a return: real times).
_AT = {
    RoomDay.ReleasedBookingAttended: "arrived_at", RoomDay.CompletedBookingResumed: "back_at",
    RoomDay.BookingBeganWithChildHere: "arrived_at",
}  # fmt: skip
tables = ("rm_room_days", "rm_bookings", "rm_booking_history")
schema = """
CREATE TABLE IF NOT EXISTS rm_room_days (
    id uuid PRIMARY KEY, room_id uuid NOT NULL, institution_id uuid NOT NULL, day date NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_bookings (
    id uuid PRIMARY KEY, room_day_id uuid NOT NULL, room_id uuid NOT NULL,
    institution_id uuid NOT NULL, day date NOT NULL, child_id uuid NOT NULL,
    guardian_id uuid NOT NULL, care_type text NOT NULL, start_min integer NOT NULL,
    end_min integer NOT NULL, starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL,
    price_fen integer NOT NULL, refund_fen integer, status text NOT NULL,
    cancelled_by text, refund_policy jsonb NOT NULL, children_per_carer integer NOT NULL,
    booked_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_bookings_room_day ON rm_bookings (room_id, day);
CREATE INDEX IF NOT EXISTS rm_bookings_institution_day ON rm_bookings (institution_id, day);
CREATE INDEX IF NOT EXISTS rm_bookings_child ON rm_bookings (child_id);
CREATE INDEX IF NOT EXISTS rm_bookings_guardian ON rm_bookings (guardian_id);
CREATE INDEX IF NOT EXISTS rm_bookings_awaiting_arrival ON rm_bookings (starts_at)
    WHERE status = 'confirmed';
CREATE TABLE IF NOT EXISTS rm_booking_history (
    booking_id uuid NOT NULL, status text NOT NULL, at timestamptz NOT NULL,
    position bigint NOT NULL, detail text, PRIMARY KEY (booking_id, position, status)
);
"""

# Status order within one event (requested, then confirmed at the same instant).
STATUS_ORDER = (
    "requested", "confirmed", "checked_in", "completed", "cancelled", "no_show", "turned_away",
)  # fmt: skip

_json = msgspec.json.Encoder()
_BOOKING_FIELDS = (
    "id", "room_day_id", "child_id", "guardian_id", "care_type", "start_min", "end_min",
    "starts_at", "ends_at", "price_fen", "refund_fen", "status", "cancelled_by",
    "refund_policy", "children_per_carer", "booked_at", "updated_at",
)  # fmt: skip
_TYPES = (
    "uuid", "uuid", "uuid", "uuid", "text", "int", "int", "timestamptz", "timestamptz", "int",
    "int", "text", "text", "text", "int", "timestamptz", "timestamptz",
)  # fmt: skip
_INSERT_BOOKINGS = (
    "INSERT INTO rm_bookings SELECT u.id, u.room_day_id, d.room_id, d.institution_id, d.day,"
    " u.child_id, u.guardian_id, u.care_type, u.start_min, u.end_min, u.starts_at, u.ends_at,"
    " u.price_fen, u.refund_fen, u.status, u.cancelled_by, u.refund_policy::jsonb,"
    " u.children_per_carer, u.booked_at, u.updated_at"
    f" FROM unnest({', '.join(f'${i}::{t}[]' for i, t in enumerate(_TYPES, 1))})"
    f" AS u({', '.join(_BOOKING_FIELDS)}) JOIN rm_room_days d ON d.id = u.room_day_id"
    " ON CONFLICT (id) DO NOTHING"
)


def cancellation_detail(by_institution: bool, refund_fen: int, reason: str) -> str:
    """How a cancellation reads in the history, e.g. "家长取消，退款¥15.00：孩子发烧"."""
    who = "机构取消" if by_institution else "家长取消"
    text = f"{who}，退款¥{refund_fen // 100}.{refund_fen % 100:02d}"
    return f"{text}：{reason}" if reason.strip() else text


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    room_days: dict[UUID, tuple[UUID, UUID, UUID, date]] = {}
    booked: dict[UUID, dict[str, Any]] = {}
    cancelled: dict[UUID, tuple[UUID, int, str, datetime]] = {}  # bookings of earlier batches
    history: list[tuple[UUID, str, datetime, int, str | None]] = []
    moved: dict[UUID, tuple[UUID, str, datetime]] = {}  # bookings of earlier batches
    for envelope in batch:
        e = envelope.event
        if isinstance(e, RoomDay.Opened):
            room_days[e.originator_id] = (e.originator_id, e.room_id, e.institution_id, e.day)
        elif isinstance(e, RoomDay.CareBooked):
            b = e.booking
            booked[b.booking_id] = {
                "id": b.booking_id, "room_day_id": e.originator_id, "child_id": b.child_id,
                "guardian_id": b.guardian_id, "care_type": b.care_type.value,
                "start_min": b.start, "end_min": b.end, "starts_at": b.starts_at,
                "ends_at": b.ends_at, "price_fen": b.price_fen, "refund_fen": None,
                "status": "confirmed", "cancelled_by": None,
                "refund_policy": _json.encode(b.refund_policy).decode(),
                "children_per_carer": b.children_per_carer, "booked_at": e.timestamp,
                "updated_at": e.timestamp,
            }  # fmt: skip
            history.append((b.booking_id, "requested", e.timestamp, envelope.position, None))
            history.append((b.booking_id, "confirmed", e.timestamp, envelope.position, None))
        elif isinstance(e, RoomDay.BookingCancelled):
            by = "institution" if e.by_institution else "guardian"
            row = booked.get(e.booking_id)
            if row is not None:
                row.update(status="cancelled", refund_fen=e.refund_fen, cancelled_by=by)
                row["updated_at"] = e.timestamp
            else:  # after any move of this batch (moves are written after cancellations)
                cancelled[e.booking_id] = (e.booking_id, e.refund_fen, by, e.timestamp)
                moved.pop(e.booking_id, None)
            detail = cancellation_detail(e.by_institution, e.refund_fen, e.reason)
            history.append((e.booking_id, "cancelled", e.timestamp, envelope.position, detail))
        elif type(e) in _MOVES:
            status = _MOVES[type(e)]
            row = booked.get(e.booking_id)
            if row is not None:
                row.update(status=status, updated_at=e.timestamp)
            else:
                moved[e.booking_id] = (e.booking_id, status, e.timestamp)
            at = getattr(e, _AT[type(e)]) if type(e) in _AT else e.timestamp
            history.append((e.booking_id, status, at, envelope.position, _NOTES.get(type(e))))
    writes = []
    if room_days:
        writes.append(TableWrite(
            "rm_room_days",
            "INSERT INTO rm_room_days SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[],"
            " $4::date[]) ON CONFLICT (id) DO NOTHING",
            tuple(map(list, zip(*room_days.values(), strict=True))),
        ))  # fmt: skip
    if booked:
        rows = booked.values()
        writes.append(TableWrite(
            "rm_bookings", _INSERT_BOOKINGS, tuple([r[f] for r in rows] for f in _BOOKING_FIELDS),
            reads=frozenset({"rm_room_days"}),
        ))  # fmt: skip
    if cancelled:
        writes.append(TableWrite(
            "rm_bookings",
            "UPDATE rm_bookings b SET status = 'cancelled', refund_fen = u.refund_fen,"
            " cancelled_by = u.cancelled_by, updated_at = u.at"
            " FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[])"
            " AS u(id, refund_fen, cancelled_by, at) WHERE b.id = u.id",
            tuple(map(list, zip(*cancelled.values(), strict=True))),
        ))  # fmt: skip
    if moved:
        writes.append(TableWrite(
            "rm_bookings",
            "UPDATE rm_bookings b SET status = u.status, updated_at = u.at"
            " FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(id, status, at)"
            " WHERE b.id = u.id",
            tuple(map(list, zip(*moved.values(), strict=True))),
        ))  # fmt: skip
    if history:
        writes.append(TableWrite(
            "rm_booking_history",
            "INSERT INTO rm_booking_history SELECT * FROM unnest($1::uuid[], $2::text[],"
            " $3::timestamptz[], $4::bigint[], $5::text[]) ON CONFLICT DO NOTHING",
            tuple(map(list, zip(*history, strict=True))),
        ))  # fmt: skip
    await write_together(conn, writes)
