"""Read model `attendance`: who is in each room now, ratio alarms, the occupancy feed behind the
live stream, each child's day and the attendance register.

Handles every AttendanceDay event. Tables: rm_attendance_days (day → institution, date, zone),
rm_live_children, rm_live_staff, rm_room_alarms, rm_live_naps (the present state: a sleeping
child's last check, so a nap check overdue shows), rm_occupancy_feed (one row
per event, its position the SSE id), rm_child_day (what a guardian sees) and
rm_attendance_register (one row per arrival). Times are the device's (`at`), so a tablet that
replays after an outage puts each fact at its real time. Queries live in attendance_queries;
the feed's rows are made in attendance_feed, a correction's register statements in
attendance_corrections, a move's in attendance_moves; attendance_days knows each day's zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from domain.attendance.care_log import CareKind
from domain.attendance.day import AttendanceDay
from domain.child.aggregate import Child
from projections.attendance_corrections import live_since_corrected, register_corrected
from projections.attendance_days import attendance_days
from projections.attendance_erasure import (
    corrected_erased_children,
    forget_free_text,
    without_reason,
)
from projections.attendance_feed import FEED, correction_feed, feed_row
from projections.attendance_moves import (
    REGISTER_MOVED_OUT,
    move_texts,
    moved_in_args,
    moved_out_args,
)
from projections.attendance_texts import (
    care_texts,
    check_in_texts,
    collector_name,
    correction_text,
    morning_check,
)
from projections.base import Envelope, erasures_apart
from projections.writes import Writes

name = "attendance"
A = AttendanceDay
handles: tuple[type, ...] = (
    A.Opened, A.ChildCheckedIn, A.ChildTurnedAway, A.ChildCheckedOut, A.StaffClockedIn,
    A.StaffClockedOut, A.CareLogged, A.RoomOutOfBounds, A.RoomBackInBounds,
    A.UncollectedEscalated, A.VisitCorrected, A.ChildMovedRoom, Child.DataErased,
)  # fmt: skip
tables = (
    "rm_attendance_days", "rm_live_children", "rm_live_staff", "rm_room_alarms", "rm_live_naps",
    "rm_occupancy_feed", "rm_child_day", "rm_attendance_register", "rm_attendance_audit",
)  # fmt: skip
schema = """
CREATE TABLE IF NOT EXISTS rm_attendance_days (
    id uuid PRIMARY KEY, institution_id uuid NOT NULL, day date NOT NULL, timezone text NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_live_children (
    day_id uuid NOT NULL, child_id uuid NOT NULL, room_id uuid NOT NULL,
    since timestamptz NOT NULL, children_per_carer integer NOT NULL,
    PRIMARY KEY (day_id, child_id)
);
CREATE TABLE IF NOT EXISTS rm_live_staff (
    day_id uuid NOT NULL, staff_id uuid NOT NULL, room_id uuid NOT NULL,
    since timestamptz NOT NULL, PRIMARY KEY (day_id, staff_id)
);
CREATE TABLE IF NOT EXISTS rm_room_alarms (
    day_id uuid NOT NULL, room_id uuid NOT NULL, breach text NOT NULL,
    since timestamptz NOT NULL, PRIMARY KEY (day_id, room_id)
);
CREATE TABLE IF NOT EXISTS rm_live_naps (
    day_id uuid NOT NULL, child_id uuid NOT NULL, room_id uuid NOT NULL,
    last_seen timestamptz NOT NULL, PRIMARY KEY (day_id, child_id)
);
CREATE TABLE IF NOT EXISTS rm_occupancy_feed (
    position bigint PRIMARY KEY, institution_id uuid NOT NULL, kind text NOT NULL,
    data text NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_occupancy_feed_institution
    ON rm_occupancy_feed (institution_id, position);
CREATE TABLE IF NOT EXISTS rm_child_day (
    child_id uuid NOT NULL, day date NOT NULL, position bigint NOT NULL,
    institution_id uuid NOT NULL, at timestamptz NOT NULL, kind text NOT NULL,
    title text NOT NULL, detail text NOT NULL, recorded_by uuid,
    PRIMARY KEY (child_id, day, position)
);
CREATE TABLE IF NOT EXISTS rm_attendance_register (
    position bigint PRIMARY KEY, day_id uuid NOT NULL, room_id uuid NOT NULL,
    child_id uuid NOT NULL, status text NOT NULL, in_at timestamptz NOT NULL,
    in_by uuid NOT NULL, method text NOT NULL, temperature_c double precision,
    morning_check text NOT NULL, note text NOT NULL, override_reason text,
    out_at timestamptz, out_by uuid, collector text, relation text, identity_check text,
    corrected_by uuid, correction_reason text,
    observations text NOT NULL DEFAULT ''  -- what the carer saw at the morning check
);
CREATE INDEX IF NOT EXISTS rm_attendance_register_room
    ON rm_attendance_register (day_id, room_id, in_at);
CREATE INDEX IF NOT EXISTS rm_attendance_register_child
    ON rm_attendance_register (child_id, day_id);
-- What an admin did against the register's rules, one row per act: a check-in past class
-- size or ratio, a correction (the register row keeps only the latest correction).
CREATE TABLE IF NOT EXISTS rm_attendance_audit (
    position bigint PRIMARY KEY, institution_id uuid NOT NULL, day date NOT NULL,
    at timestamptz NOT NULL, recorded_at timestamptz NOT NULL, actor uuid NOT NULL,
    kind text NOT NULL, room_id uuid NOT NULL, child_id uuid NOT NULL, detail text NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_attendance_audit_institution
    ON rm_attendance_audit (institution_id, day, at);
CREATE INDEX IF NOT EXISTS rm_attendance_audit_child ON rm_attendance_audit (child_id);
"""
_AUDIT = (
    "INSERT INTO rm_attendance_audit VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT DO NOTHING"
)


_DAY = "INSERT INTO rm_attendance_days VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
_CHILD_IN = (
    "INSERT INTO rm_live_children VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day_id, child_id)"
    " DO UPDATE SET room_id = excluded.room_id, since = excluded.since,"
    " children_per_carer = excluded.children_per_carer"
)
_CHILD_OUT = "DELETE FROM rm_live_children WHERE day_id = $1 AND child_id = $2"
_STAFF_IN = (
    "INSERT INTO rm_live_staff VALUES ($1, $2, $3, $4) ON CONFLICT (day_id, staff_id)"
    " DO UPDATE SET room_id = excluded.room_id, since = excluded.since"
)
_STAFF_OUT = "DELETE FROM rm_live_staff WHERE day_id = $1 AND staff_id = $2 AND room_id = $3"
_ALARM = (
    "INSERT INTO rm_room_alarms VALUES ($1, $2, $3, $4) ON CONFLICT (day_id, room_id)"
    " DO UPDATE SET breach = excluded.breach, since = excluded.since"
)
_ALARM_OFF = "DELETE FROM rm_room_alarms WHERE day_id = $1 AND room_id = $2"
# Only for a child still in the entry's room: a nap entry replayed after its child left the
# room (collected, or gone to another) is history, as in AttendanceDay.CareLogged.
_NAP = (
    "INSERT INTO rm_live_naps SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM rm_live_children"
    " WHERE day_id = $1 AND child_id = $2 AND room_id = $3) ON CONFLICT (day_id, child_id)"
    " DO UPDATE SET last_seen = greatest(rm_live_naps.last_seen, excluded.last_seen)"
)
_NAP_OVER = "DELETE FROM rm_live_naps WHERE day_id = $1 AND child_id = $2 AND room_id = $3"
_NAPS_GONE = "DELETE FROM rm_live_naps WHERE day_id = $1 AND child_id = $2"  # it left the room
# An admin may correct an erased child's register (it is kept); the child's day stays gone.
# Not for a child erased already (rm_children is ahead in registry order): an entry a tablet
# replays after the erasure, or an admin's correction then, writes no line of its day, as a
# rebuild, which meets the erasure at the end of the batch, writes none that stays.
_CHILD_DAY = (
    "INSERT INTO rm_child_day SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9"
    " WHERE EXISTS (SELECT 1 FROM rm_children WHERE id = $1) ON CONFLICT DO NOTHING"
)
_REGISTER_IN = (
    "INSERT INTO rm_attendance_register VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
    " $12, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $13) ON CONFLICT DO NOTHING"
)
_REGISTER_OUT = (
    "UPDATE rm_attendance_register SET out_at = $3, out_by = $4, collector = $5, relation = $6,"
    " identity_check = $7 WHERE day_id = $1 AND child_id = $2 AND status = 'checked_in'"
    " AND out_at IS NULL"
)


async def apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    batch, erased = erasures_apart(batch, Child.DataErased)
    if batch:
        await _apply(conn, batch)
    if erased:  # the child's day names its collectors, doses and notes: it goes with its data
        await conn.execute("DELETE FROM rm_child_day WHERE child_id = ANY($1::uuid[])", erased)
        await forget_free_text(conn, erased)  # the register keeps the visits, not the words


async def _apply(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> None:
    days = await attendance_days(conn, batch)
    unnamed = await corrected_erased_children(conn, batch)  # their corrections keep no words
    w = Writes()
    for envelope in batch:
        e, pos = envelope.event, envelope.position
        day_id = e.originator_id
        institution, day, zone = days[day_id]
        if isinstance(e, A.Opened):
            w.add(("day", day_id), (_DAY, (day_id, institution, day, zone)))
        elif isinstance(e, A.ChildCheckedIn):
            c = e.child
            title, detail = check_in_texts(e, zone)
            w.add(
                ("child", day_id, c.child_id),
                (_CHILD_IN, (day_id, c.child_id, c.room_id, c.since, c.children_per_carer)),
                (_CHILD_DAY, (c.child_id, day, pos, institution, c.since, "check_in", title,
                              detail, e.by)),
                (_REGISTER_IN, (pos, day_id, c.room_id, c.child_id, "checked_in", c.since, e.by,
                                e.method.value, e.health.temperature_c, morning_check(e.health),
                                e.note, e.override_reason, e.health.observations)),
                feed_row(pos, institution, e),
            )  # fmt: skip
            if e.override_reason is not None:
                w.add(("event", pos), (_AUDIT, (pos, institution, day, c.since, e.timestamp, e.by,
                                                "ratio_override", c.room_id, c.child_id,
                                                e.override_reason)))  # fmt: skip
        elif isinstance(e, A.ChildTurnedAway):
            title, detail = check_in_texts(e, zone)
            w.add(
                ("child", day_id, e.child_id),
                (_CHILD_DAY, (e.child_id, day, pos, institution, e.at, "turned_away", title,
                              detail, e.by)),
                (_REGISTER_IN, (pos, day_id, e.room_id, e.child_id, "turned_away", e.at, e.by,
                                "refused", e.health.temperature_c, morning_check(e.health),
                                e.note, None, e.health.observations)),
            )  # fmt: skip
        elif isinstance(e, A.ChildCheckedOut):
            k = e.collector
            title, detail = check_in_texts(e, zone)
            w.add(
                ("child", day_id, e.child_id),
                (_CHILD_OUT, (day_id, e.child_id)),
                (_NAPS_GONE, (day_id, e.child_id)),
                (_CHILD_DAY, (e.child_id, day, pos, institution, e.at, "check_out", title,
                              detail, e.by)),
                (_REGISTER_OUT, (day_id, e.child_id, e.at, e.by, collector_name(k, e.at, zone),
                                 k.relation, k.identity_check.value)),
                feed_row(pos, institution, e),
            )  # fmt: skip
        elif isinstance(e, A.ChildMovedRoom):
            m, c = e.move, e.move.child
            title, detail = move_texts(m, zone)
            w.add(
                ("child", day_id, c.child_id),
                (_CHILD_IN, (day_id, c.child_id, c.room_id, c.since, c.children_per_carer)),
                (_NAPS_GONE, (day_id, c.child_id)),
                (_CHILD_DAY, (c.child_id, day, pos, institution, c.since, "room_move", title,
                              detail, m.by)),
                (REGISTER_MOVED_OUT, moved_out_args(day_id, m)),
                feed_row(pos, institution, e),
            )  # fmt: skip
            # after the old room's row has ended (the same table: a round of its own)
            w.add(("child", day_id, c.child_id), (_REGISTER_IN, moved_in_args(pos, day_id, m)))
            if m.override_reason is not None:
                w.add(("event", pos), (_AUDIT, (pos, institution, day, c.since, e.timestamp, m.by,
                                                "move_override", c.room_id, c.child_id,
                                                m.override_reason)))  # fmt: skip
        elif isinstance(e, A.StaffClockedIn):
            w.add(
                ("staff", day_id, e.staff_id),
                (_STAFF_IN, (day_id, e.staff_id, e.room_id, e.at)),
                feed_row(pos, institution, e),
            )  # fmt: skip
        elif isinstance(e, A.StaffClockedOut):
            w.add(
                ("staff", day_id, e.staff_id),
                (_STAFF_OUT, (day_id, e.staff_id, e.room_id)),
                feed_row(pos, institution, e),
            )  # fmt: skip
        elif isinstance(e, A.RoomOutOfBounds):
            w.add(
                ("room", day_id, e.room_id),
                (_ALARM, (day_id, e.room_id, e.breach, e.at)),
                feed_row(pos, institution, e),
            )  # fmt: skip
        elif isinstance(e, A.RoomBackInBounds):
            w.add(
                ("room", day_id, e.room_id),
                (_ALARM_OFF, (day_id, e.room_id)),
                feed_row(pos, institution, e),
            )  # fmt: skip
        elif isinstance(e, A.CareLogged):
            entry = e.entry
            kind, title, detail = care_texts(entry)
            for child_id in entry.child_ids:
                w.add(("line", pos, child_id), (_CHILD_DAY, (child_id, day, pos, institution,
                                                             entry.at, kind, title, detail,
                                                             entry.by)))  # fmt: skip
                if entry.kind in (CareKind.nap_start, CareKind.nap_check):
                    w.add(("child", day_id, child_id),
                          (_NAP, (day_id, child_id, entry.room_id, entry.at)))  # fmt: skip
                elif entry.kind is CareKind.nap_end:
                    w.add(("child", day_id, child_id),
                          (_NAP_OVER, (day_id, child_id, entry.room_id)))  # fmt: skip
        elif isinstance(e, A.UncollectedEscalated):
            detail = f"闭园后仍未接走，第{e.level}次提醒" + ("，已通知园长" if e.level >= 2 else "")
            w.add(
                ("event", pos),
                (_CHILD_DAY, (e.child_id, day, pos, institution, e.at, "uncollected",
                              "延迟接园提醒", detail, None)),
                feed_row(pos, institution, e),
            )  # fmt: skip
        elif isinstance(e, A.VisitCorrected):
            fix = without_reason(e.correction) if e.correction.child_id in unnamed else e.correction
            w.add(
                ("child", day_id, fix.child_id),
                register_corrected(pos, day_id, fix),
                live_since_corrected(day_id, fix),
                (_CHILD_DAY, (fix.child_id, day, pos, institution, fix.arrived, "correction",
                              "考勤更正", correction_text(fix, zone), fix.by)),
                (FEED, (pos, institution, *correction_feed(fix))),
            )  # fmt: skip
            w.add(("event", pos), (_AUDIT, (pos, institution, day, fix.arrived, e.timestamp,
                                            fix.by, "register_correction", fix.room_id,
                                            fix.child_id, correction_text(fix, zone))))  # fmt: skip
    await w.flush(conn)
