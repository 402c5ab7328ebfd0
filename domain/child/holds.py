"""The times a child is held: bookings, regular places, and bookings released lately.

A released booking is remembered for a while with the time it was released: a room tablet
that was offline replays a drop-off made while the booking still stood (before the no-show
job freed it, or a closure or a cancellation ended it), and that arrival is a fact the
register must keep.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from domain.clocks import CLOCK_SKEW, FAMILIES_TIMEZONE, local_instant

ONE_DAY = timedelta(days=1)

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
    """A regular place (enrolment): these weekdays, these local minutes, between two dates,
    on the clock of the institution's time zone. Compared with the child's other time in real
    instants: a place 08:30–17:00 in Shanghai holds the child 06:30–15:00 in Urumqi."""

    enrolment_id: UUID
    weekdays: tuple[int, ...]
    first_day: date
    last_day: date
    start: int
    end: int
    room_id: UUID | None = None
    freed: tuple[date, ...] = ()  # days the institution closed the room: the child is free
    # Places held before the zone was kept were all in the families' zone (ADR 0027).
    timezone: str = FAMILIES_TIMEZONE

    def covers(self, day: date, start: int, end: int) -> bool:
        """Held at some minute from `start` to `end` of the local `day` on the institution's
        own clock (a moment in one of its rooms; elsewhere, ask `meets`)."""
        return (
            self.first_day <= day <= self.last_day
            and day.isoweekday() in self.weekdays
            and self.start < end
            and start < self.end
            and day not in self.freed
        )

    def times_on(self, day: date, *, freed_too: bool = False) -> tuple[datetime, datetime] | None:
        """The real instants the place holds on its institution's local `day` (`freed_too`: on
        a day the room closed as well), or None if it holds none that day."""
        if not (
            self.first_day <= day <= self.last_day
            and day.isoweekday() in self.weekdays
            and (freed_too or day not in self.freed)
        ):
            return None
        return (local_instant(day, self.start, self.timezone),
                local_instant(day, self.end, self.timezone))  # fmt: skip

    def meets(self, starts_at: datetime, ends_at: datetime, *, freed_too: bool = False) -> bool:
        """Held at some instant from `starts_at` to `ends_at`: on each local day of its zone
        those instants touch (a Wednesday elsewhere may be a Thursday here near midnight),
        and the day before (a place's day never reaches past its midnight but by a clock
        change)."""
        zone = ZoneInfo(self.timezone)
        first = max(starts_at.astimezone(zone).date() - ONE_DAY, self.first_day)
        last = min(ends_at.astimezone(zone).date(), self.last_day)
        day = first
        while day <= last:
            times = self.times_on(day, freed_too=freed_too)
            if times is not None and times[0] < ends_at and starts_at < times[1]:
                return True
            day += ONE_DAY
        return False

    def overlaps(self, other: RegularHold) -> bool:
        """Both places hold the child at some instant (days either room closed count: two
        terms are a pattern). In one zone, by weekdays and minutes; across zones, day by day."""
        if not (self.first_day <= other.last_day + ONE_DAY
                and other.first_day <= self.last_day + ONE_DAY):  # fmt: skip
            return False
        if self.timezone == other.timezone:
            return (
                self.first_day <= other.last_day
                and other.first_day <= self.last_day
                and bool(set(self.weekdays) & set(other.weekdays))
                and self.start < other.end
                and other.start < self.end
            )
        day = max(self.first_day, other.first_day - ONE_DAY)
        while day <= min(self.last_day, other.last_day + ONE_DAY):
            times = self.times_on(day, freed_too=True)
            if times is not None and other.meets(*times, freed_too=True):
                return True
            day += ONE_DAY
        return False


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
