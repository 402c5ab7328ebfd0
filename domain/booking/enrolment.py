"""RoomEnrolments aggregate: the regular places of one room (a child on set weekdays for a term).

Enrolled children occupy the room like bookings do, on every day of their term. Enrolling is
checked day by day against the room's terms, the other enrolments and that day's bookings;
a booking is checked against the enrolments of its day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.booking.capacity import Presence, first_breach
from domain.booking.room_day import DayTerms, RatioWouldBreak, RoomFull
from domain.booking.terms import CareType, RefundPolicy, refund_fen
from domain.booking.visit_rules import NotBookable, covering_offer
from domain.class_types import ClassType
from domain.errors import InvalidValue, NotFound, RuleViolated
from domain.institution.values import hhmm

ENROLMENTS_NAMESPACE = UUID("3d8f1c7e-5b2a-4e6f-9a10-6c4d2b8e7f31")
MAX_TERM_DAYS = 366


@lru_cache(maxsize=65_536)  # a name-based id (SHA-1) costs ~20 µs; asked several times per command
def room_enrolments_id(room_id: UUID) -> UUID:
    return uuid5(ENROLMENTS_NAMESPACE, str(room_id))


class Enrolment(msgspec.Struct, frozen=True):
    enrolment_id: UUID
    child_id: UUID
    guardian_id: UUID
    care_type: CareType
    weekdays: tuple[int, ...]
    first_day: date
    last_day: date
    start: int
    end: int
    children_per_carer: int
    price_fen: int  # the term's, over the days it was open when enrolled
    day_price_fen: int = 0  # one day's, every weekday alike (enrolments before week_prices_fen)
    uncharged: tuple[date, ...] = ()  # days already closed when enrolled: not in the price
    week_prices_fen: tuple[int, ...] = ()  # a day's price, Monday to Sunday (0: not taken)
    refund_policy: RefundPolicy | None = None  # published when enrolled (None: enrolled before)

    def on(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day and day.isoweekday() in self.weekdays

    def price_on(self, day: date) -> int:
        """What one day of the term costs (what a closure of that day pays back): by the offer
        of its weekday; an older enrolment's one day price, or its share of the term."""
        if self.week_prices_fen:
            return self.week_prices_fen[day.isoweekday() - 1]
        if self.day_price_fen:
            return self.day_price_fen
        return self.price_fen // max(len(self.days()), 1)

    def days(self) -> list[date]:
        return term_days(self.first_day, self.last_day, self.weekdays)


def term_days(first_day: date, last_day: date, weekdays: Sequence[int]) -> list[date]:
    """The days a term holds: its weekdays from its first to its last calendar date."""
    count = (last_day - first_day).days + 1
    every = (first_day + timedelta(days=i) for i in range(count))
    return [d for d in every if d.isoweekday() in weekdays]


class ClosedDayRefund(msgspec.Struct, frozen=True):
    """One regular place's day the institution closed: the family gets that day back."""

    enrolment_id: UUID
    child_id: UUID
    guardian_id: UUID
    refund_fen: int


class Ending(msgspec.Struct, frozen=True):
    """What ending a term on `last_day` gives back: the paid days after it, and their refund."""

    enrolment: Enrolment
    last_day: date
    days_given_up: tuple[date, ...]
    refund_fen: int
    by_institution: bool


class RoomEnrolments(TuoyuAggregate):
    room_id: UUID
    institution_id: UUID
    enrolments: dict[UUID, Enrolment]
    closed_days: dict[str, str]  # ISO day → why the institution closed the room that day

    class Opened(TuoyuAggregate.Created):
        room_id: UUID
        institution_id: UUID

    class ChildEnrolled(TuoyuAggregate.Event):
        enrolment: Enrolment

        def apply(self, room: RoomEnrolments) -> None:
            room.enrolments[self.enrolment.enrolment_id] = self.enrolment

    class EnrolmentEnded(TuoyuAggregate.Event):
        """Version 2 added the refund for the paid days given up, how many, whose place it
        was (for the family's notice), who ended it and whether the institution did. A term
        ended before they were kept reads as no refund and nobody to tell, as it was then."""

        class_version = 2
        enrolment_id: UUID
        last_day: date
        refund_fen: int
        days_given_up: int
        child_id: UUID | None
        guardian_id: UUID | None
        by: UUID | None
        by_institution: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(refund_fen=0, days_given_up=0, child_id=None, guardian_id=None,
                         by=None, by_institution=False)  # fmt: skip

        def apply(self, room: RoomEnrolments) -> None:
            enrolment = room.enrolments[self.enrolment_id]
            room.enrolments[self.enrolment_id] = msgspec.structs.replace(
                enrolment, last_day=self.last_day
            )

    class DayClosed(TuoyuAggregate.Event):
        day: date
        reason: str
        refunds: tuple[ClosedDayRefund, ...]

        def apply(self, room: RoomEnrolments) -> None:
            room.closed_days[self.day.isoformat()] = self.reason

    def __init__(self, room_id: UUID, institution_id: UUID) -> None:
        self.room_id = room_id
        self.institution_id = institution_id
        self.enrolments = {}
        self.closed_days = {}

    @classmethod
    def open(cls, room_id: UUID, institution_id: UUID, now: datetime) -> RoomEnrolments:
        return cls._create(
            cls.Opened, id=room_enrolments_id(room_id), timestamp=now, room_id=room_id,
            institution_id=institution_id,
        )  # fmt: skip

    def presences_on(self, day: date) -> list[Presence]:
        if day.isoformat() in self.closed_days:
            return []
        return [
            Presence(e.start, e.end, e.children_per_carer)
            for e in self.enrolments.values()
            if e.on(day)
        ]

    def enrol(
        self,
        enrolment: Enrolment,
        terms_on: Callable[[date], DayTerms],
        booked_on: Mapping[date, Sequence[Presence]],
        now: datetime,
    ) -> None:
        """Take a regular place, if it fits at every minute of every day of the term."""
        days = _check_term(enrolment)
        new = Presence(enrolment.start, enrolment.end, enrolment.children_per_carer)
        for day in days:
            terms = terms_on(day)
            if terms.closed is not None:
                continue  # a closed day takes nobody; the rest of the term still counts
            if not any(o.opens <= enrolment.start and enrolment.end <= o.closes
                       for o in terms.opening_hours):  # fmt: skip
                raise NotBookable(
                    f"not open {hhmm(enrolment.start)}–{hhmm(enrolment.end)} on"
                    f" {day.isoformat()} (weekday {day.isoweekday()})",
                    field="weekdays",
                )
            offer = covering_offer(terms.offers, enrolment.care_type, enrolment.start,
                                   enrolment.end)  # fmt: skip
            if offer is None:
                raise NotBookable(
                    f"no {enrolment.care_type} offered at those hours on {day.isoformat()}",
                    field="care_type",
                )
            longest = min(offer.max_minutes_per_visit, offer.max_minutes_per_day)
            if enrolment.end - enrolment.start > longest:
                raise NotBookable(
                    f"at most {longest} minutes a day of {enrolment.care_type} on"
                    f" {day.isoformat()}", field="end",
                )  # fmt: skip
            present = [*self.presences_on(day), *booked_on.get(day, ())]
            mixed = terms.class_type is ClassType.mixed
            breach = first_breach(new, present, terms.shifts, terms.capacity, mixed)
            if breach is not None:
                minute, kind, children, limit = breach
                at = f"{day.isoformat()} {hhmm(minute)}"
                error = RoomFull if kind == "size" else RatioWouldBreak
                raise error(
                    f"no regular place: at {at} the limit is {limit} children, this would make"
                    f" {children}",
                    field="first_day", day=day.isoformat(), minute=hhmm(minute), limit=limit,
                )  # fmt: skip
        self.emit(self.ChildEnrolled, now, enrolment=enrolment)

    def close_day(self, day: date, reason: str, now: datetime) -> tuple[ClosedDayRefund, ...]:
        """The institution closed the room on `day`: every regular place that day gets the
        day's price back (a room closed, then its whole institution, refunds once)."""
        if day.isoformat() in self.closed_days:
            return ()
        refunds = tuple(
            ClosedDayRefund(e.enrolment_id, e.child_id, e.guardian_id, e.price_on(day))
            for e in self.enrolments.values()
            if e.on(day) and day not in e.uncharged  # a day never paid is not paid back
        )
        if refunds:
            self.emit(self.DayClosed, now, day=day, reason=reason, refunds=refunds)
        return refunds

    def ending(
        self,
        enrolment_id: UUID,
        last_day: date,
        *,
        today: date,
        starts_at: Callable[[date], datetime],
        fallback_policy: RefundPolicy,
        by_institution: bool,
        now: datetime,
    ) -> Ending:
        """What ending the term on `last_day` would give back (ending it, or a preview).

        The last day is today at the earliest: days gone were held (and attended) and stay in
        the term's history; a family leaving today keeps today. Each paid day after it is
        refunded as a booking of that day would be: in full when the institution ends the
        term, else under the refund policy the term was made under (ADR 0014), judged at
        each day's start. Days closed (refunded by the closure) or never paid give nothing."""
        enrolment = self.enrolments.get(enrolment_id)
        if enrolment is None:
            raise NotFound("no such enrolment in this room", field="enrolment_id")
        if last_day < today:
            raise InvalidValue(
                f"a term ends today ({today.isoformat()}) at the earliest: days gone cannot be"
                " given back", field="last_day",
            )  # fmt: skip
        if not enrolment.first_day - timedelta(days=1) <= last_day < enrolment.last_day:
            raise InvalidValue(
                "the new last day must fall within the term, before its current end",
                field="last_day",
            )
        given_up = tuple(
            d for d in enrolment.days()
            if d > last_day and d not in enrolment.uncharged
            and d.isoformat() not in self.closed_days
        )  # fmt: skip
        policy = enrolment.refund_policy or fallback_policy
        refund = sum(
            refund_fen(policy, enrolment.price_on(d), starts_at(d), now, by_institution)
            for d in given_up
        )
        return Ending(enrolment, last_day, given_up, refund, by_institution)

    def end(self, ending: Ending, by: UUID, now: datetime) -> None:
        """End the term as `ending` (just decided on this room's state) says."""
        e = ending.enrolment
        self.emit(
            self.EnrolmentEnded, now, enrolment_id=e.enrolment_id, last_day=ending.last_day,
            refund_fen=ending.refund_fen, days_given_up=len(ending.days_given_up),
            child_id=e.child_id, guardian_id=e.guardian_id, by=by,
            by_institution=ending.by_institution,
        )  # fmt: skip


def _check_term(enrolment: Enrolment) -> list[date]:
    if not enrolment.weekdays or any(not 1 <= d <= 7 for d in enrolment.weekdays):
        raise InvalidValue("weekdays must be 1 (Monday) to 7 (Sunday)", field="weekdays")
    if enrolment.last_day < enrolment.first_day:
        raise InvalidValue("the term ends before it starts", field="last_day")
    if (enrolment.last_day - enrolment.first_day).days >= MAX_TERM_DAYS:
        raise InvalidValue("a term is at most a year", field="last_day")
    if enrolment.end <= enrolment.start:
        raise InvalidValue("the day's end must come after its start", field="end")
    days = enrolment.days()
    if not days:
        raise RuleViolated("none of those weekdays falls within the term", field="weekdays")
    return days
