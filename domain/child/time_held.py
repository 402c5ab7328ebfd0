"""The child's time: bookings and regular places it holds, never overlapping, anywhere; the
bookings released lately; and which of them covers the child in a room at a moment. Mixed into
Child (kept apart to keep files small); the events it emits are declared on Child, under the
topics stored events name (`domain.child.aggregate:Child.…`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.child.care import CareNotCovered
from domain.child.holds import Hold, RegularHold, ReleasedHold, care_within
from domain.errors import NotFound, RuleViolated


class ChildAlreadyBooked(RuleViolated):
    code = "child-already-booked"


class ChildTimeMixin:
    """What the child's time holds, and the rules that keep it from overlapping."""

    if TYPE_CHECKING:  # the child's state and events, provided by Child
        holds: dict[UUID, Hold]
        released: dict[UUID, ReleasedHold]
        regular: dict[UUID, RegularHold]
        BookingHeld: type[Any]
        EnrolmentHeld: type[Any]
        RegularDayFreed: type[Any]
        EnrolmentShortened: type[Any]
        BookingReleased: type[Any]
        ReleasedBookingAttended: type[Any]

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...

    def hold(self, hold: Hold, now: datetime) -> None:
        """Reserve the child's time; refused if it overlaps any other booking, anywhere."""
        self.check_free(hold)
        self.emit(self.BookingHeld, now, hold=hold)

    def check_free(self, hold: Hold) -> None:
        """Refuse, changing nothing, if the time overlaps another booking or a regular place,
        in real instants wherever each is (a booking asks this before the room-day records it,
        so a refusal has nothing to undo)."""
        for other in self.holds.values():
            if other.overlaps(hold):
                raise ChildAlreadyBooked(
                    "this child is already booked for an overlapping time",
                    field="start",
                    booking_id=str(other.booking_id),
                )
        for regular in self.regular.values():
            if regular.meets(hold.starts_at, hold.ends_at):
                raise ChildAlreadyBooked(
                    "this child has a regular place at that time", field="start",
                    enrolment_id=str(regular.enrolment_id),
                )  # fmt: skip

    def is_free(self, hold: Hold) -> bool:
        """Not booked, nor holding a regular place, at any time of `hold`."""
        try:
            self.check_free(hold)
        except ChildAlreadyBooked:
            return False
        return True

    def hold_regular(self, regular: RegularHold, now: datetime) -> None:
        """Reserve a regular place; refused if it overlaps another one or a booking, in real
        instants (the places and bookings may be in institutions in other time zones)."""
        for other in self.regular.values():
            if other.overlaps(regular):
                raise ChildAlreadyBooked(
                    "this child already has a regular place at overlapping times",
                    field="weekdays",
                )
        for held in self.holds.values():
            if regular.meets(held.starts_at, held.ends_at):
                day = held.day or held.starts_at.date()  # a hold recorded without its day
                raise ChildAlreadyBooked(
                    f"this child is booked on {day.isoformat()} at an overlapping time",
                    field="first_day",
                )
        self.emit(self.EnrolmentHeld, now, regular=regular)

    def free_regular_day(self, enrolment_id: UUID, day: date, now: datetime) -> None:
        held = self.regular.get(enrolment_id)
        if held is not None and day not in held.freed:
            self.emit(self.RegularDayFreed, now, enrolment_id=enrolment_id, day=day)

    def shorten_regular(self, enrolment_id: UUID, last_day: date, now: datetime) -> None:
        if enrolment_id in self.regular:
            self.emit(self.EnrolmentShortened, now, enrolment_id=enrolment_id, last_day=last_day)

    def attended_after_release(self, booking_id: UUID, now: datetime) -> None:
        """Hold the time of a released booking again: the child arrived while it stood. Not
        if the child was booked for an overlapping time meanwhile (the arrival is kept all the
        same: the register and the room count it)."""
        gone = self.released.get(booking_id)
        if gone is None:
            return
        if any(other.overlaps(gone.hold) for other in self.holds.values()):
            return
        self.emit(self.ReleasedBookingAttended, now, booking_id=booking_id)

    def release(self, booking_id: UUID, now: datetime) -> None:
        if booking_id not in self.holds:
            raise NotFound("this booking holds no time of the child", field="booking_id")
        self.emit(self.BookingReleased, now, booking_id=booking_id)

    def care_covering(
        self, room_id: UUID, at: datetime, day: date, minute: int, tolerance: int
    ) -> tuple[UUID | None, UUID | None]:
        """The booking or regular place that has the child in this room at `at` (± `tolerance`
        minutes), as (booking id, enrolment id); refused by name if there is none. One whose
        own time holds `at` comes before one the tolerance reaches: a child back at 10:10 under
        its 09:00–10:30 booking is under that one, not the 10:30 one (else the room-day counts
        nobody in its place until 10:30). A booking released after `at` still covers it: a
        replayed drop-off made while it stood."""
        for slack in (0, tolerance):
            found = care_within(self.holds, self.regular, self.released, room_id, at,
                                (day, minute), slack)  # fmt: skip
            if found is not None:
                return found
        raise CareNotCovered(
            "the child has no booking or regular place in this room at this time",
            field="child_id",
        )

    def in_care_at(self, rooms: Collection[UUID], at: datetime, local: tuple[date, int]) -> bool:
        """Whether a booking or regular place in one of `rooms` (an institution's) has the
        child in care at `at` (local day and minute `local`): a child still here after closing
        under it is not uncollected (domain/attendance/uncollected.py)."""
        return any(care_within(self.holds, self.regular, {}, r, at, local, 0) for r in rooms)

    def care_ended(
        self, rooms: Collection[UUID], after: datetime, by: datetime, days: Sequence[date],
        timezone: str,
    ) -> datetime | None:  # fmt: skip
        """When the child's last care in `rooms` ended, if one ended after `after` and by `by`:
        a booking's end, or a regular place's end on one of the local `days`."""
        here = {None, *rooms}  # a hold or place recorded without its room may be any of them
        ends = [
            h.ends_at for h in self.holds.values() if h.room_id in here and after < h.ends_at <= by
        ]
        zone = ZoneInfo(timezone)
        for place in self.regular.values():
            if place.room_id not in here:
                continue
            for day in days:
                end = datetime.combine(day, time(), zone) + timedelta(minutes=place.end)
                if place.covers(day, place.start, place.end) and after < end <= by:
                    ends.append(end)
        return max(ends, default=None)
