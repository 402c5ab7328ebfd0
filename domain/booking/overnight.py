"""A booking that begins while its child is already in the room, staying on from the day before:
in a room open round the clock, a child checked in on the evening of day D and not collected
is there when its booking of D+1 begins at midnight. Nobody checks it in again (its stay stays
on D's attendance day, ADR 0007), so the booking counts as arrived at its start: its place stays
the child's, and the no-show job does not free the place of a child who is there."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.aggregate import TuoyuAggregate
from domain.errors import RuleViolated


class OvernightMixin:
    """The arrival of a child who stayed on from the day before, mixed into RoomDay (kept apart
    to keep files small)."""

    checked_in: dict[UUID, datetime]

    class BookingBeganWithChildHere(TuoyuAggregate.Event):
        """The booking began while its child, checked in the day before and not collected, was
        in the room: it counts as arrived at `arrived_at` (the booking's start)."""

        booking_id: UUID
        arrived_at: datetime

        def apply(self, room_day: Any) -> None:
            room_day.checked_in[self.booking_id] = self.arrived_at

    def began_with_child_here(self, booking_id: UUID, here_since: datetime, now: datetime) -> None:
        """The child of this booking is in the room since `here_since` (the day before): once
        the booking has begun, it counts as arrived at its start (or at `here_since`, had the
        child come in after it began)."""
        booking = self.active(booking_id)
        if booking_id in self.checked_in:
            raise RuleViolated("the child is already checked in", field="booking_id")
        if now < booking.starts_at:
            raise RuleViolated("the booking has not begun yet", field="booking_id")
        arrived_at = max(booking.starts_at, here_since)
        self.emit(self.BookingBeganWithChildHere, now, booking_id=booking_id, arrived_at=arrived_at)

    if TYPE_CHECKING:  # provided by RoomDay and TuoyuAggregate; a real def here would shadow them

        def active(self, booking_id: UUID) -> Any: ...
        def emit(self, event_class: type[Any], now: datetime, **fields: Any) -> None: ...
