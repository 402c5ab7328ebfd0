"""The times a child is held: bookings, regular places, and bookings released lately.

A released booking is remembered for a while with the time it was released: a room tablet
that was offline replays a drop-off made while the booking still stood (before the no-show
job freed it, or a closure or a cancellation ended it), and that arrival is a fact the
register must keep.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import msgspec

from domain.clocks import CLOCK_SKEW

# A device replays at most a day late (backend/services/attendance.py): a release older than
# this can never be met by a replayed arrival.
RELEASES_KEPT = timedelta(days=2)


class Hold(msgspec.Struct, frozen=True):
    """A time this child is booked somewhere: UTC instants, and the local day and minutes."""

    booking_id: UUID
    starts_at: datetime
    ends_at: datetime
    day: date | None = None
    start: int = 0
    end: int = 0
    room_id: UUID | None = None  # None on holds recorded before attendance existed

    def overlaps(self, other: Hold) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def covers_arrival(self, room_id: UUID, at: datetime, slack: timedelta) -> bool:
        """An arrival in this room at `at` falls in it (from `slack` before its start)."""
        return self.room_id in (None, room_id) and self.starts_at - slack <= at < self.ends_at


class RegularHold(msgspec.Struct, frozen=True):
    """A regular place (enrolment): these weekdays, these local minutes, between two dates."""

    enrolment_id: UUID
    weekdays: tuple[int, ...]
    first_day: date
    last_day: date
    start: int
    end: int
    room_id: UUID | None = None
    freed: tuple[date, ...] = ()  # days the institution closed the room: the child is free

    def covers(self, day: date, start: int, end: int) -> bool:
        return (
            self.first_day <= day <= self.last_day
            and day.isoweekday() in self.weekdays
            and self.start < end
            and start < self.end
            and day not in self.freed
        )

    def overlaps(self, other: RegularHold) -> bool:
        return (
            self.first_day <= other.last_day
            and other.first_day <= self.last_day
            and bool(set(self.weekdays) & set(other.weekdays))
            and self.start < other.end
            and other.start < self.end
        )


class ReleasedHold(msgspec.Struct, frozen=True):
    """A booking's hold, and when the booking was released (cancelled or freed as a no-show)."""

    hold: Hold
    released_at: datetime


def keep_releases(
    released: dict[UUID, ReleasedHold], hold: Hold, at: datetime
) -> dict[UUID, ReleasedHold]:
    """`released` with this hold released at `at`, and without releases too old to matter."""
    kept = {k: r for k, r in released.items() if r.released_at >= at - RELEASES_KEPT}
    kept[hold.booking_id] = ReleasedHold(hold, at)
    return kept


def released_covering(
    released: dict[UUID, ReleasedHold], room_id: UUID, at: datetime, slack: timedelta
) -> UUID | None:
    """The booking that covered an arrival at `at` in this room and was released after it
    (`at` is a device's time: it may run up to CLOCK_SKEW ahead of the server's)."""
    for gone in released.values():
        if at < gone.released_at + CLOCK_SKEW and gone.hold.covers_arrival(room_id, at, slack):
            return gone.hold.booking_id
    return None


def care_within(
    holds: dict[UUID, Hold], regular: dict[UUID, RegularHold], released: dict[UUID, ReleasedHold],
    room_id: UUID, at: datetime, local: tuple[date, int], slack_minutes: int,
) -> tuple[UUID | None, UUID | None] | None:  # fmt: skip
    """The booking, else the regular place, else the booking released since, that has the child
    in this room at `at` (local day and minute `local`) from `slack_minutes` before its start
    until its end, as (booking id, enrolment id); None if none does."""
    slack = timedelta(minutes=slack_minutes)
    for hold in holds.values():
        if hold.covers_arrival(room_id, at, slack):
            return hold.booking_id, None
    day, minute = local
    for place in regular.values():
        if place.room_id in (None, room_id) and place.covers(
            day, minute, minute + slack_minutes + 1
        ):
            return None, place.enrolment_id
    gone = released_covering(released, room_id, at, slack)
    return None if gone is None else (gone, None)
