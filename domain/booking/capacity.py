"""Capacity and ratio minute by minute: the first minute a new booking would break either."""

from __future__ import annotations

from collections.abc import Iterable

from domain.booking.terms import Shift
from domain.class_types import NATIONAL_CLASS_RULES, ClassType


def ratio_for_age(months: int) -> int:
    """Children per carer the national rule sets for a child of this age (strictest class)."""
    if months < 12:
        return NATIONAL_CLASS_RULES[ClassType.infant].children_per_carer
    if months < 24:
        return NATIONAL_CLASS_RULES[ClassType.toddler].children_per_carer
    return NATIONAL_CLASS_RULES[ClassType.older_toddler].children_per_carer


class Presence:
    """A child present from `start` to `end` (local minutes) who needs `per_carer` ratio."""

    __slots__ = ("end", "per_carer", "start")

    def __init__(self, start: int, end: int, per_carer: int) -> None:
        self.start, self.end, self.per_carer = start, end, per_carer


def first_breach(
    new: Presence,
    present: Iterable[Presence],
    shifts: Iterable[Shift],
    capacity: int,
    strictest_ratio: bool,
) -> tuple[int, str, int, int] | None:
    """(minute, "size" | "ratio", children, limit) at the first breach, or None.

    Counts are constant between boundaries (booking and shift starts and ends), so only
    those minutes are examined, not every minute of the day.
    """
    overlapping = [p for p in present if p.start < new.end and new.start < p.end]
    shifts = [s for s in shifts if s.starts < new.end and new.start < s.ends]
    points = {new.start}
    for p in overlapping:
        points.update(m for m in (p.start, p.end) if new.start < m < new.end)
    for s in shifts:
        points.update(m for m in (s.starts, s.ends) if new.start < m < new.end)
    for minute in sorted(points):
        here = [p for p in overlapping if p.start <= minute < p.end]
        children = len(here) + 1
        if children > capacity:
            return minute, "size", children, capacity
        staff = sum(s.staff for s in shifts if s.starts <= minute < s.ends)
        per_carer = new.per_carer
        if strictest_ratio:
            per_carer = min([new.per_carer, *(p.per_carer for p in here)])
        if children > staff * per_carer:
            return minute, "ratio", children, staff * per_carer
    return None
