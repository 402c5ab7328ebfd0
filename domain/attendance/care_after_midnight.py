"""Care logged after midnight in a room that holds the children of two attendance days: a child
nobody collected by midnight stays on the day its stay began (its pick-up, its moves, and so its
care and its nap are recorded there, ADR 0007), the children who came after midnight are on the
new day's record. One entry ("snack for all present", a nap check, or one naming children of
both) is recorded on each day for that day's children, so each child's day, its nap in order
and the guardians' notices follow its own stay."""

from __future__ import annotations

from uuid import UUID

import msgspec

from domain.attendance.care_log import CareEntry
from domain.attendance.day import AttendanceDay
from domain.attendance.replays import in_room_at
from domain.attendance.values import ChildNotPresent, NapRuleBroken
from domain.clocks import CLOCK_SKEW


def care_on_both_days(
    entry: CareEntry, day_before: AttendanceDay, day: AttendanceDay
) -> tuple[CareEntry | None, CareEntry | None]:
    """The entry's part for the children staying on from the `day_before` and its part for
    the `day`'s own, each naming the children it covers (None where it covers none). Refused
    as on one day: when it names a child in the room on neither, or, for the whole room,
    when it covers nobody on either. A child on both records is the new day's."""
    if entry.child_ids:
        stayed = _stayed_on(day_before, day, entry)
        theirs = tuple(c for c in entry.child_ids if c in stayed)
        ours = tuple(c for c in entry.child_ids if c not in stayed)
        return (
            day_before.care_covering(msgspec.structs.replace(entry, child_ids=theirs))
            if theirs else None,
            day.care_covering(msgspec.structs.replace(entry, child_ids=ours)) if ours else None,
        )  # fmt: skip
    own, refused = _covering(day, entry)
    before, _ = _covering(day_before, entry)
    theirs = tuple(c for c in before.child_ids if c not in day.visits) if before else ()
    if own is None and not theirs and refused is not None:
        raise refused  # nobody on either day: as the new day alone would answer
    return (msgspec.structs.replace(entry, child_ids=theirs) if theirs else None), own


def _stayed_on(day_before: AttendanceDay, day: AttendanceDay, entry: CareEntry) -> set[UUID]:
    """The children in the entry's room at its time (within the clock skew) on the day
    before's record and not on the new day's."""
    there = in_room_at(day_before.visits, entry.room_id, entry.at, CLOCK_SKEW)
    return {c for c in there if c not in day.visits}


def _covering(
    day: AttendanceDay, entry: CareEntry
) -> tuple[CareEntry | None, ChildNotPresent | NapRuleBroken | None]:
    """The whole-room entry as the day covers it, or the reason it covers nobody there."""
    try:
        return day.care_covering(entry), None
    except (ChildNotPresent, NapRuleBroken) as nobody:
        return None, nobody
