"""Each attendance day's institution, local date and time zone, as the attendance read model
keeps them in rm_attendance_days, read once and kept in process: the attendance and
notifications models look them up for every batch, the live feed hub for every step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import asyncpg

from domain.attendance.day import AttendanceDay
from projections.base import Envelope

# A day's institution, date and zone never change (its id is derived from them), so what was
# once read or seen opened is kept in process: a batch of check-ins needs no look-up.
_known_days: dict[UUID, tuple[UUID, date, str]] = {}
_KNOWN_DAYS_BOUND = 50_000


async def attendance_days(
    conn: asyncpg.Connection, batch: Sequence[Envelope]
) -> dict[UUID, tuple[UUID, date, str]]:
    """Each attendance day in the batch → (institution, local date, time zone)."""
    if len(_known_days) > _KNOWN_DAYS_BOUND:
        _known_days.clear()
    for e in batch:
        if isinstance(e.event, AttendanceDay.Opened):
            _known_days[e.event.originator_id] = (e.event.institution_id, e.event.day,
                                                  e.event.timezone)  # fmt: skip
    # Not `set - _known_days.keys()`: that walks every known day (hashing each UUID) each step.
    wanted = [d for d in {e.event.originator_id for e in batch} if d not in _known_days]
    if wanted:
        for r in await conn.fetch(
            "SELECT * FROM rm_attendance_days WHERE id = ANY($1::uuid[])", wanted
        ):
            _known_days[r["id"]] = (r["institution_id"], r["day"], r["timezone"])
    return _known_days


def known_day(day_id: UUID) -> tuple[UUID, date, str] | None:
    """The attendance day's (institution, local date, time zone), if this process has seen it."""
    return _known_days.get(day_id)
