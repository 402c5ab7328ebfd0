"""An open offer to a child booked elsewhere at that time since (it took another room's offer, or
was booked directly) is withdrawn: the entry waits again in its place in line, and the place goes
to the next family. Withdrawals recorded before the reason was kept read as a place taken back."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from backend.eventstore.mapper import MsgspecMapper
from domain.booking.room_day import RoomDay
from domain.booking.waitlist import CHILD_BOOKED, PLACE_TAKEN_BACK
from tests.domain.test_booking_rules import NOW
from tests.domain.test_waitlist_and_enrolment_rules import (
    all_can_take,
    entry,
    freed_with_two_waiting,
)


def _offered(day: RoomDay) -> list:
    return [e.entry_id for e in day.waitlist.values() if e.offered_until is not None]


def test_the_offer_of_a_child_booked_elsewhere_is_withdrawn_and_the_next_family_offered():
    day, terms, (first, second) = freed_with_two_waiting()
    day.offer_freed_places(terms, 15, NOW, all_can_take(day))
    assert _offered(day) == [first.entry_id]

    assert day.withdraw_offers_of_children_booked([first.entry_id], NOW) == [first.entry_id]
    withdrawn = day.collect_events()[-1]
    assert isinstance(withdrawn, RoomDay.WaitlistOfferWithdrawn)
    assert withdrawn.because == CHILD_BOOKED
    assert list(day.waitlist) == [first.entry_id, second.entry_id]  # its place in line kept
    can_take = {second.entry_id: NOW + timedelta(days=1)}  # the first child is not free
    assert day.offer_freed_places(terms, 15, NOW, can_take) == [second.entry_id]


def test_only_open_offers_of_the_children_named_are_withdrawn():
    day, terms, (first, second) = freed_with_two_waiting()
    day.offer_freed_places(terms, 15, NOW, all_can_take(day))
    later = entry()
    day.join_waitlist(later, terms, NOW)
    # the second only waits, the later has no offer, and the first's lapsed by then
    assert day.withdraw_offers_of_children_booked([second.entry_id, later.entry_id], NOW) == []
    lapsed = NOW + timedelta(minutes=15)
    assert day.withdraw_offers_of_children_booked([first.entry_id], lapsed) == []
    assert _offered(day) == [first.entry_id]


def test_a_withdrawal_recorded_before_the_reason_was_kept_reads_as_a_place_taken_back():
    stored = StoredEvent(
        uuid4(), 7, f"{RoomDay.__module__}:RoomDay.WaitlistOfferWithdrawn",
        f'{{"timestamp":"2026-11-30T12:00:00Z","entry_id":"{uuid4()}"}}'.encode(),
    )  # fmt: skip
    event = MsgspecMapper().to_domain_event(stored)
    assert event.because == PLACE_TAKEN_BACK
