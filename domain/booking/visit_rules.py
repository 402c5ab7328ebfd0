"""Rules of one visit: the offer that covers it, opening hours, visit length, notice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from domain.booking.terms import CareOffer
from domain.errors import InvalidValue, RuleViolated
from domain.institution.values import hhmm

if TYPE_CHECKING:
    from domain.booking.room_day import Booking, DayTerms


class NotBookable(RuleViolated):
    code = "not-bookable"


def covering_offer(
    offers: Iterable[CareOffer], care_type: str, start: int, end: int
) -> CareOffer | None:
    """The offer a visit of `care_type` from `start` to `end` is held to: the first of that
    care type whose window covers it (the availability search asks the same)."""
    return next(
        (o for o in offers if o.care_type == care_type and o.opens <= start and end <= o.closes),
        None,
    )


def offer_for(booking: Booking, terms: DayTerms) -> CareOffer:
    """The offer of the booking's care type whose window covers it; else refused."""
    offers = [o for o in terms.offers if o.care_type is booking.care_type]
    if not offers:
        raise NotBookable(
            f"this room offers no {booking.care_type} care on that day", field="care_type"
        )
    offer = covering_offer(offers, booking.care_type, booking.start, booking.end)
    if offer is not None:
        return offer
    window = ", ".join(f"{hhmm(o.opens)}–{hhmm(o.closes)}" for o in offers)
    raise NotBookable(f"{booking.care_type} is offered {window} that day", field="start")


def check_times(
    booking: Booking, terms: DayTerms, offer: CareOffer, now: datetime, *, notice: bool = True
) -> None:
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
    ahead = (booking.starts_at - now).total_seconds() / 60
    if notice and ahead < offer.min_notice_minutes:
        raise NotBookable(
            f"book at least {offer.min_notice_minutes} minutes ahead", field="start",
            notice_minutes=offer.min_notice_minutes,
        )  # fmt: skip
