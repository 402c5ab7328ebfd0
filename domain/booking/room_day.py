"""RoomDay aggregate: one room on one local day, holding its bookings; never overbooked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.booking.active import active_bookings, kept_active_bookings
from domain.booking.capacity import Presence, first_breach
from domain.booking.overnight import OvernightMixin
from domain.booking.returns import ReturnsMixin
from domain.booking.terms import CareOffer, CareType, RefundPolicy, Shift, may_cancel, refund_fen
from domain.booking.visit_rules import NotBookable, check_times, offer_for
from domain.booking.waitlist import WaitlistMixin
from domain.class_types import ClassType
from domain.errors import NotFound, RuleViolated
from domain.institution.values import OpeningInterval, hhmm

ROOM_DAY_NAMESPACE = UUID("0b6c8a52-41d9-4f2a-9d1e-7c3b5a2e9f10")


@lru_cache(maxsize=65_536)  # a name-based id (SHA-1) costs ~20 µs; asked several times per command
def room_day_id(room_id: UUID, day: date) -> UUID:
    return uuid5(ROOM_DAY_NAMESPACE, f"{room_id}/{day.isoformat()}")


class Booking(msgspec.Struct, frozen=True):
    booking_id: UUID
    child_id: UUID
    guardian_id: UUID
    care_type: CareType
    start: int  # local minutes after midnight
    end: int
    starts_at: datetime  # the same instants in UTC
    ends_at: datetime
    price_fen: int
    refund_policy: RefundPolicy
    children_per_carer: int  # what this child needs in this room on this day


class DayTerms(msgspec.Struct, frozen=True):
    """The room's rules for this day, read from the institution when deciding."""

    class_type: ClassType
    capacity: int
    children_per_carer: int
    opening_hours: tuple[OpeningInterval, ...]  # this weekday's
    offers: tuple[CareOffer, ...]  # this weekday's
    shifts: tuple[Shift, ...]  # this weekday's
    closed: str | None = None  # why the room is closed that day, if it is


class RoomFull(RuleViolated):
    code = "room-full"


class RatioWouldBreak(RuleViolated):
    code = "ratio-exceeded"


class AlreadyArrived(RuleViolated):
    code = "already-arrived"


class RoomDay(ReturnsMixin, OvernightMixin, WaitlistMixin, TuoyuAggregate):
    room_id: UUID
    institution_id: UUID
    day: date
    bookings: dict[UUID, Booking]  # active ones
    checked_in: dict[UUID, datetime]  # active ones whose child has arrived
    ended: dict[UUID, str]  # booking id → how it ended
    released: dict[UUID, Booking]  # no-shows freed today: an arrival replayed late may come
    child_of: dict[UUID, UUID]  # every booking ever made here → its child
    # child → care type → booked minutes of its visits completed today
    completed_minutes: dict[UUID, dict[CareType, int]]
    completed: dict[UUID, Booking]  # completed today: its child may come back while it runs

    class Opened(TuoyuAggregate.Created):
        room_id: UUID
        institution_id: UUID
        day: date

    class CareBooked(TuoyuAggregate.Event):
        booking: Booking

        def apply(self, room_day: RoomDay) -> None:
            room_day.add_booking(self.booking)
            room_day.child_of[self.booking.booking_id] = self.booking.child_id

    class BookingCancelled(TuoyuAggregate.Event):
        """Version 2 added `by`, the account that cancelled (None: the system, or unknown
        for a cancellation recorded before it was kept)."""

        class_version = 2
        booking_id: UUID
        by_institution: bool
        refund_fen: int
        reason: str
        by: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["by"] = None

        def apply(self, room_day: RoomDay) -> None:
            room_day.drop_booking(self.booking_id)
            room_day.ended[self.booking_id] = "cancelled"

    class BookingCheckedIn(TuoyuAggregate.Event):
        booking_id: UUID
        by: UUID

        def apply(self, room_day: RoomDay) -> None:
            room_day.checked_in[self.booking_id] = self.timestamp

    class BookingCompleted(TuoyuAggregate.Event):
        """The child was collected (or moved to another room): the place is free again, unless
        the child comes back while the booking runs (CompletedBookingResumed)."""

        booking_id: UUID
        by: UUID

        def apply(self, room_day: RoomDay) -> None:
            if (booking := room_day.bookings.get(self.booking_id)) is not None:
                done = room_day.completed_minutes.setdefault(booking.child_id, {})
                care = booking.care_type
                done[care] = done.get(care, 0) + booking.end - booking.start
                room_day.completed[self.booking_id] = booking
            room_day.drop_booking(self.booking_id)
            room_day.ended[self.booking_id] = "completed"

    class NoShowReleased(TuoyuAggregate.Event):
        booking_id: UUID
        after_minutes: int

        def apply(self, room_day: RoomDay) -> None:
            room_day.free_released(self.booking_id, "no_show")

    class TurnedAwayReleased(TuoyuAggregate.Event):
        """The child came but was turned away at the door (the morning check); when no arrival
        followed by the no-show time, its place is freed. Not a no-show: the family came, and
        was told at the door."""

        booking_id: UUID
        after_minutes: int

        def apply(self, room_day: RoomDay) -> None:
            room_day.free_released(self.booking_id, "turned_away")

    class ReleasedBookingAttended(TuoyuAggregate.Event):
        """A drop-off made while the booking stood, replayed by an offline tablet after the
        no-show job freed it: the child was there, so the booking holds its place again,
        checked in at the real arrival time."""

        booking_id: UUID
        arrived_at: datetime
        by: UUID

        def apply(self, room_day: RoomDay) -> None:
            room_day.add_booking(room_day.released.pop(self.booking_id))
            room_day.ended.pop(self.booking_id, None)
            room_day.checked_in[self.booking_id] = self.arrived_at

    def __init__(self, room_id: UUID, institution_id: UUID, day: date) -> None:
        self.room_id = room_id
        self.institution_id = institution_id
        self.day = day
        self.bookings = {}
        self.checked_in = {}
        self.waitlist = {}
        self.ended = {}
        self.released = {}
        self.child_of = {}
        self.completed_minutes = {}
        self.completed = {}

    @classmethod
    def open(cls, room_id: UUID, institution_id: UUID, day: date, now: datetime) -> RoomDay:
        return cls._create(
            cls.Opened, id=room_day_id(room_id, day), timestamp=now, room_id=room_id,
            institution_id=institution_id, day=day,
        )  # fmt: skip

    def add_booking(self, booking: Booking) -> None:
        self.bookings[booking.booking_id] = booking
        if (active := kept_active_bookings(self)) is not None:
            active.add(booking)

    def free_released(self, booking_id: UUID, why: str) -> None:
        """A booking whose child did not come in by the no-show time gives up its place; it is
        kept aside, as `why` ended it, in case an offline tablet's drop-off brings it back."""
        if (booking := self.bookings.get(booking_id)) is not None:
            self.released[booking_id] = booking
        self.drop_booking(booking_id)
        self.ended[booking_id] = why

    def drop_booking(self, booking_id: UUID) -> None:
        booking = self.bookings.pop(booking_id, None)
        active = kept_active_bookings(self)
        if booking is not None and active is not None:
            active.remove(booking)

    def check_visit(
        self, booking: Booking, terms: DayTerms, now: datetime, *, waited: bool = False
    ) -> CareOffer:
        """The visit's own rules, whatever the room holds (open that day, an offer covering it,
        opening hours, length, notice): the same for a booking and for a place waited for. A
        waitlist offer taken (`waited`) is not held to the notice: the family gave it when it
        joined, and the place came free later."""
        if terms.closed is not None:
            raise NotBookable(f"closed on {self.day.isoformat()}: {terms.closed}", field="date")
        offer = offer_for(booking, terms)
        check_times(booking, terms, offer, now, notice=not waited)
        return offer

    def book(
        self,
        booking: Booking,
        terms: DayTerms,
        now: datetime,
        enrolled: Sequence[Presence] = (),
        *,
        waited: bool = False,
    ) -> None:
        """Record the booking if every rule holds; `enrolled` are the day's regular places."""
        offer = self.check_visit(booking, terms, now, waited=waited)
        # each care type's offer limits the child's minutes of that care a day, here
        care = booking.care_type
        booked = active_bookings(self).minutes.get((booking.child_id.int, care), 0)
        over = self.completed_minutes.get(booking.child_id, {}).get(care, 0)  # over still counts
        if booked + over + booking.end - booking.start > offer.max_minutes_per_day:
            raise NotBookable(
                f"at most {offer.max_minutes_per_day // 60} h of {booking.care_type} a day",
                field="end",
            )
        present = self.presences(enrolled=enrolled, within=(booking.start, booking.end), now=now)
        breach = first_breach(
            Presence(booking.start, booking.end, booking.children_per_carer),
            present,
            terms.shifts,
            terms.capacity,
            strictest_ratio=terms.class_type is ClassType.mixed,
        )
        if breach is not None:
            minute, kind, children, limit = breach
            at = hhmm(minute)
            if kind == "size":
                raise RoomFull(
                    f"the room is full at {at}: {limit} places", field="start", minute=at,
                    limit=limit,
                )  # fmt: skip
            raise RatioWouldBreak(
                f"at {at} the rostered carers may look after {limit} children; "
                f"this booking would make {children}",
                field="start", minute=at, limit=limit,
            )  # fmt: skip
        self.emit(self.CareBooked, now, booking=booking)

    def cancel(
        self, booking_id: UUID, by_institution: bool, reason: str, now: datetime, *, by: UUID | None
    ) -> int:
        """Cancel an active booking (`by` the account that asked); return the refund in fen
        under its published policy. Once the child has arrived, only the institution can (a
        family's booking then ends at pick-up)."""
        booking = self.active(booking_id)
        if not may_cancel(booking_id in self.checked_in, by_institution):
            raise AlreadyArrived(
                "the child has arrived: the booking ends when the child is collected",
                field="booking_id",
            )
        refund = refund_fen(
            booking.refund_policy, booking.price_fen, booking.starts_at, now, by_institution
        )
        self.emit(
            self.BookingCancelled, now, booking_id=booking_id, by_institution=by_institution,
            refund_fen=refund, reason=reason, by=by,
        )  # fmt: skip
        return refund

    def active(self, booking_id: UUID) -> Booking:
        booking = self.bookings.get(booking_id)
        if booking is None:
            state = self.ended.get(booking_id)
            if state is not None:
                raise RuleViolated(f"the booking is already {state}", field="booking_id")
            raise NotFound("no such booking in this room on this day", field="booking_id")
        return booking

    def check_in(self, booking_id: UUID, by: UUID, now: datetime) -> None:
        self.active(booking_id)
        if booking_id in self.checked_in:
            raise RuleViolated("the child is already checked in", field="booking_id")
        self.emit(self.BookingCheckedIn, now, booking_id=booking_id, by=by)

    def complete(self, booking_id: UUID, by: UUID, now: datetime) -> None:
        self.active(booking_id)
        if booking_id not in self.checked_in:
            raise RuleViolated("the child was never checked in", field="booking_id")
        self.emit(self.BookingCompleted, now, booking_id=booking_id, by=by)

    def end_stay(
        self, child_id: UUID, since: datetime, left: datetime, by: UUID, now: datetime
    ) -> int:
        """The child, here from `since`, left at `left`: its bookings here are over, the one it
        was checked in for and any that began while it stayed (a second booking of the day
        the child was already here for is attended, not a no-show). Returns how many ended."""
        ended = 0
        for booking_id, booking in list(self.bookings.items()):
            if booking.child_id != child_id:
                continue
            if booking_id not in self.checked_in:
                if not since <= booking.starts_at <= left:
                    continue
                self.emit(self.BookingCheckedIn, now, booking_id=booking_id, by=by)
            self.emit(self.BookingCompleted, now, booking_id=booking_id, by=by)
            ended += 1
        return ended

    def attended_after_release(
        self, booking_id: UUID, arrived_at: datetime, by: UUID, now: datetime
    ) -> None:
        """The child of a booking the no-show job freed arrived before it was freed (a
        replayed drop-off): the booking is active again, checked in at `arrived_at`. Its
        place may have been booked meanwhile: then the room holds more than its places, as
        it really did, and takes no new booking at those minutes until some leave."""
        if booking_id not in self.released:
            raise RuleViolated("no booking freed as a no-show today", field="booking_id")
        self.emit(
            self.ReleasedBookingAttended, now, booking_id=booking_id, arrived_at=arrived_at, by=by
        )

    def release_no_show(
        self, booking_id: UUID, after_minutes: int, now: datetime, *, turned_away: bool = False
    ) -> Booking:
        """Free the place of a child not checked in `after_minutes` after the start: a no-show,
        or (`turned_away`) a child refused at the door who did not come back in by then."""
        booking = self.active(booking_id)
        if booking_id in self.checked_in:
            raise RuleViolated("the child arrived: not a no-show", field="booking_id")
        if now < booking.starts_at + timedelta(minutes=after_minutes):
            raise RuleViolated("too early to call it a no-show", field="booking_id")
        released = self.TurnedAwayReleased if turned_away else self.NoShowReleased
        self.emit(released, now, booking_id=booking_id, after_minutes=after_minutes)
        return booking
