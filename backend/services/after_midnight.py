"""The attendance day before, for a decision on the rooms after midnight: read only where it can
matter, in an institution open across that midnight (until 24:00 the day before, or from 00:00).
There a child nobody collected (maybe under its next-day booking) and the carers of the day
before still clocked in are in the rooms beside the new day's people, and an arrival, a carer's
clock-in or clock-out and care for all present are judged on both days (ADR 0007,
domain/attendance/two_days.py). Elsewhere the day before's record after midnight holds only a
pick-up never recorded, escalated since the evening, and the hot path reads nothing more."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from backend.unit_of_work import UnitOfWork
from domain.attendance.day import AttendanceDay, attendance_day_id
from domain.institution.aggregate import Institution
from domain.institution.values import open_across_midnight


def night_reads(institution: Institution, day: date) -> list[UUID]:
    """The day before's stream, to read with a decision's other streams (one round trip),
    where the institution is open across the midnight `day` begins with; none elsewhere."""
    if not open_across_midnight(institution.opening_hours, day):
        return []
    return [attendance_day_id(institution.id, day - timedelta(days=1))]


async def the_day_before(
    uow: UnitOfWork, institution: Institution, day: date
) -> AttendanceDay | None:
    """The attendance day before `day`, where the institution is open across the midnight
    between them and someone is still here on it; None elsewhere. Its version is checked by
    the append like any read: a pick-up or clock-out on it racing the decision makes it
    retry."""
    for stream_id in night_reads(institution, day):
        before = await uow.find(AttendanceDay, stream_id)
        if before is not None and (before.present or before.staff):
            return before
    return None
