"""What guardians (and, for a child left after closing, admins) are told about attendance:
arrival with the morning check, refusal at the door, pick-up, incidents, doses, an abnormal
midday check, late pick-up escalations, and an admin's correction of the register. Feeds the `notifications` read model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg

from domain.attendance.care_log import CareKind, notifies_guardian
from domain.attendance.day import AttendanceDay as A
from domain.institution.values import local_hhmm
from projections.attendance_days import attendance_days
from projections.attendance_texts import (
    care_texts,
    check_in_texts,
    check_with_observations,
    correction_text,
)
from projections.base import Envelope

HANDLES: tuple[type, ...] = (
    A.ChildCheckedIn, A.ChildTurnedAway, A.ChildCheckedOut, A.CareLogged, A.UncollectedEscalated,
    A.VisitCorrected,
)  # fmt: skip


# One statement per notice to the child's guardians (none once the child's data was erased),
# with the child's name read in the same statement, as it was at the notice's position (a
# guardian may have corrected it since: docs/adr/0025); the body is `$5 || name || $6`. A notice
# that also goes to the institution's admins (a late pick-up's second reminder, a suspected
# abuse) runs ADMIN_NOTICE as well, with the institution in `$8`, kept on the admins' rows so
# that only its admins of the moment read them (`notifications.for_account`); none either once
# the child was erased (a report a tablet replays afterwards: the erasure removed the earlier
# ones, and a rebuild, meeting it at the end of the batch, keeps none). Two statements,
# not one with a switch: a switch made PostgreSQL plan the statement afresh for every notice.
# A notice needs no look-up first: the day's institution and zone are kept in process.
_NOTICE_TO = """
INSERT INTO rm_notifications
    (position, account_id, kind, booking_id, title, body, at, child_id, institution_id)
SELECT $1::bigint, a.account_id, $3::text, NULL, $4::text,
       $5::text || coalesce((SELECT name FROM rm_child_names WHERE child_id = $2
                             AND since < $1 ORDER BY since DESC LIMIT 1), '孩子') || $6::text,
       $7::timestamptz, $2::uuid, {}
FROM ({}) AS a
ON CONFLICT DO NOTHING
"""
NOTICE = _NOTICE_TO.format(
    "NULL::uuid",
    "SELECT account_id FROM rm_child_guardians WHERE child_id = $2 AND since < $1"
    " AND EXISTS (SELECT 1 FROM rm_children WHERE id = $2)",
)
ADMIN_NOTICE = _NOTICE_TO.format(
    "$8::uuid",
    "SELECT account_id FROM rm_institution_staff"
    " WHERE institution_id = $8 AND role = 'institution_admin' AND since < $1"
    " AND EXISTS (SELECT 1 FROM rm_children WHERE id = $2)",
)


class Notices(NamedTuple):
    """Argument rows for NOTICE, and for ADMIN_NOTICE (the same rows and the institution)."""

    to_guardians: list[tuple[Any, ...]]
    to_admins: list[tuple[Any, ...]]


def _children_of(event: Any) -> list[UUID]:
    if isinstance(event, A.ChildCheckedIn):
        return [event.child.child_id]
    if isinstance(event, A.CareLogged):
        return list(event.entry.child_ids) if notifies_guardian(event.entry) else []
    if isinstance(event, A.VisitCorrected):
        return [event.correction.child_id]
    return [event.child_id]


async def attendance_notices(conn: asyncpg.Connection, batch: Sequence[Envelope]) -> Notices:
    """One notice per event and child it tells about."""
    notices = Notices([], [])
    if not any(_children_of(e.event) for e in batch):
        return notices
    days = await attendance_days(conn, batch)
    for envelope in batch:
        e, pos = envelope.event, envelope.position
        if e.originator_id not in days:  # its attendance model is behind (being rebuilt)
            continue
        institution, _, zone = days[e.originator_id]
        for child_id in _children_of(e):
            kind, title, (before, after), at = _notice(e, zone)
            row = (pos, child_id, kind, title, before, after, at)
            notices.to_guardians.append(row)
            if _tells_admins(e):
                notices.to_admins.append((*row, institution))
    return notices


def _tells_admins(e: Any) -> bool:
    if isinstance(e, A.UncollectedEscalated):
        return e.level >= 2
    return isinstance(e, A.CareLogged) and e.entry.category == "suspected_abuse"


def _notice(e: Any, zone: str) -> tuple[str, str, tuple[str, str], Any]:
    """(kind, title, (body before, after the child's name), when it happened) of one event."""
    if isinstance(e, A.ChildCheckedIn):
        at = e.child.since
        kind = "check_in_abnormal" if e.health.abnormal() else "check_in"
        body = f"已于{local_hhmm(at, zone)}入园，晨检{check_with_observations(e.health)}"
        return kind, "入园通知", ("", body + (f"。{e.note}" if e.note else "")), at
    if isinstance(e, A.ChildTurnedAway):
        after = f"今日未能入园。{e.note}".rstrip("。")
        return "turned_away", "晨检未通过", (
            f"{local_hhmm(e.at, zone)}晨检{check_with_observations(e.health)}，", after
        ), e.at  # fmt: skip
    if isinstance(e, A.ChildCheckedOut):
        _, detail = check_in_texts(e, zone)
        return "check_out", "离园通知", ("", f"已于{detail}"), e.at
    if isinstance(e, A.UncollectedEscalated):
        after = f"仍在园未被接走（第{e.level}次提醒），请尽快来接。"
        return "uncollected", "延迟接园提醒", ("已过闭园时间，", after), e.at
    if isinstance(e, A.VisitCorrected):  # told when the register was corrected, not of when
        after = f"的考勤记录已由园方更正。{correction_text(e.correction, zone)}"
        return "attendance_corrected", "考勤更正", ("", after), e.timestamp
    entry = e.entry
    kind, title, detail = care_texts(entry)
    if entry.kind is CareKind.midday_check:
        kind, title = "midday_check_abnormal", "午检异常"
    return kind, title, (f"{local_hhmm(entry.at, zone)} ", f"：{detail}"), entry.at
