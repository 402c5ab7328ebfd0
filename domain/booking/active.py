"""What a busy room-day asks of its active bookings at every booking, kept rather than
recomputed over thousands of them: minutes per child and each booking as a Presence.

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
    __slots__ = ("minutes", "presences")

    def __init__(self, bookings: Iterable[Booking]) -> None:
        self.minutes: dict[int, int] = {}  # by the child's UUID as an int: fast to compare
        self.presences: dict[UUID, Presence] = {}
        for booking in bookings:
            self.add(booking)

    def add(self, booking: Booking) -> None:
        child = booking.child_id.int
        self.minutes[child] = self.minutes.get(child, 0) + booking.end - booking.start
        self.presences[booking.booking_id] = Presence(
            booking.start, booking.end, booking.children_per_carer
        )

    def remove(self, booking: Booking) -> None:
        child = booking.child_id.int
        left = self.minutes.get(child, 0) - (booking.end - booking.start)
        if left > 0:
            self.minutes[child] = left
        else:
            self.minutes.pop(child, None)
        self.presences.pop(booking.booking_id, None)


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
