"""A child back in a room the same day under a booking already completed there: collected and
checked in again, or moved to another room and back (转班 and back, ADR 0024). The completed
booking holds the child's place again from its return, checked in, until the child leaves
again; without it the room-day would not count a child sitting in the room, and another family
could book its place (the door judges the room by who is present, a booking by the room-day).

The place may have been booked by another family between the pick-up and the return: the room
then holds more than its places, as it really does, and takes no new booking at those minutes
until some leave (as a freed no-show whose child had come, domain/booking/room_day.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.aggregate import TuoyuAggregate
from domain.errors import RuleViolated


class ReturnsMixin:
    """The return of a completed booking's child, mixed into RoomDay (kept apart to keep files
    small)."""

    completed: dict[UUID, Any]  # booking id → the booking, completed today
    completed_minutes: dict[UUID, dict[Any, int]]

    class CompletedBookingResumed(TuoyuAggregate.Event):
        """The child of a booking completed today came back to the room while the booking
        still ran (`back_at`): the booking is active and checked in again, and its minutes
        count as booked, no longer as over."""

        booking_id: UUID
        back_at: datetime
        by: UUID

        def apply(self, room_day: Any) -> None:
            booking = room_day.completed.pop(self.booking_id)
            done = room_day.completed_minutes.get(booking.child_id, {})
            left = done.pop(booking.care_type, 0) - (booking.end - booking.start)
            if left > 0:
                done[booking.care_type] = left
            if not done:
                room_day.completed_minutes.pop(booking.child_id, None)
            room_day.add_booking(booking)
            room_day.ended.pop(self.booking_id, None)
            room_day.checked_in[self.booking_id] = self.back_at

    def resume_completed(
        self, booking_id: UUID, back_at: datetime, by: UUID, now: datetime
    ) -> None:
        """The child of a booking completed here today is back at `back_at`, within the
        booking's time: the booking holds the child's place again."""
        booking = self.completed.get(booking_id)
        if booking is None:
            raise RuleViolated("no booking completed here today", field="booking_id")
        if back_at >= booking.ends_at:
            raise RuleViolated("the booking had ended when the child came back", field="at")
        self.emit(self.CompletedBookingResumed, now, booking_id=booking_id, back_at=back_at, by=by)

    if TYPE_CHECKING:  # provided by TuoyuAggregate; a real def here would shadow it

        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...
