"""Queries over the attendance read model: live occupancy, the feed, a child's day, the register."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, TypeAlias
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from domain.attendance.day import attendance_day_id
from domain.attendance.room_ratio import room_status
from domain.booking.terms import NAP_CHECK_MINUTES
from domain.child.aggregate import age_in_months
from domain.class_types import ClassType, chinese_name
from domain.institution.values import OpeningInterval, local_hhmm, open_across_midnight
from projections.enrolments import held_on

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
_HOURS = msgspec.json.Decoder(list[OpeningInterval])


async def live_occupancy(conn: Conn, institution_id: UUID, now: datetime) -> dict[str, Any] | None:
    """Every room of the institution now: who is in, staff, ratio, headroom, alarms, and who is
    expected in the next hour (booked and not yet arrived, or enrolled and not yet seen today)."""
    institution = await conn.fetchrow(
        "SELECT i.timezone, i.filed_places, i.opening_hours::text AS hours, s.nap_check_minutes"
        " FROM rm_institutions i"
        " LEFT JOIN rm_booking_settings s ON s.institution_id = i.id WHERE i.id = $1",
        institution_id,
    )
    if institution is None:
        return None
    zone = institution["timezone"]
    local = now.astimezone(ZoneInfo(zone))
    day, minute = local.date(), local.hour * 60 + local.minute
    day_id = attendance_day_id(institution_id, day)
    rooms = await conn.fetch(
        "SELECT id, name, class_type, capacity, children_per_carer FROM rm_rooms"
        " WHERE institution_id = $1"
        " ORDER BY name, id",
        institution_id,
    )
    day_before = attendance_day_id(institution_id, day - timedelta(days=1))
    night = open_across_midnight(_HOURS.decode(institution["hours"]), day)
    children, staff, stayed_in = await _here_now(conn, day_id, day_before, night)
    alarms = _by_room(
        await conn.fetch(
            "SELECT room_id, breach, day_id = $2 FROM rm_room_alarms"
            " WHERE day_id = ANY(ARRAY[$1, $2]::uuid[])",
            day_id, day_before,
        ),
        stayed_in,
    )  # fmt: skip
    expected = dict(await conn.fetch(_EXPECTED, institution_id, day, now, minute, day_id))
    overdue = _by_room(
        await conn.fetch(
            "SELECT room_id, count(*)::int, day_id = $4 FROM rm_live_naps"
            " WHERE day_id = ANY(ARRAY[$1, $4]::uuid[])"
            " AND last_seen < $2::timestamptz - make_interval(mins => $3) GROUP BY room_id, day_id",
            day_id, now, institution["nap_check_minutes"] or NAP_CHECK_MINUTES[1], day_before,
        ),
        stayed_in,
    )  # fmt: skip
    out_rooms = []
    for room in rooms:
        here = [c for c in children if c["room_id"] == room["id"]]
        carers = [s for s in staff if s["room_id"] == room["id"]]
        needs = [c["children_per_carer"] for c in here]
        status = room_status(needs, len(carers), room["capacity"], room["children_per_carer"])
        out_rooms.append({
            "room_id": room["id"], "name": room["name"], "class_type": room["class_type"],
            "class_name": chinese_name(ClassType(room["class_type"])),
            "capacity": room["capacity"],
            "children": [_present_child(c, day, zone) for c in here],
            "staff": [
                {"account_id": s["staff_id"], "name": s["display_name"] or "",
                 "since": local_hhmm(s["since"], zone)}
                for s in carers
            ],
            "required_staff": status.required_staff,
            "headroom": max(room["capacity"] - status.children, 0),
            "ratio_ok": not status.out_of_ratio,
            "alarm": alarms.get(room["id"]),
            "expected_next_hour": expected.get(room["id"], 0),
            "nap_checks_overdue": overdue.get(room["id"], 0),
        })  # fmt: skip
    return {
        "institution_id": institution_id,
        "local_time": local.strftime("%H:%M"),
        "children_present": len(children),
        "staff_present": len(staff),
        "filed_places": institution["filed_places"],
        "rooms": out_rooms,
    }


async def _here_now(
    conn: Conn, day_id: UUID, day_before: UUID, night: bool
) -> tuple[list[asyncpg.Record], list[asyncpg.Record], set[UUID]]:
    """Children and carers here now, and the rooms where people of the day before count: a
    child nobody collected is still on its day's record after midnight, and so are the
    carers who stayed with it in its room. A child or carer here again today is today's. A
    carer still clocked in the day before in a room with no such child forgot to clock out,
    and is not counted, unless the institution is open across midnight (`night`): there a
    carer of the evening is on a night shift, and decisions count them too (ADR 0007)."""
    rows = await conn.fetch(
        "SELECT l.room_id, l.child_id, l.since, l.children_per_carer, c.name, c.birth_date,"
        " l.day_id = $2 AS stayed_on"
        " FROM rm_live_children l LEFT JOIN rm_children c ON c.id = l.child_id"
        " WHERE l.day_id = ANY(ARRAY[$1, $2]::uuid[]) ORDER BY l.since",
        day_id, day_before,
    )  # fmt: skip
    today = {c["child_id"] for c in rows if not c["stayed_on"]}
    children = [c for c in rows if not c["stayed_on"] or c["child_id"] not in today]
    stayed_in = {c["room_id"] for c in children if c["stayed_on"]}
    clocked_in = await conn.fetch(
        "SELECT s.room_id, s.staff_id, s.since, a.display_name, s.day_id = $2 AS stayed_on"
        " FROM rm_live_staff s LEFT JOIN rm_accounts a ON a.id = s.staff_id"
        " WHERE s.day_id = ANY(ARRAY[$1, $2]::uuid[]) ORDER BY s.since",
        day_id, day_before,
    )  # fmt: skip
    on_shift = {s["staff_id"] for s in clocked_in if not s["stayed_on"]}
    staff = [
        s
        for s in clocked_in
        if not s["stayed_on"]
        or ((night or s["room_id"] in stayed_in) and s["staff_id"] not in on_shift)
    ]
    return children, staff, stayed_in | {s["room_id"] for s in staff if s["stayed_on"]}


def _by_room(rows: list[asyncpg.Record], stayed_in: set[UUID]) -> dict[UUID, Any]:
    """(room, value, of the day before?) rows: today's value of each room, else the day
    before's for a room where a child stayed on."""
    found = {room: value for room, value, before in rows if before and room in stayed_in}
    found.update((room, value) for room, value, before in rows if not before)
    return found


def _present_child(row: asyncpg.Record, day: date, zone: str) -> dict[str, Any]:
    months = age_in_months(row["birth_date"], day) if row["birth_date"] else 0
    return {
        "child_id": row["child_id"], "name": row["name"] or "", "age_months": months,
        "age_class": age_class(months), "since": local_hhmm(row["since"], zone),
        "children_per_carer": row["children_per_carer"],
    }  # fmt: skip


def age_class(months: int) -> str:
    """The class a child of this age belongs in, as carers say it (for a mixed room's list)."""
    if months < 12:
        return chinese_name(ClassType.infant)
    return chinese_name(ClassType.toddler if months < 24 else ClassType.older_toddler)


_EXPECTED = f"""
SELECT room_id, sum(n)::int FROM (
    SELECT b.room_id, count(*) AS n FROM rm_bookings b
     WHERE b.institution_id = $1 AND b.day = $2 AND b.status = 'confirmed'
       AND b.starts_at < $3::timestamptz + interval '1 hour' AND b.ends_at > $3::timestamptz
       AND NOT EXISTS (SELECT 1 FROM rm_live_children l
                        WHERE l.day_id = $5 AND l.child_id = b.child_id)
       AND NOT EXISTS (SELECT 1 FROM rm_attendance_register r WHERE r.day_id = $5
                          AND r.child_id = b.child_id AND r.status = 'turned_away')
     GROUP BY b.room_id
    UNION ALL
    SELECT e.room_id, count(*) FROM rm_enrolments e
     WHERE e.institution_id = $1 AND {held_on("$2")}
       AND e.start_min < $4 + 60 AND e.end_min > $4
       AND NOT EXISTS (SELECT 1 FROM rm_attendance_register r
                        WHERE r.day_id = $5 AND r.child_id = e.child_id)
     GROUP BY e.room_id
) expected GROUP BY room_id
"""


async def feed_after(
    conn: Conn, institution_id: UUID, after: int, limit: int = 500
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT position, kind, data::text AS data FROM rm_occupancy_feed"
        " WHERE institution_id = $1 AND position > $2 ORDER BY position LIMIT $3",
        institution_id,
        after,
        limit,
    )
    return rows


async def clock_rows_between(
    conn: Conn, institution_id: UUID, after: int, upto: int
) -> list[asyncpg.Record]:
    """The institution's staff clock rows of the feed in (after, upto], in feed order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT position, kind, data::text AS data FROM rm_occupancy_feed"
        " WHERE institution_id = $1 AND position > $2 AND position <= $3"
        " AND kind IN ('staff_clocked_in', 'staff_clocked_out') ORDER BY position",
        institution_id, after, upto,
    )  # fmt: skip
    return rows


async def child_day(
    conn: Conn, child_id: UUID, day: date, staff_of: UUID | None = None
) -> list[dict[str, Any]]:
    """The child's day in order of when things happened (not when they were recorded). For
    `staff_of` (a staff account), only what happened at institutions it works for: a child
    cared for at two institutions in one day has two days, and only its guardians see both."""
    rows = await conn.fetch(
        "SELECT c.at, c.kind, c.title, c.detail, a.display_name AS by_name, d.timezone"
        " FROM rm_child_day c JOIN rm_institutions d ON d.id = c.institution_id"
        " LEFT JOIN rm_accounts a ON a.id = c.recorded_by"
        " WHERE c.child_id = $1 AND c.day = $2 AND ($3::uuid IS NULL OR c.institution_id IN"
        " (SELECT institution_id FROM rm_institution_staff WHERE account_id = $3))"
        " ORDER BY c.at, c.position",
        child_id,
        day,
        staff_of,
    )
    return [dict(r) for r in rows]


async def institutions_attended(conn: Conn, child_id: UUID, day: date) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT institution_id FROM rm_child_day WHERE child_id = $1 AND day = $2",
        child_id,
        day,
    )
    return [r["institution_id"] for r in rows]


async def register(conn: Conn, room_id: UUID, day: date) -> list[dict[str, Any]]:
    """One row per arrival (and per child turned away at the door), in order of arrival."""
    rows = await conn.fetch(
        "SELECT r.*, c.name AS child_name, i.display_name AS in_by_name,"
        " o.display_name AS out_by_name, k.display_name AS corrected_by_name, d.timezone"
        " FROM rm_attendance_register r"
        " JOIN rm_attendance_days d ON d.id = r.day_id"
        " LEFT JOIN rm_children c ON c.id = r.child_id"
        " LEFT JOIN rm_accounts i ON i.id = r.in_by LEFT JOIN rm_accounts o ON o.id = r.out_by"
        " LEFT JOIN rm_accounts k ON k.id = r.corrected_by"
        " WHERE r.room_id = $1 AND d.day = $2 ORDER BY r.in_at, r.position",
        room_id,
        day,
    )
    return [dict(r) for r in rows]


async def days_past_closing_with_children(
    conn: Conn, since: date, now: datetime, fallback_closing: int
) -> list[UUID]:
    """Attendance days (from `since` on) past their closing time with a child still checked
    in: the only candidates for a late pick-up escalation (the command decides the grace)."""
    rows = await conn.fetch(
        "SELECT DISTINCT l.day_id FROM rm_live_children l"
        " JOIN rm_attendance_days d ON d.id = l.day_id"
        " JOIN rm_institutions i ON i.id = d.institution_id"
        " WHERE d.day >= $1 AND (d.day + make_interval(mins => coalesce("
        "   (SELECT max((h->>'closes')::int) FROM jsonb_array_elements(i.opening_hours) h"
        "     WHERE (h->>'weekday')::int = extract(isodow FROM d.day)::int), $3)))"
        "   AT TIME ZONE d.timezone <= $2",
        since,
        now,
        fallback_closing,
    )
    return [r["day_id"] for r in rows]


def yesterday(now: datetime) -> date:
    return (now - timedelta(days=1)).date()


async def is_present(
    conn: asyncpg.Connection | asyncpg.Pool, child_id: UUID, now: datetime
) -> bool:
    """Whether the child is checked in (not yet collected) on an attendance day of today or
    yesterday; one nobody checked out on an older day no longer counts."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM rm_live_children l JOIN rm_attendance_days d"
        " ON d.id = l.day_id WHERE l.child_id = $1 AND d.day >= $2)",
        child_id,
        yesterday(now),
    )
    return bool(found)


async def audit(conn: Conn, institution_id: UUID, first: date, last: date) -> list[dict[str, Any]]:
    """What the institution's admins did against the register's rules, by when it happened."""
    rows = await conn.fetch(
        "SELECT a.*, k.display_name AS actor_name, c.name AS child_name, r.name AS room_name,"
        " i.timezone FROM rm_attendance_audit a JOIN rm_institutions i ON i.id = a.institution_id"
        " LEFT JOIN rm_accounts k ON k.id = a.actor LEFT JOIN rm_children c ON c.id = a.child_id"
        " LEFT JOIN rm_rooms r ON r.id = a.room_id"
        " WHERE a.institution_id = $1 AND a.day BETWEEN $2 AND $3 ORDER BY a.at, a.position",
        institution_id,
        first,
        last,
    )
    return [dict(r) for r in rows]
