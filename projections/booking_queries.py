"""Queries over the `bookings` read model: one booking, a guardian's list, a day's list, occupancy."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from domain.booking.room_day import room_day_id
from domain.booking.terms import RefundPolicy
from domain.class_types import ClassType
from projections.bookings import STATUS_ORDER
from projections.enrolments import PRESENT_ON, held_on
from projections.institutions import room_shifts, shifts_on

DAY_MINUTES = 24 * 60
_policy = msgspec.json.Decoder(RefundPolicy)
_COLUMNS = "b.*, c.name AS child_name, r.name AS room_name, i.name AS institution_name"
_FROM = (
    "rm_bookings b LEFT JOIN rm_children c ON c.id = b.child_id"
    " LEFT JOIN rm_rooms r ON r.id = b.room_id LEFT JOIN rm_institutions i ON i.id = b.institution_id"
)


def _booking(row: asyncpg.Record) -> dict[str, Any]:
    """A row as a dict; the stored refund policy decoded, with its Chinese text beside it."""
    booking = dict(row)
    booking.pop("total", None)
    policy = _policy.decode(booking["refund_policy"])
    booking["refund_policy"] = msgspec.to_builtins(policy)
    booking["refund_policy_text"] = policy.describe()
    return booking


async def get_booking(
    conn: asyncpg.Connection | asyncpg.Pool, booking_id: UUID
) -> dict[str, Any] | None:
    """The booking with its names and "history": [{status, at, detail}], oldest first."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE b.id = $1", booking_id)
    if row is None:
        return None
    history = await conn.fetch(
        "SELECT status, at, detail FROM rm_booking_history WHERE booking_id = $1"
        " ORDER BY position, array_position($2::text[], status)",
        booking_id,
        list(STATUS_ORDER),
    )
    return {**_booking(row), "history": [dict(h) for h in history]}


async def list_for_guardian(
    conn: asyncpg.Connection | asyncpg.Pool,
    account_id: UUID,
    *,
    upcoming: bool,
    now: datetime,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Bookings (any status) of every child this account is a guardian of, and their count.

    Upcoming: not yet ended at `now`, soonest first; past: ended, latest first.
    """
    when, order = ("b.ends_at > $2", "ASC") if upcoming else ("b.ends_at <= $2", "DESC")
    where = (
        f"b.child_id IN (SELECT child_id FROM rm_child_guardians WHERE account_id = $1) AND {when}"
    )
    return await _page(conn, where, f"b.starts_at {order}, b.id", (account_id, now), limit, offset)


async def list_for_institution_day(
    conn: asyncpg.Connection | asyncpg.Pool, institution_id: UUID, day: date, *, limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """A page of the bookings (any status) of the institution on a local day, by start time
    and room, and how many there are."""
    where = "b.institution_id = $1 AND b.day = $2"
    order = "b.starts_at, r.name, b.room_id, b.id"
    return await _page(conn, where, order, (institution_id, day), limit, offset)


async def _page(
    conn: asyncpg.Connection | asyncpg.Pool, where: str, order: str, args: tuple[Any, Any],
    limit: int, offset: int,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """One page of the bookings `where` ($1, $2: `args`) says, by `order`, and how many there
    are in all, in one query (a second only past the last page)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, count(*) OVER () AS total FROM {_FROM}"
        f" WHERE {where} ORDER BY {order} LIMIT $3 OFFSET $4",
        *args, limit, offset,
    )  # fmt: skip
    if rows:
        return [_booking(r) for r in rows], int(rows[0]["total"])
    total = await conn.fetchval(f"SELECT count(*) FROM rm_bookings b WHERE {where}", *args)
    return [], int(total)


# The child's time near a local day, as real instants: its bookings of the days around it
# and its regular places on those days at their institutions' clocks (the day searched in one
# zone meets days before and after it in another: zones lie up to 26 hours apart).
_CHILD_TIME = f"""
SELECT room_id, care_type, start_min, end_min, starts_at, ends_at, day = $2 AS that_day
  FROM rm_bookings
 WHERE child_id = $1 AND day BETWEEN $2::date - 2 AND $2::date + 2
   AND status IN ('confirmed', 'checked_in', 'completed')
UNION ALL
SELECT NULL, NULL, NULL, NULL, (d.day + make_interval(mins => e.start_min)) AT TIME ZONE i.timezone,
       (d.day + make_interval(mins => e.end_min)) AT TIME ZONE i.timezone, false
  FROM rm_enrolments e JOIN rm_institutions i ON i.id = e.institution_id,
       LATERAL (SELECT g::date AS day FROM generate_series($2::date - 2, $2::date + 2,
                interval '1 day') g) d
 WHERE e.child_id = $1 AND {held_on("d.day")}
"""


UsedMinutes = dict[tuple[UUID, str], int]  # (room, care type) → the child's minutes that day
Taken = list[tuple[datetime, datetime]]  # the child's time, as real instants


async def child_time(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, day: date
) -> tuple[Taken, UsedMinutes]:
    """The child's time taken around a local day, as a booking decides: the instants it is
    booked (a visit over still holds its booked time, as the child's own record does, even
    when the child was collected early) or has a regular place (not on a day its room closed),
    anywhere and in any zone; and per room and care type the minutes of its bookings there
    that day, over or to come (each care type's offer limits a child's minutes of that care a
    day in its room)."""
    taken: Taken = []
    used: UsedMinutes = {}
    for row in await conn.fetch(_CHILD_TIME, child_id, day):
        taken.append((row["starts_at"], row["ends_at"]))
        if row["that_day"]:
            minutes = row["end_min"] - row["start_min"]
            key = (row["room_id"], row["care_type"])
            used[key] = used.get(key, 0) + minutes
    return taken, used


async def room_occupancy(
    conn: asyncpg.Connection | asyncpg.Pool, room_id: UUID, day: date, now: datetime
) -> dict[str, Any] | None:
    """The room's local day 00:00–24:00 as segments of constant counts, or None if no room.

    Keys: room_id, institution_id, day, class_type, capacity, children_per_carer, closed (why
    the room is closed that day, or None), segments; each segment {start_min, end_min, booked,
    enrolled, held, capacity, ratio_capacity} where booked counts confirmed bookings, held the
    waitlist offers holding a place at `now` (a booking is refused there as for a booked one)
    and ratio_capacity = rostered carers × children per carer (in a mixed room the strictest
    ratio among the children present, else the room's). On a closed day nothing is bookable
    and the regular places were given the day back: capacities and enrolled are 0.
    """
    room = await conn.fetchrow(
        "SELECT r.id AS room_id, r.institution_id, r.class_type, r.capacity,"
        " r.children_per_carer, t.shifts, (SELECT c.reason FROM rm_closures c"
        " WHERE c.institution_id = r.institution_id AND c.day = $2"
        " AND (c.room_id IS NULL OR c.room_id = r.id) LIMIT 1) AS closed FROM rm_rooms r"
        " LEFT JOIN rm_room_terms t ON t.room_id = r.id WHERE r.id = $1",
        room_id,
        day,
    )
    if room is None:
        return None
    bookings = await conn.fetch(
        "SELECT start_min, end_min, children_per_carer FROM rm_bookings"
        " WHERE room_id = $1 AND day = $2 AND status IN ('confirmed', 'checked_in')",
        room_id,
        day,
    )
    held = await conn.fetch(
        "SELECT start_min, end_min, children_per_carer FROM rm_waitlist"
        " WHERE room_day_id = $1 AND status = 'offered' AND offered_until > $2",
        room_day_id(room_id, day),
        now,
    )
    closed = room["closed"] is not None
    enrolled = [] if closed else await conn.fetch(PRESENT_ON, [room_id], day)
    shifts = () if closed else shifts_on(room_shifts(room["shifts"]), day.isoweekday())
    mixed = room["class_type"] == ClassType.mixed.value
    capacity, room_ratio = (0 if closed else room["capacity"]), room["children_per_carer"]
    points = {0, DAY_MINUTES}
    spans = [(p["start_min"], p["end_min"]) for p in [*bookings, *held, *enrolled]]
    for start, end in spans + [(s.starts, s.ends) for s in shifts]:
        points.update(min(max(m, 0), DAY_MINUTES) for m in (start, end))
    segments: list[dict[str, int]] = []
    for start, end in pairwise(sorted(points)):
        booked = [b["children_per_carer"] for b in bookings if b[0] <= start < b[1]]
        holding = [h["children_per_carer"] for h in held if h[0] <= start < h[1]]
        regular = [e["children_per_carer"] for e in enrolled if e[1] <= start < e[2]]
        here = booked + holding + regular
        staff = sum(s.staff for s in shifts if s.starts <= start < s.ends)
        per_carer = (
            min([room_ratio, *here]) if mixed else room_ratio
        )  # never looser than the room's
        counts = {
            "booked": len(booked), "enrolled": len(regular), "held": len(holding),
            "capacity": capacity, "ratio_capacity": staff * per_carer,
        }  # fmt: skip
        if segments and all(segments[-1][k] == v for k, v in counts.items()):
            segments[-1]["end_min"] = end  # nothing changed here: one segment goes on
        else:
            segments.append({"start_min": start, "end_min": end, **counts})
    result = dict(room)
    del result["shifts"]
    return {**result, "day": day, "segments": segments}


async def had_care_in_room(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, room_id: UUID, day: date
) -> bool:
    """Whether the child had a booking (not cancelled; a no-show counts: the record may be what
    went missing) or a regular place in this room on this local day."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM rm_bookings WHERE child_id = $1 AND room_id = $2"
        " AND day = $3 AND status <> 'cancelled')"
        " OR EXISTS (SELECT 1 FROM rm_enrolments WHERE child_id = $1 AND room_id = $2"
        " AND first_day <= $3 AND $3 <= last_day"
        " AND extract(isodow FROM $3::date)::int = ANY(weekdays))",
        child_id,
        room_id,
        day,
    )
    return bool(found)
