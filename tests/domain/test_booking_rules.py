"""Booking a room-day: every rule, minute by minute, with the edges parents actually hit."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import msgspec
import pytest

from domain.booking.active import ActiveBookings, active_bookings
from domain.booking.eligibility import AgeDoesNotFit, check_age_fits, children_per_carer
from domain.booking.room_day import (
    AlreadyArrived,
    Booking,
    DayTerms,
    NotBookable,
    RatioWouldBreak,
    RoomDay,
    RoomFull,
)
from domain.booking.terms import CareOffer, CareType, RefundPolicy, Shift, price_fen, refund_fen
from domain.child.aggregate import Child, ChildAlreadyBooked, Hold, Sex, age_in_months
from domain.class_types import NATIONAL, ClassType
from domain.errors import InvalidValue, RuleViolated
from domain.institution.values import OpeningInterval, hhmm

DAY = date(2026, 12, 1)  # a Tuesday
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
POLICY = RefundPolicy(full_refund_hours_before=24, late_refund_percent=50)
HOURLY = CareOffer(CareType.hourly, (1, 2, 3, 4, 5), 8 * 60, 18 * 60, 3000, "per_hour",
                   min_notice_minutes=60, max_minutes_per_visit=4 * 60, max_minutes_per_day=6 * 60)  # fmt: skip


def terms(
    class_type=ClassType.toddler, capacity=15, ratio=5, staff=3, offers=(HOURLY,)
) -> DayTerms:
    return DayTerms(
        class_type=class_type, capacity=capacity, children_per_carer=ratio,
        opening_hours=(OpeningInterval(2, 8 * 60, 18 * 60),), offers=offers,
        shifts=(Shift(2, 8 * 60, 18 * 60, staff),),
    )  # fmt: skip


def booking(start="09:00", end="11:00", per_carer=5, child=None) -> Booking:
    s = int(start[:2]) * 60 + int(start[3:])
    e = int(end[:2]) * 60 + int(end[3:])
    base = datetime(2026, 12, 1, tzinfo=UTC) - timedelta(hours=8)  # local midnight in UTC
    return Booking(
        booking_id=uuid4(), child_id=child or uuid4(), guardian_id=uuid4(),
        care_type=CareType.hourly, start=s, end=e, starts_at=base + timedelta(minutes=s),
        ends_at=base + timedelta(minutes=e), price_fen=price_fen(HOURLY, e - s),
        refund_policy=POLICY, children_per_carer=per_carer,
    )  # fmt: skip


def room_day() -> RoomDay:
    return RoomDay.open(uuid4(), uuid4(), DAY, NOW)


def test_a_booking_within_every_rule_is_recorded():
    day = room_day()
    day.book(booking(), terms(), NOW)
    assert [type(e).__name__ for e in day.collect_events()] == ["Opened", "CareBooked"]


def test_a_booking_ending_exactly_at_closing_is_accepted_and_one_minute_later_is_not():
    day = room_day()
    day.book(booking("15:00", "18:00"), terms(), NOW)
    with pytest.raises(NotBookable):
        day.book(booking("15:01", "18:01"), terms(), NOW)


def test_booking_past_class_size_is_refused_naming_the_first_full_minute():
    day = room_day()
    for _ in range(2):
        day.book(booking("09:00", "10:00"), terms(capacity=3, staff=5), NOW)
    day.book(booking("09:30", "11:00"), terms(capacity=3, staff=5), NOW)
    with pytest.raises(RoomFull) as refused:
        day.book(booking("08:30", "10:30"), terms(capacity=3, staff=5), NOW)
    assert refused.value.params["minute"] == "09:30"


def test_a_booking_after_the_others_leave_fits_again():
    day = room_day()
    for _ in range(3):
        day.book(booking("09:00", "10:00"), terms(capacity=3, staff=5), NOW)
    day.book(booking("10:00", "11:00"), terms(capacity=3, staff=5), NOW)


def test_the_roster_limits_children_through_the_ratio():
    day = room_day()
    small_staff = terms(capacity=15, staff=1)  # 1 carer × 5 = 5 children
    for _ in range(5):
        day.book(booking(), small_staff, NOW)
    with pytest.raises(RatioWouldBreak) as refused:
        day.book(booking(), small_staff, NOW)
    assert refused.value.params == {"minute": "09:00", "limit": 5}


def test_no_rostered_staff_means_no_booking():
    t = DayTerms(ClassType.toddler, 15, 5, terms().opening_hours, (HOURLY,), shifts=())
    with pytest.raises(RatioWouldBreak):
        room_day().book(booking(), t, NOW)


def test_in_a_mixed_room_an_infant_arriving_tightens_the_ratio():
    day = room_day()
    mixed = terms(ClassType.mixed, capacity=18, ratio=5, staff=1)  # 1 carer
    day.book(booking("09:00", "11:00", per_carer=5), mixed, NOW)
    day.book(booking("09:00", "11:00", per_carer=5), mixed, NOW)
    day.book(booking("09:00", "11:00", per_carer=5), mixed, NOW)
    # a fourth toddler would be fine (4 ≤ 5), but a child needing 1:3 makes the limit 3
    with pytest.raises(RatioWouldBreak) as refused:
        day.book(booking("10:00", "12:00", per_carer=3), mixed, NOW)
    assert refused.value.params["minute"] == "10:00"
    day.book(booking("11:00", "12:00", per_carer=3), mixed, NOW)  # after the others leave


def test_care_not_offered_on_that_day_or_time_is_refused():
    with pytest.raises(NotBookable) as refused:
        room_day().book(booking(), terms(offers=()), NOW)
    assert refused.value.field == "care_type"
    with pytest.raises(NotBookable):
        room_day().book(booking("07:00", "09:00"), terms(), NOW)


def test_too_short_notice_is_refused():
    late = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 local, start 09:00
    with pytest.raises(NotBookable) as refused:
        room_day().book(booking(), terms(), late)
    assert refused.value.params["notice_minutes"] == 60


def test_a_visit_longer_than_allowed_is_refused():
    with pytest.raises(NotBookable):
        room_day().book(booking("08:00", "12:30"), terms(), NOW)


def test_more_hours_a_day_than_allowed_for_one_child_are_refused():
    day, child = room_day(), uuid4()
    day.book(booking("08:00", "12:00", child=child), terms(), NOW)
    day.book(booking("12:00", "14:00", child=child), terms(), NOW)
    with pytest.raises(NotBookable):
        day.book(booking("14:00", "15:00", child=child), terms(), NOW)


def test_a_cancelled_booking_s_hours_no_longer_count_toward_the_child_s_day():
    day, child = room_day(), uuid4()
    day.book(booking("08:00", "12:00", child=child), terms(), NOW)
    day.book(later := booking("12:00", "14:00", child=child), terms(), NOW)
    day.cancel(later.booking_id, by_institution=False, reason="", now=NOW, by=None)
    day.book(booking("14:00", "16:00", child=child), terms(), NOW)


def test_a_completed_visit_s_hours_still_count_toward_the_child_s_day():
    day, child = room_day(), uuid4()
    morning = booking("08:00", "12:00", child=child)
    day.book(morning, terms(), NOW)
    day.check_in(morning.booking_id, uuid4(), NOW)
    day.complete(morning.booking_id, uuid4(), NOW)  # collected: the place is free again
    day.book(booking("12:00", "14:00", child=child), terms(), NOW)
    with pytest.raises(NotBookable) as refused:
        day.book(booking("14:00", "15:00", child=child), terms(), NOW)
    assert refused.value.field == "end"


FULL_DAY = CareOffer(CareType.full_day, (1, 2, 3, 4, 5), 8 * 60, 18 * 60, 12000, "per_session")


def test_each_care_types_hours_a_day_count_alone_so_the_order_of_bookings_does_not_matter():
    """Hourly care is limited to 6 h a day, full-day care is not: 3 h of full-day care and
    6 h of hourly care are accepted whichever is booked first; a 7th hour of hourly care is
    not, whichever care the child had before it."""
    both = terms(offers=(HOURLY, FULL_DAY))

    def day_of(*visits: tuple[CareType, str, str]) -> RoomDay:
        day, child = room_day(), uuid4()
        for care, start, end in visits:
            visit = msgspec.structs.replace(booking(start, end, child=child), care_type=care)
            day.book(visit, both, NOW)
        return day

    full = (CareType.full_day, "08:00", "11:00")
    hourly = [(CareType.hourly, "11:00", "15:00"), (CareType.hourly, "15:00", "17:00")]
    day_of(full, *hourly)
    day_of(*hourly, full)
    with pytest.raises(NotBookable) as refused:
        day_of(full, *hourly, (CareType.hourly, "17:00", "18:00"))
    assert refused.value.detail == "at most 6 h of hourly a day"


def test_a_completed_visit_counts_toward_its_own_care_types_day_only():
    both, day, child = terms(offers=(HOURLY, FULL_DAY)), room_day(), uuid4()
    morning = booking("08:00", "12:00", child=child)
    morning = msgspec.structs.replace(morning, care_type=CareType.full_day)
    day.book(morning, both, NOW)
    day.check_in(morning.booking_id, uuid4(), NOW)
    day.complete(morning.booking_id, uuid4(), NOW)
    day.book(booking("12:00", "16:00", child=child), both, NOW)
    day.book(booking("16:00", "18:00", child=child), both, NOW)  # 6 h of hourly care: allowed


def test_what_a_room_day_keeps_of_its_active_bookings_equals_a_fresh_count_after_each_change():
    day, child = room_day(), uuid4()
    kept = active_bookings(day)  # built now, then kept in step by the events
    first, second = booking("08:00", "10:00", child=child), booking("09:00", "11:00")
    day.book(first, terms(), NOW)
    day.book(second, terms(), NOW)
    day.cancel(second.booking_id, by_institution=True, reason="", now=NOW, by=None)
    day.book(booking("10:00", "12:00", child=child), terms(), NOW)
    day.check_in(first.booking_id, uuid4(), NOW)
    day.complete(first.booking_id, uuid4(), NOW)
    fresh = ActiveBookings(day.bookings.values())
    assert active_bookings(day) is kept
    assert kept.minutes == fresh.minutes == {(child.int, CareType.hourly): 120}
    assert {b: (p.start, p.end) for b, p in kept.presences.items()} == {
        b: (p.start, p.end) for b, p in fresh.presences.items()
    }


def test_the_bookings_a_room_day_looks_at_are_exactly_those_overlapping_the_new_interval():
    rng = random.Random(20261125)
    kept = ActiveBookings([])
    live: list[Booking] = []
    for _ in range(600):
        if live and rng.random() < 0.3:
            kept.remove(live.pop(rng.randrange(len(live))))
        else:
            start = rng.randrange(0, 1380)
            length = rng.choice((1, 15, 60, 240, 600))
            live.append(b := booking(hhmm(start), hhmm(min(start + length, 1439))))
            kept.add(b)
        start = rng.randrange(0, 1400)
        end = start + rng.randrange(1, 40)
        expected = sorted((b.start, b.end) for b in live if b.start < end and start < b.end)
        assert sorted((p.start, p.end) for p in kept.overlapping(start, end)) == expected
    assert sorted(kept.by_start) == sorted({b.start for b in live})


def test_an_interval_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidValue):
        room_day().book(booking("11:00", "10:00"), terms(), NOW)


def test_a_child_turning_12_months_leaves_the_infant_class_that_day():
    birth = date(2025, 12, 1)
    assert check_age_fits(ClassType.infant, birth, date(2026, 11, 30), NATIONAL) == 11
    with pytest.raises(AgeDoesNotFit) as refused:
        check_age_fits(ClassType.infant, birth, date(2026, 12, 1), NATIONAL)
    assert refused.value.params["age_months"] == 12
    assert check_age_fits(ClassType.toddler, birth, date(2026, 12, 1), NATIONAL) == 12


def test_a_child_born_on_the_31st_completes_a_month_on_the_last_day_of_a_shorter_one():
    birth = date(2026, 8, 31)
    assert age_in_months(birth, date(2027, 2, 27)) == 5
    assert age_in_months(birth, date(2027, 2, 28)) == 6  # February has no 31st
    assert check_age_fits(ClassType.infant, birth, date(2027, 2, 28), NATIONAL) == 6
    assert age_in_months(birth, date(2026, 9, 30)) == 1 and age_in_months(birth, DAY) == 3


def test_a_mixed_room_takes_children_from_18_months_only():
    with pytest.raises(AgeDoesNotFit):
        check_age_fits(ClassType.mixed, date(2025, 7, 2), DAY, NATIONAL)  # 16 months
    assert check_age_fits(ClassType.mixed, date(2025, 6, 1), DAY, NATIONAL) == 18


def test_each_child_in_a_mixed_room_brings_the_ratio_of_its_age():
    assert children_per_carer(ClassType.mixed, 5, 20, NATIONAL) == 5
    assert (
        children_per_carer(ClassType.mixed, 7, 20, NATIONAL) == 5
    )  # a 20-month-old tightens 1:7 to 1:5
    assert (
        children_per_carer(ClassType.mixed, 5, 30, NATIONAL) == 5
    )  # the room's own ratio is stricter
    assert children_per_carer(ClassType.mixed, 7, 30, NATIONAL) == 7
    assert children_per_carer(ClassType.toddler, 4, 20, NATIONAL) == 4


def test_per_hour_prices_are_exact_to_the_minute_and_rounded_up_to_the_fen():
    assert price_fen(HOURLY, 60) == 3000
    assert price_fen(HOURLY, 90) == 4500
    odd = CareOffer(CareType.hourly, (1,), 0, 600, 1001, "per_hour")
    assert price_fen(odd, 1) == 17  # 1001/60 = 16.68 → 17 fen


@pytest.mark.parametrize(
    ("hours_before", "expected"), [(48, 9000), (24, 9000), (23, 4500), (0.5, 4500), (0, 0), (-1, 0)]
)
def test_the_refund_follows_the_published_policy_at_the_moment_of_cancelling(
    hours_before, expected
):
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    now = start - timedelta(hours=hours_before)
    assert refund_fen(POLICY, 9000, start, now, by_institution=False) == expected


def test_an_institution_cancelling_refunds_in_full_even_after_the_start():
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert refund_fen(POLICY, 9000, start, start + timedelta(hours=1), by_institution=True) == 9000


def test_cancelling_frees_the_place_and_cannot_happen_twice():
    day = room_day()
    t = terms(capacity=1, staff=1)
    first = booking()
    day.book(first, t, NOW)
    refund = day.cancel(first.booking_id, by_institution=False, reason="生病", now=NOW, by=None)
    assert refund == first.price_fen // 2  # 13 h ahead: the late rate, 50 %
    day.book(booking(), t, NOW)
    with pytest.raises(RuleViolated, match="already cancelled"):
        day.cancel(first.booking_id, by_institution=False, reason="", now=NOW, by=None)


def test_a_family_cannot_cancel_once_the_child_has_arrived_and_the_institution_still_can():
    day = room_day()
    first = booking()
    day.book(first, terms(capacity=1, staff=1), NOW)
    day.check_in(first.booking_id, uuid4(), NOW)
    with pytest.raises(AlreadyArrived):
        day.cancel(first.booking_id, by_institution=False, reason="", now=NOW, by=None)
    assert day.cancel(first.booking_id, by_institution=True, reason="", now=NOW, by=None) == (
        first.price_fen
    )


def test_the_same_child_cannot_be_booked_twice_for_overlapping_times_anywhere():
    child = Child.register(
        uuid4(), uuid4(), name="小明", birth_date=date(2025, 1, 1), sex=Sex.male,
        consent_purposes=("care_booking",), today=DAY, now=NOW,
    )  # fmt: skip
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    child.hold(Hold(uuid4(), start, start + timedelta(hours=2)), NOW)
    with pytest.raises(ChildAlreadyBooked):
        child.hold(Hold(uuid4(), start + timedelta(hours=1), start + timedelta(hours=3)), NOW)
    child.hold(Hold(uuid4(), start + timedelta(hours=2), start + timedelta(hours=3)), NOW)


def test_a_child_needs_the_guardians_consent_and_must_be_under_three():
    with pytest.raises(InvalidValue) as refused:
        Child.register(uuid4(), uuid4(), name="小红", birth_date=date(2025, 1, 1), sex=Sex.female,
                       consent_purposes=(), today=DAY, now=NOW)  # fmt: skip
    assert refused.value.field == "consent"
    with pytest.raises(InvalidValue):
        Child.register(uuid4(), uuid4(), name="大红", birth_date=date(2023, 11, 1), sex=Sex.female,
                       consent_purposes=("care_booking",), today=DAY, now=NOW)  # fmt: skip


def test_a_closed_room_takes_no_bookings_and_names_the_reason():
    closed = msgspec.structs.replace(terms(), closed="元旦放假")
    with pytest.raises(NotBookable, match="元旦放假") as refused:
        room_day().book(booking(), closed, NOW)
    assert refused.value.field == "date"
