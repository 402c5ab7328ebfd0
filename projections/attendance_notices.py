"""What guardians (and, for a child left after closing, admins) are told about attendance:
arrival with the morning check, refusal at the door, pick-up, incidents, doses, an abnormal
midday check, and late pick-up escalations. Feeds the `notifications` read model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from domain.attendance.care_log import CareKind, notifies_guardian
from domain.attendance.day import AttendanceDay as A
from projections.attendance_texts import care_texts, check_in_texts, local_hhmm, morning_check
from projections.base import Envelope

HANDLES: tuple[type, ...] = (
    A.ChildCheckedIn, A.ChildTurnedAway, A.ChildCheckedOut, A.CareLogged, A.UncollectedEscalated,
)  # fmt: skip


# What the notices need, in one round trip: each day's institution and zone, the children's
# names and guardians, and the institutions' admins.
_LOOKUPS = """
SELECT 'day' AS kind, id AS key, institution_id AS account, timezone AS text
  FROM rm_attendance_days WHERE id = ANY($1::uuid[])
UNION ALL SELECT 'name', id, NULL, name FROM rm_children WHERE id = ANY($2::uuid[])
UNION ALL SELECT 'guardian', child_id, account_id, NULL FROM rm_child_guardians
  WHERE child_id = ANY($2::uuid[])
UNION ALL SELECT 'admin', s.institution_id, s.account_id, NULL FROM rm_institution_staff s
  WHERE s.role = 'institution_admin' AND s.institution_id IN
        (SELECT institution_id FROM rm_attendance_days WHERE id = ANY($1::uuid[]))
"""


def _children_of(event: Any) -> list[UUID]:
    if isinstance(event, A.ChildCheckedIn):
        return [event.child.child_id]
    if isinstance(event, A.CareLogged):
        return list(event.entry.child_ids) if notifies_guardian(event.entry) else []
    return [event.child_id]


async def attendance_notes(
    conn: asyncpg.Connection, batch: Sequence[Envelope]
) -> list[tuple[Any, ...]]:
    """Rows for rm_notifications: (position, account, kind, booking id, title, body, at)."""
    wanted = {c for e in batch for c in _children_of(e.event)}
    if not wanted:
        return []
    day_ids = list({e.event.originator_id for e in batch})
    days: dict[UUID, tuple[UUID, str]] = {}
    names: dict[UUID, str] = {}
    guardians: dict[UUID, list[UUID]] = {}
    admins: dict[UUID, list[UUID]] = {}
    for kind, key, account, text in await conn.fetch(_LOOKUPS, day_ids, list(wanted)):
        if kind == "day":
            days[key] = (account, text)
        elif kind == "name":
            names[key] = text
        elif kind == "guardian":
            guardians.setdefault(key, []).append(account)
        else:
            admins.setdefault(key, []).append(account)
    notes: list[tuple[Any, ...]] = []
    for envelope in batch:
        e, pos = envelope.event, envelope.position
        if e.originator_id not in days:
            continue
        institution, zone = days[e.originator_id]
        for child_id in _children_of(e):
            kind, title, body, at = _notice(e, names.get(child_id, "孩子"), zone)
            to = list(guardians.get(child_id, []))
            if _tells_admins(e):
                to += admins.get(institution, [])
            notes.extend((pos, account, kind, None, title, body, at) for account in to)
    return notes


def _tells_admins(e: Any) -> bool:
    if isinstance(e, A.UncollectedEscalated):
        return e.level >= 2
    return isinstance(e, A.CareLogged) and e.entry.category == "suspected_abuse"


def _notice(e: Any, name: str, zone: str) -> tuple[str, str, str, Any]:
    """(kind, title, body, when it happened) of one event about one child."""
    if isinstance(e, A.ChildCheckedIn):
        at = e.child.since
        kind = "check_in_abnormal" if e.health.abnormal() else "check_in"
        body = f"{name}已于{local_hhmm(at, zone)}入园，晨检{morning_check(e.health)}"
        return kind, "入园通知", body + (f"。{e.note}" if e.note else ""), at
    if isinstance(e, A.ChildTurnedAway):
        body = (
            f"{local_hhmm(e.at, zone)}晨检{morning_check(e.health)}，{name}今日未能入园。{e.note}"
        )
        return "turned_away", "晨检未通过", body.rstrip("。"), e.at
    if isinstance(e, A.ChildCheckedOut):
        _, detail = check_in_texts(e, zone)
        return "check_out", "离园通知", f"{name}已于{detail}", e.at
    if isinstance(e, A.UncollectedEscalated):
        body = f"已过闭园时间，{name}仍在园未被接走（第{e.level}次提醒），请尽快来接。"
        return "uncollected", "延迟接园提醒", body, e.at
    entry = e.entry
    kind, title, detail = care_texts(entry)
    if entry.kind is CareKind.midday_check:
        kind, title = "midday_check_abnormal", "午检异常"
    return kind, title, f"{local_hhmm(entry.at, zone)} {name}：{detail}", entry.at
