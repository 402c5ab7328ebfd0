"""What a busy room-day asks of its active bookings at every booking, kept rather than
recomputed over thousands of them: minutes per child and care type, and each booking as a
Presence indexed by its start minute, so a new booking looks only at those that can overlap
it (their start lies less than the longest booking's length before its own) instead of at
every one.

Kept on the room-day object itself, outside its snapshot (snapshots hold the annotated state
only): built from `bookings` on first use, then kept in step by the room-day's events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.booking.capacity import Presence

if TYPE_CHECKING:
    from domain.booking.room_day import Booking

_KEPT = "_active_bookings"


class ActiveBookings:
    __slots__ = ("by_start", "longest", "minutes", "presences")

    def __init__(self, bookings: Iterable[Booking]) -> None:
        # by (the child's UUID as an int: fast to compare, care type)
        self.minutes: dict[tuple[int, str], int] = {}
        self.presences: dict[UUID, Presence] = {}
        self.by_start: dict[int, dict[UUID, Presence]] = {}
        self.longest = 0  # minutes; never shrinks, so it stays an upper bound
        for booking in bookings:
            self.add(booking)

    def add(self, booking: Booking) -> None:
        key = (booking.child_id.int, booking.care_type)
        self.minutes[key] = self.minutes.get(key, 0) + booking.end - booking.start
        presence = Presence(booking.start, booking.end, booking.children_per_carer)
        self.presences[booking.booking_id] = presence
        self.by_start.setdefault(booking.start, {})[booking.booking_id] = presence
        self.longest = max(self.longest, booking.end - booking.start)

    def overlapping(self, start: int, end: int) -> list[Presence]:
        """The active bookings present at some minute of [start, end)."""
        first = start - self.longest + 1  # a booking starting earlier has ended by `start`
        if end - first <= len(self.by_start):
            buckets = [b for m in range(first, end) if (b := self.by_start.get(m))]
        else:
            buckets = [b for m, b in self.by_start.items() if first <= m < end]
        return [p for bucket in buckets for p in bucket.values() if p.end > start]

    def remove(self, booking: Booking) -> None:
        key = (booking.child_id.int, booking.care_type)
        left = self.minutes.get(key, 0) - (booking.end - booking.start)
        if left > 0:
            self.minutes[key] = left
        else:
            self.minutes.pop(key, None)
        if self.presences.pop(booking.booking_id, None) is not None:
            bucket = self.by_start[booking.start]
            del bucket[booking.booking_id]
            if not bucket:
                del self.by_start[booking.start]


def active_bookings(room_day: Any) -> ActiveBookings:
    """The room-day's index, built now if it has none yet."""
    kept = kept_active_bookings(room_day)
    if kept is None:
        kept = room_day.__dict__[_KEPT] = ActiveBookings(room_day.bookings.values())
    return kept


def kept_active_bookings(room_day: Any) -> ActiveBookings | None:
    """The room-day's index if built: an event that changes `bookings` updates it too."""
    kept: ActiveBookings | None = room_day.__dict__.get(_KEPT)
    return kept
