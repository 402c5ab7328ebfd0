"""Waitlist and regular places, in the domain alone: offers hold places, terms fill day by day."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import msgspec
import pytest

from domain.booking.capacity import Presence
from domain.booking.enrolment import Enrolment, RoomEnrolments
from domain.booking.room_day import RoomFull
from domain.booking.terms import CareType
from domain.booking.waitlist import OfferNotOpen, PlaceAvailable, WaitlistEntry
from domain.errors import AlreadyExists, InvalidValue
from tests.domain.test_booking_rules import DAY, NOW, booking, room_day, terms


def entry(child=None, guardian=None, start=9 * 60, end=11 * 60) -> WaitlistEntry:
    return WaitlistEntry(uuid4(), child or uuid4(), guardian or uuid4(), DAY, CareType.hourly,
                         start, end, 5)  # fmt: skip


def all_can_take(day, until=NOW + timedelta(days=1)) -> dict:
    """Every waiting entry may get an offer, held at most until `until` (the service passes the
    entries whose child is still free, until their visit's start)."""
    return {entry_id: until for entry_id in day.waitlist}


def freed_with_two_waiting():
    """A full room-day with two families waiting, whose one place was just cancelled."""
    day, t, first = full_day()
    waiting = entry(), entry()
    for waiter in waiting:
        day.join_waitlist(waiter, t, NOW)
    day.cancel(first.booking_id, by_institution=False, reason="", now=NOW, by=None)
    return day, t, waiting


def full_day(capacity: int = 1):
    day, t = room_day(), terms(capacity=capacity, staff=5)
    first = booking()
    day.book(first, t, NOW)
    return day, t, first


def test_joining_is_refused_while_a_place_is_free():
    with pytest.raises(PlaceAvailable):
        room_day().join_waitlist(entry(), terms(), NOW)


def test_a_child_waits_once_for_an_interval():
    day, t, _ = full_day()
    child = uuid4()
    day.join_waitlist(entry(child), t, NOW)
    with pytest.raises(AlreadyExists):
        day.join_waitlist(entry(child), t, NOW)


def test_a_freed_place_goes_to_the_first_in_line_and_is_held_against_new_bookings():
    day, t, (a, _) = freed_with_two_waiting()
    assert day.offer_freed_places(t, 15, NOW, all_can_take(day)) == [a.entry_id]
    with pytest.raises(RoomFull):
        day.book(booking(), t, NOW)  # the place is held for a


def test_only_those_who_can_take_it_get_an_offer_held_no_later_than_they_are_told():
    day, t, (a, b) = freed_with_two_waiting()
    starts = NOW + timedelta(minutes=5)
    assert day.offer_freed_places(t, 15, NOW, {b.entry_id: starts}) == [b.entry_id]
    assert day.waitlist[a.entry_id].offered_until is None  # passed over, still in line
    assert day.waitlist[b.entry_id].offered_until == starts  # not the 15 minutes


def test_an_offer_is_taken_only_while_open_and_only_by_its_family():
    day, t, first = full_day()
    a = entry()
    day.join_waitlist(a, t, NOW)
    day.cancel(first.booking_id, by_institution=False, reason="", now=NOW, by=None)
    day.offer_freed_places(t, 15, NOW, all_can_take(day))
    with pytest.raises(OfferNotOpen):
        day.take_offer(a.entry_id, a.guardian_id, uuid4(), NOW + timedelta(minutes=15))
    day.take_offer(a.entry_id, a.guardian_id, uuid4(), NOW + timedelta(minutes=14))


def test_a_lapsed_offer_passes_to_the_next_in_line():
    day, t, (a, b) = freed_with_two_waiting()
    day.offer_freed_places(t, 15, NOW, all_can_take(day))
    later = NOW + timedelta(minutes=16)
    assert day.expire_offers(later) == [a.entry_id]
    assert day.offer_freed_places(t, 15, later, all_can_take(day)) == [b.entry_id]
    assert day.waitlist[b.entry_id].offered_until == NOW + timedelta(minutes=31)


def test_a_lapsed_offer_holds_no_place_even_before_the_job_expires_it():
    day, t, first = full_day()
    day.join_waitlist(entry(), t, NOW)
    day.cancel(first.booking_id, by_institution=False, reason="", now=NOW, by=None)
    day.offer_freed_places(t, 15, NOW, all_can_take(day))
    with pytest.raises(RoomFull):
        day.book(booking(), t, NOW + timedelta(minutes=14))
    day.book(booking(), t, NOW + timedelta(minutes=15))  # lapsed: the place is free again


def term(weekdays=(1, 3, 5), first=date(2026, 12, 1), last=date(2026, 12, 31)) -> Enrolment:
    return Enrolment(uuid4(), uuid4(), uuid4(), CareType.hourly, weekdays, first, last,
                     9 * 60, 11 * 60, 5, 0)  # fmt: skip


def everyday_terms(capacity: int = 1):
    def terms_on(day: date):
        return terms(capacity=capacity, staff=5)  # the booking test terms are Tuesday's

    return terms_on


def test_an_enrolment_counts_on_its_weekdays_within_its_term_only():
    room = RoomEnrolments.open(uuid4(), uuid4(), NOW)
    enrolment = term()
    room.enrol(enrolment, everyday_terms(), {}, NOW)
    assert len(room.presences_on(date(2026, 12, 2))) == 1  # a Wednesday
    assert room.presences_on(date(2026, 12, 1)) == []  # a Tuesday
    assert room.presences_on(date(2027, 1, 4)) == []  # after the term


def test_an_enrolment_is_refused_on_the_first_day_that_is_already_full():
    room = RoomEnrolments.open(uuid4(), uuid4(), NOW)
    booked = {date(2026, 12, 9): [Presence(10 * 60, 12 * 60, 5)]}
    with pytest.raises(RoomFull) as refused:
        room.enrol(term(), everyday_terms(), booked, NOW)
    assert refused.value.params["day"] == "2026-12-09"
    assert refused.value.params["minute"] == "10:00"


@pytest.mark.parametrize(
    "bad",
    [
        term(weekdays=()),
        term(weekdays=(8,)),
        term(first=date(2026, 12, 31), last=date(2026, 12, 1)),
        term(first=date(2026, 1, 1), last=date(2027, 6, 1)),
    ],
)
def test_malformed_terms_are_refused(bad: Enrolment):
    with pytest.raises(InvalidValue):
        RoomEnrolments.open(uuid4(), uuid4(), NOW).enrol(bad, everyday_terms(), {}, NOW)


def test_a_closed_day_refunds_each_regular_place_that_day_once_and_frees_the_room():
    room = RoomEnrolments.open(uuid4(), uuid4(), NOW)
    wednesday, thursday = date(2026, 12, 2), date(2026, 12, 3)
    priced = msgspec.structs.replace(term(), price_fen=13 * 12000, day_price_fen=12000)
    older = msgspec.structs.replace(term(weekdays=(3,)), price_fen=5 * 9000)  # no day price
    room.enrol(priced, everyday_terms(capacity=2), {}, NOW)
    room.enrol(older, everyday_terms(capacity=2), {}, NOW)
    room.collect_events()
    assert len(room.close_day(thursday, "停电", NOW)) == 0  # nobody's day: nothing to record
    assert room.collect_events() == []
    assert len(room.close_day(wednesday, "停电", NOW)) == 2
    (closed,) = room.collect_events()
    assert {(r.enrolment_id, r.refund_fen) for r in closed.refunds} == {
        (priced.enrolment_id, 12000), (older.enrolment_id, 9000),
    }  # fmt: skip
    assert room.presences_on(wednesday) == []
    assert len(room.close_day(wednesday, "全园停课", NOW)) == 0  # the room, then the institution


def test_a_day_already_closed_when_enrolled_is_not_paid_back_when_the_room_closes_too():
    room = RoomEnrolments.open(uuid4(), uuid4(), NOW)
    wednesday = date(2026, 12, 2)
    enrolment = msgspec.structs.replace(
        term(), price_fen=12 * 12000, day_price_fen=12000, uncharged=(wednesday,)
    )  # the whole institution was closed that Wednesday before the family enrolled
    room.enrol(enrolment, everyday_terms(), {}, NOW)
    assert len(room.close_day(wednesday, "停电", NOW)) == 0
    assert len(room.close_day(date(2026, 12, 4), "停电", NOW)) == 1  # a Friday it paid for
