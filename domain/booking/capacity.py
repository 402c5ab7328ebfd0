"""Capacity and ratio minute by minute: the first minute a new booking would break either."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from domain.booking.terms import Shift


class Presence:
    """A child present from `start` to `end` (local minutes) who needs `per_carer` ratio."""

    __slots__ = ("end", "per_carer", "start")

    def __init__(self, start: int, end: int, per_carer: int) -> None:
        self.start, self.end, self.per_carer = start, end, per_carer


def fewest_carers(shifts: Iterable[Shift], start: int, end: int) -> int:
    """The fewest carers rostered at any minute of [start, end)."""
    covering = [s for s in shifts if s.starts < end and start < s.ends]
    points = [start, *(s.ends for s in covering if s.ends < end)]
    return min(sum(s.staff for s in covering if s.starts <= m < s.ends) for m in points)


def fits_at_worst(
    new: Presence,
    present: Collection[Presence],
    shifts: Iterable[Shift],
    capacity: int,
    strictest_ratio: bool,
) -> bool:
    """True if the new child fits even were every one of `present` there for the whole
    interval, with the fewest carers rostered during it, at the strictest ratio among them
    all: a bound that spares the sweep when a room is far from full. False decides nothing."""
    per_carer = new.per_carer
    if strictest_ratio:
        per_carer = min(per_carer, min((p.per_carer for p in present), default=per_carer))
    carers = fewest_carers(shifts, new.start, new.end)
    return crowd_fits(len(present) + 1, per_carer, carers, capacity)


def crowd_fits(children: int, per_carer: int, carers: int, capacity: int) -> bool:
    """True if `children` fit in the room were they all there the whole interval, with the
    fewest `carers` rostered during it, at `per_carer` children per carer (the bound of
    `fits_at_worst`, from counts alone: a search can ask it before it makes a Presence of
    anyone)."""
    return children <= capacity and children <= carers * per_carer


def first_breach(
    new: Presence,
    present: Collection[Presence],
    shifts: Collection[Shift],
    capacity: int,
    strictest_ratio: bool,
) -> tuple[int, str, int, int] | None:
    """(minute, "size" | "ratio", children, limit) at the first breach, or None.

    Counts are constant between boundaries (booking and shift starts and ends), so only
    those minutes are examined, not every minute of the day: one sweep over the boundaries
    inside the new interval, in order, keeping the children, the staff and (for a mixed
    room) how many children need each ratio. A room far from full is answered by the bound
    of `fits_at_worst` without the sweep.
    """
    if fits_at_worst(new, present, shifts, capacity, strictest_ratio):
        return None
    start, end = new.start, new.end
    children, staff = 1, 0
    needing: dict[int, int] = {new.per_carer: 1}  # children per carer → children needing it
    changes: list[tuple[int, int, int, int]] = []  # (minute, Δchildren, Δstaff, per carer)
    for p in present:
        if p.start < end and start < p.end:
            if p.start <= start:
                children += 1
                needing[p.per_carer] = needing.get(p.per_carer, 0) + 1
            else:
                changes.append((p.start, 1, 0, p.per_carer))
            if p.end < end:
                changes.append((p.end, -1, 0, p.per_carer))
    for s in shifts:
        if s.starts < end and start < s.ends:
            if s.starts <= start:
                staff += s.staff
            else:
                changes.append((s.starts, 0, s.staff, 0))
            if s.ends < end:
                changes.append((s.ends, 0, -s.staff, 0))
    changes.sort()
    minute, i, n = start, 0, len(changes)
    while True:
        if children > capacity:
            return minute, "size", children, capacity
        per_carer = min(k for k, v in needing.items() if v) if strictest_ratio else new.per_carer
        if children > staff * per_carer:
            return minute, "ratio", children, staff * per_carer
        if i == n:
            return None
        minute = changes[i][0]
        while i < n and changes[i][0] == minute:
            _, d_children, d_staff, ratio = changes[i]
            children += d_children
            staff += d_staff
            if d_children:
                needing[ratio] = needing.get(ratio, 0) + d_children
            i += 1
