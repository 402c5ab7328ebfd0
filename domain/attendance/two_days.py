"""Who is in the rooms after midnight while a child nobody collected is still here: the people of
two attendance days. The child's stay stays on the day it began (its pick-up and its moves are
recorded there, ADR 0007), while the carers and children who came after midnight are on the new
day's record; a room holds both, as the live view shows it. Someone on both records (checked in
or clocked in again on the new day) is the new day's."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.attendance.values import PresentChild, Visit


class PeopleOfADay(Protocol):
    """What an attendance day knows of who is (and was) in its rooms."""

    present: dict[UUID, PresentChild]
    staff: dict[UUID, UUID]  # carer → room
    visits: dict[UUID, list[Visit]]
    staff_stays: dict[UUID, list[Visit]]


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


def _together(
    first: dict[UUID, list[Visit]], second: dict[UUID, list[Visit]]
) -> dict[UUID, list[Visit]]:
    return {who: [*first.get(who, ()), *second.get(who, ())] for who in first.keys() | second}
