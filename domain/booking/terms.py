"""What an institution offers per room: care types, hours, prices, notice, limits, refunds, roster."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

import msgspec

from domain.errors import InvalidValue


class CareType(StrEnum):
    full_day = "full_day"  # 全日托
    half_day = "half_day"  # 半日托
    hourly = "hourly"  # 计时托
    temporary = "temporary"  # 临时托
    extended = "extended"  # 延时托
    weekend = "weekend"  # 周末托


CARE_TYPE_CHINESE = {
    CareType.full_day: "全日托",
    CareType.half_day: "半日托",
    CareType.hourly: "计时托",
    CareType.temporary: "临时托",
    CareType.extended: "延时托",
    CareType.weekend: "周末托",
}


class CareOffer(msgspec.Struct, frozen=True):
    """One care type bookable in a room on some weekdays, within a window of local minutes."""

    care_type: CareType
    weekdays: tuple[int, ...]
    opens: int
    closes: int
    price_fen: int
    pricing: Literal["per_hour", "per_session"]
    min_notice_minutes: int = 0
    max_minutes_per_visit: int = 24 * 60
    max_minutes_per_day: int = 24 * 60


class RefundPolicy(msgspec.Struct, frozen=True):
    """Full refund up to `full_refund_hours_before` the start, `late_refund_percent` after that,
    nothing once care has started; an institution's cancellation is always refunded in full."""

    full_refund_hours_before: int
    late_refund_percent: int

    def describe(self) -> str:
        return (
            f"开始前{self.full_refund_hours_before}小时以上取消全额退款；"
            f"之后取消退{self.late_refund_percent}%；开始后不退。机构取消全额退款。"
        )


DEFAULT_REFUND_POLICY = RefundPolicy(full_refund_hours_before=24, late_refund_percent=50)
MIN_NO_SHOW_MINUTES, MAX_NO_SHOW_MINUTES = 5, 240
# Beijing's rule is a check every 10–15 minutes; an institution may check more often, never less.
NAP_CHECK_MINUTES = (5, 15)


class BookingSettings(msgspec.Struct, frozen=True):
    """Product policy per institution: when an absent child's place is released, how long a
    waitlisted family has to take a freed place, how early a booked child may be checked in,
    when (after closing) an uncollected child is escalated, and how often again, and how long
    a sleeping child may go unchecked before the live view flags it."""

    no_show_after_minutes: int = 30
    waitlist_offer_minutes: int = 15
    check_in_tolerance_minutes: int = 30
    uncollected_after_minutes: int = 15
    escalate_every_minutes: int = 15
    nap_check_minutes: int = NAP_CHECK_MINUTES[1]


def check_booking_settings(settings: BookingSettings) -> None:
    if not MIN_NO_SHOW_MINUTES <= settings.no_show_after_minutes <= MAX_NO_SHOW_MINUTES:
        raise InvalidValue(
            f"{MIN_NO_SHOW_MINUTES}–{MAX_NO_SHOW_MINUTES} minutes", field="no_show_after_minutes"
        )
    if not 5 <= settings.waitlist_offer_minutes <= 24 * 60:
        raise InvalidValue("5–1440 minutes", field="waitlist_offer_minutes")
    if not 0 <= settings.check_in_tolerance_minutes <= 120:
        raise InvalidValue("0–120 minutes", field="check_in_tolerance_minutes")
    if not 0 <= settings.uncollected_after_minutes <= 120:
        raise InvalidValue("0–120 minutes", field="uncollected_after_minutes")
    if not 5 <= settings.escalate_every_minutes <= 120:
        raise InvalidValue("5–120 minutes", field="escalate_every_minutes")
    low, high = NAP_CHECK_MINUTES
    if not low <= settings.nap_check_minutes <= high:
        raise InvalidValue(
            f"{low}–{high} minutes: a sleeping child is checked at least every {high} minutes",
            field="nap_check_minutes",
        )


class Shift(msgspec.Struct, frozen=True):
    """`staff` carers planned in the room on `weekday` from `starts` to `ends` (local minutes)."""

    weekday: int
    starts: int
    ends: int
    staff: int


def check_offer(offer: CareOffer, field: str) -> None:
    if not offer.weekdays or any(not 1 <= d <= 7 for d in offer.weekdays):
        raise InvalidValue("weekdays must be 1 (Monday) to 7 (Sunday)", field=f"{field}.weekdays")
    if not 0 <= offer.opens < offer.closes <= 24 * 60:
        raise InvalidValue("the offer must open before it closes", field=f"{field}.opens")
    if offer.price_fen < 0:
        raise InvalidValue("price must not be negative", field=f"{field}.price_fen")
    if offer.min_notice_minutes < 0:
        raise InvalidValue("notice must not be negative", field=f"{field}.min_notice_minutes")
    if not 0 < offer.max_minutes_per_visit <= offer.max_minutes_per_day:
        raise InvalidValue(
            "max per visit must be positive and at most max per day",
            field=f"{field}.max_minutes_per_visit",
        )


def check_refund_policy(policy: RefundPolicy) -> None:
    if policy.full_refund_hours_before < 0:
        raise InvalidValue("hours must not be negative", field="full_refund_hours_before")
    if not 0 <= policy.late_refund_percent <= 100:
        raise InvalidValue("percent must be 0–100", field="late_refund_percent")


def check_shifts(shifts: tuple[Shift, ...]) -> None:
    for i, shift in enumerate(shifts):
        if not 1 <= shift.weekday <= 7:
            raise InvalidValue("weekday must be 1–7", field=f"shifts[{i}].weekday")
        if not 0 <= shift.starts < shift.ends <= 24 * 60:
            raise InvalidValue("a shift starts before it ends", field=f"shifts[{i}].starts")
        if not 1 <= shift.staff <= 50:
            raise InvalidValue("staff must be 1–50", field=f"shifts[{i}].staff")


def price_fen(offer: CareOffer, minutes: int) -> int:
    """Per hour: exact to the minute, rounded up to the next fen; per session: the flat price."""
    if offer.pricing == "per_session":
        return offer.price_fen
    return -(-offer.price_fen * minutes // 60)


def may_cancel(arrived: bool, by_institution: bool) -> bool:
    """A family cancels until the child arrives (the booking then ends at pick-up); the
    institution, as long as the booking stands."""
    return by_institution or not arrived


def refund_fen(
    policy: RefundPolicy, paid_fen: int, starts_at: datetime, now: datetime, by_institution: bool
) -> int:
    if by_institution:
        return paid_fen
    if now >= starts_at:
        return 0
    if starts_at - now >= timedelta(hours=policy.full_refund_hours_before):
        return paid_fen
    return paid_fen * policy.late_refund_percent // 100
