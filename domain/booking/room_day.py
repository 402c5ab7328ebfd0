"""RoomDay aggregate: one room on one local day, holding its bookings; never overbooked."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.booking.capacity import Presence, first_breach
from domain.booking.terms import CareOffer, CareType, RefundPolicy, Shift, refund_fen
from domain.class_types import ClassType
from domain.errors import InvalidValue, NotFound, RuleViolated
from domain.institution.values import OpeningInterval, hhmm

ROOM_DAY_NAMESPACE = UUID("0b6c8a52-41d9-4f2a-9d1e-7c3b5a2e9f10")


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


class NotBookable(RuleViolated):
    code = "not-bookable"


class RoomDay(TuoyuAggregate):
    room_id: UUID
    institution_id: UUID
    day: date
    bookings: dict[UUID, Booking]  # active ones
    ended: dict[UUID, str]  # booking id → how it ended
    child_of: dict[UUID, UUID]  # every booking ever made here → its child

    class Opened(TuoyuAggregate.Created):
        room_id: UUID
        institution_id: UUID
        day: date

    class CareBooked(TuoyuAggregate.Event):
        booking: Booking

        def apply(self, room_day: RoomDay) -> None:
            room_day.bookings[self.booking.booking_id] = self.booking
            room_day.child_of[self.booking.booking_id] = self.booking.child_id

    class BookingCancelled(TuoyuAggregate.Event):
        booking_id: UUID
        by_institution: bool
        refund_fen: int
        reason: str

        def apply(self, room_day: RoomDay) -> None:
            room_day.bookings.pop(self.booking_id, None)
            room_day.ended[self.booking_id] = "cancelled"

    def __init__(self, room_id: UUID, institution_id: UUID, day: date) -> None:
        self.room_id = room_id
        self.institution_id = institution_id
        self.day = day
        self.bookings = {}
        self.ended = {}
        self.child_of = {}

    @classmethod
    def open(cls, room_id: UUID, institution_id: UUID, day: date, now: datetime) -> RoomDay:
        return cls._create(
            cls.Opened, id=room_day_id(room_id, day), timestamp=now, room_id=room_id,
            institution_id=institution_id, day=day,
        )  # fmt: skip

    def book(self, booking: Booking, terms: DayTerms, now: datetime) -> None:
        if terms.closed is not None:
            raise NotBookable(f"closed on {self.day.isoformat()}: {terms.closed}", field="date")
        offer = offer_for(booking, terms)
        _check_times(booking, terms, offer, now)
        same_child = sum(
            b.end - b.start for b in self.bookings.values() if b.child_id == booking.child_id
        )
        if same_child + booking.end - booking.start > offer.max_minutes_per_day:
            raise NotBookable(
                f"at most {offer.max_minutes_per_day // 60} h of {booking.care_type} a day",
                field="end",
            )
        present = [Presence(b.start, b.end, b.children_per_carer) for b in self.bookings.values()]
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

    def cancel(self, booking_id: UUID, by_institution: bool, reason: str, now: datetime) -> int:
        """Cancel an active booking; return the refund in fen under its published policy."""
        booking = self.bookings.get(booking_id)
        if booking is None:
            state = self.ended.get(booking_id)
            if state is not None:
                raise RuleViolated(f"the booking is already {state}", field="booking_id")
            raise NotFound("no such booking in this room on this day", field="booking_id")
        refund = refund_fen(
            booking.refund_policy, booking.price_fen, booking.starts_at, now, by_institution
        )
        self.emit(
            self.BookingCancelled, now, booking_id=booking_id, by_institution=by_institution,
            refund_fen=refund, reason=reason,
        )  # fmt: skip
        return refund


def offer_for(booking: Booking, terms: DayTerms) -> CareOffer:
    """The offer of the booking's care type whose window covers it; else refused."""
    offers = [o for o in terms.offers if o.care_type is booking.care_type]
    if not offers:
        raise NotBookable(
            f"this room offers no {booking.care_type} care on that day", field="care_type"
        )
    for offer in offers:
        if offer.opens <= booking.start and booking.end <= offer.closes:
            return offer
    window = ", ".join(f"{hhmm(o.opens)}–{hhmm(o.closes)}" for o in offers)
    raise NotBookable(f"{booking.care_type} is offered {window} that day", field="start")


def _check_times(booking: Booking, terms: DayTerms, offer: CareOffer, now: datetime) -> None:
    if booking.end <= booking.start:
        raise InvalidValue("the booking must end after it starts", field="end")
    if not any(o.opens <= booking.start and booking.end <= o.closes for o in terms.opening_hours):
        hours = ", ".join(f"{hhmm(o.opens)}–{hhmm(o.closes)}" for o in terms.opening_hours)
        raise NotBookable(f"outside opening hours ({hours or 'closed'})", field="start")
    minutes = booking.end - booking.start
    if minutes > offer.max_minutes_per_visit:
        raise NotBookable(
            f"at most {offer.max_minutes_per_visit} minutes per visit for {booking.care_type}",
            field="end",
        )
    notice = (booking.starts_at - now).total_seconds() / 60
    if notice < offer.min_notice_minutes:
        raise NotBookable(
            f"book at least {offer.min_notice_minutes} minutes ahead", field="start",
            notice_minutes=offer.min_notice_minutes,
        )  # fmt: skip
