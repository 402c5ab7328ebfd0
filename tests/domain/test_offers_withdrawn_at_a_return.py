"""A booking that takes its place back (its child back in the room) withdraws the waitlist offers
the room can no longer hold: the family waits again in its place in line, rather than holding an
offer that taking would refuse as full."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.booking.room_day import Booking, RoomDay
from domain.booking.waitlist import OfferNotOpen
from tests.domain.test_booking_rules import NOW, booking, room_day, terms
from tests.domain.test_waitlist_and_enrolment_rules import all_can_take, entry

ONE_PLACE, TWO_PLACES = terms(capacity=1, staff=5), terms(capacity=2, staff=5)


def _completed(day: RoomDay, visit: Booking) -> None:
    day.check_in(visit.booking_id, uuid4(), NOW)
    day.complete(visit.booking_id, uuid4(), NOW)


def _offered(day: RoomDay) -> list:
    return [e.entry_id for e in day.waitlist.values() if e.offered_until is not None]


def test_an_offer_of_the_place_a_child_came_back_to_is_withdrawn_and_waits_again_in_line():
    day = room_day()
    visit, later = booking("09:00", "10:00"), booking("10:00", "11:00")
    for made in (visit, later):
        day.book(made, ONE_PLACE, NOW)
    early, late = entry(start=9 * 60 + 30, end=10 * 60), entry(start=10 * 60, end=11 * 60)
    for waiter in (early, late):
        day.join_waitlist(waiter, ONE_PLACE, NOW)
    _completed(day, visit)  # collected at 09:30
    day.cancel(later.booking_id, by_institution=False, reason="", now=NOW, by=None)
    day.offer_freed_places(ONE_PLACE, 15, NOW, all_can_take(day))
    assert _offered(day) == [early.entry_id, late.entry_id]

    day.resume_completed(visit.booking_id, visit.starts_at + timedelta(minutes=40), uuid4(), NOW)
    assert day.withdraw_offers_without_place(ONE_PLACE, NOW) == [early.entry_id]
    assert list(day.waitlist) == [early.entry_id, late.entry_id]  # its place in line kept
    assert _offered(day) == [late.entry_id]  # after the child's booking ends: still a place
    with pytest.raises(OfferNotOpen):
        day.take_offer(early.entry_id, early.guardian_id, uuid4(), NOW)
    day.end_stay(visit.child_id, visit.starts_at, visit.starts_at + timedelta(minutes=50),
                 uuid4(), NOW)  # fmt: skip  # collected again at 09:50
    assert day.offer_freed_places(ONE_PLACE, 15, NOW, all_can_take(day)) == [early.entry_id]


def test_the_earlier_family_in_line_keeps_its_offer_when_only_one_still_fits():
    day = room_day()
    visits = booking("09:00", "11:00"), booking("09:00", "11:00")
    for made in visits:
        day.book(made, TWO_PLACES, NOW)
    first, second = entry(start=10 * 60, end=11 * 60), entry(start=10 * 60, end=11 * 60)
    for waiter in (first, second):
        day.join_waitlist(waiter, TWO_PLACES, NOW)
    for made in visits:
        _completed(day, made)
    day.offer_freed_places(TWO_PLACES, 15, NOW, all_can_take(day))
    assert _offered(day) == [first.entry_id, second.entry_id]
    back = visits[0]
    day.resume_completed(back.booking_id, back.starts_at + timedelta(minutes=40), uuid4(), NOW)
    assert day.withdraw_offers_without_place(TWO_PLACES, NOW) == [second.entry_id]
    assert _offered(day) == [first.entry_id]


def test_a_lapsed_offer_is_left_to_the_job_that_expires_it():
    day = room_day()
    visit = booking("09:00", "11:00")
    day.book(visit, ONE_PLACE, NOW)
    waiter = entry(start=10 * 60, end=11 * 60)
    day.join_waitlist(waiter, ONE_PLACE, NOW)
    _completed(day, visit)
    day.offer_freed_places(ONE_PLACE, 15, NOW, all_can_take(day))
    day.resume_completed(visit.booking_id, visit.starts_at + timedelta(minutes=40), uuid4(), NOW)
    assert day.withdraw_offers_without_place(ONE_PLACE, NOW + timedelta(minutes=15)) == []
    assert day.expire_offers(NOW + timedelta(minutes=15)) == [waiter.entry_id]
