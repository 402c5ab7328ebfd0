"""The job that raises ratio alarms after the rules changed under children present (ADR 0022).

A city that tightens its class rules (or an admin who makes a room smaller or stricter) writes
into no attendance day: a regulator's act does not write into every institution's streams. So
a room may be out of ratio or over size at once, with no alarm until the next arrival or
clock-out. This job follows those changes from where it stopped and judges again, at the rules
in force, each attendance day of the institutions they touch where someone is present or an
alarm stands (today's, and yesterday's for a child kept past midnight); the command records
the alarm, or the recovery after a loosening, only where the day's alarm does not already say
so, so a day judged twice records nothing more.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from backend.following_jobs import Changes, FollowingJob, run_following_job
from backend.services.room_day_care import judge_rooms_at_rules_in_force
from backend.state import Runtime
from domain.attendance.day import attendance_day_id
from domain.city.aggregate import City
from domain.institution.aggregate import Institution

RULE_ALARMS_LOCK = 7_479_000_006
ONE_DAY = timedelta(days=1)
# a day where a child is present or a room's alarm stands (carers alone break no rule)
_CHILDREN_OR_ALARMS = (
    "(SELECT day_id FROM rm_live_children UNION SELECT day_id FROM rm_room_alarms)"
)


async def _days_with_someone_in(
    conn: asyncpg.Connection, changes: Changes, now: datetime
) -> dict[UUID, date]:
    """The attendance days, of the institutions the changes touch, where a child is present
    or a room's alarm stands."""
    if changes.first:  # never ran: every such day, once
        rows = await conn.fetch(
            f"SELECT d.id, d.day FROM rm_attendance_days d WHERE d.id IN {_CHILDREN_OR_ALARMS}"
            " AND d.day >= $1",
            (now - ONE_DAY).date(),
        )
        return {r["id"]: r["day"] for r in rows}
    institutions = await conn.fetch(
        "SELECT id, timezone FROM rm_institutions WHERE id = ANY($1::uuid[])"
        " OR city_id = ANY($2::uuid[])",
        list(changes.of(Institution.RoomChanged)), list(changes.of(City.ClassRulesSet)),
    )  # fmt: skip
    days = []
    for institution in institutions:
        today = now.astimezone(ZoneInfo(institution["timezone"])).date()
        days += [attendance_day_id(institution["id"], d) for d in (today, today - ONE_DAY)]
    if not days:
        return {}
    rows = await conn.fetch(
        "SELECT d.id, d.day FROM rm_attendance_days d WHERE d.id = ANY($1::uuid[])"
        f" AND d.id IN {_CHILDREN_OR_ALARMS}",
        days,
    )
    return {r["id"]: r["day"] for r in rows}


RULE_ALARMS = FollowingJob(
    name="rule_alarms",
    lock=RULE_ALARMS_LOCK,
    topics=(City.ClassRulesSet, Institution.RoomChanged),
    read_models=("attendance", "institutions"),  # who is in, and which institutions are whose
    find=_days_with_someone_in,
    command=judge_rooms_at_rules_in_force,
    item_is="day_id",
    actor="system:class-rules",
)


async def raise_alarms_after_rule_changes(runtime: Runtime) -> int:
    """Judge the rooms again wherever the rules changed under someone present since the last
    run; return how many attendance days were judged."""
    return await run_following_job(runtime, RULE_ALARMS)
