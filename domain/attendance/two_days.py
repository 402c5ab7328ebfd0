"""Who is in the rooms after midnight while a child nobody collected is still here: the people of
two attendance days. The child's stay stays on the day it began (its pick-up and its moves are
recorded there, ADR 0007), while the carers and children who came after midnight are on the new
day's record; a room holds both, as the live view shows it. Someone on both records (checked in
or clocked in again on the new day) is the new day's. A decision after midnight on the earlier
day's record (a move, a pick-up, a clock-out of its people) reads the `next_day`; one on the new
day's (an arrival, a clock-in or out, a pick-up, care) reads the `day_before`, in an institution
open across midnight (backend/services/after_midnight.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.attendance.room_ratio import RoomStatus
from domain.attendance.values import PresentChild, Visit


class PeopleOfADay(Protocol):
    """What an attendance day knows of who is (and was) in its rooms, and its rooms' alarms."""

    present: dict[UUID, PresentChild]
    staff: dict[UUID, UUID]  # carer → room
    visits: dict[UUID, list[Visit]]
    staff_stays: dict[UUID, list[Visit]]
    alarms: dict[UUID, str]  # room → breach

    def back_in_bounds(
        self, room_id: UUID, at: datetime, now: datetime, status: RoomStatus
    ) -> None: ...


def here_on_both(
    day: PeopleOfADay, next_day: PeopleOfADay | None
) -> tuple[dict[UUID, PresentChild], dict[UUID, UUID]]:
    """The children present and the carers clocked in now on either day (the new day's record
    of someone on both); `day`'s alone without a `next_day`."""
    if next_day is None:
        return day.present, day.staff
    return {**day.present, **next_day.present}, {**day.staff, **next_day.staff}


def stays_of_both(
    day: PeopleOfADay, next_day: PeopleOfADay | None
) -> tuple[dict[UUID, list[Visit]], dict[UUID, list[Visit]]]:
    """Each child's visits and each carer's stays on either day, together: the rooms as they
    were at any moment of the night (a replayed move is judged on them); `day`'s alone
    without a `next_day`."""
    if next_day is None:
        return day.visits, day.staff_stays
    return _together(day.visits, next_day.visits), _together(day.staff_stays, next_day.staff_stays)


def stays_with_the_day_before(
    day: PeopleOfADay, day_before: PeopleOfADay | None
) -> tuple[dict[UUID, list[Visit]], dict[UUID, list[Visit]]]:
    """The mirror of `stays_of_both`, seen from the later day: its stays and those of the
    `day_before` (a child nobody collected by midnight, a carer on a night shift); `day`'s
    alone without a `day_before`."""
    if day_before is None:
        return day.visits, day.staff_stays
    return stays_of_both(day_before, day)


def _together(
    first: dict[UUID, list[Visit]], second: dict[UUID, list[Visit]]
) -> dict[UUID, list[Visit]]:
    return {who: [*first.get(who, ()), *second.get(who, ())] for who in first.keys() | second}
