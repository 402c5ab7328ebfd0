"""Ending a regular place early, in the domain alone: which days it gives back, and for how much."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import msgspec
import pytest

from domain.booking.enrolment import RoomEnrolments
from domain.booking.terms import RefundPolicy
from domain.errors import InvalidValue
from tests.domain.test_waitlist_and_enrolment_rules import everyday_terms, term

TUESDAY = date(2026, 12, 1)  # the term's first calendar day; its first day held is Wednesday 2
NOW = datetime(2026, 11, 20, tzinfo=UTC)
POLICY = RefundPolicy(full_refund_hours_before=24, late_refund_percent=50)
LOOSE = RefundPolicy(full_refund_hours_before=0, late_refund_percent=100)


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9), UTC)


def _room(policy: RefundPolicy | None = POLICY, **changes: object):
    """A Mon/Wed/Fri term through December at 120 元 a day, enrolled under `policy`."""
    enrolment = msgspec.structs.replace(
        term(), price_fen=13 * 12000, day_price_fen=12000, refund_policy=policy, **changes
    )
    room = RoomEnrolments.open(enrolment.enrolment_id, enrolment.enrolment_id, NOW)
    room.enrol(enrolment, everyday_terms(), {}, NOW)
    return room, enrolment


def _ending(room, enrolment, last_day, now=NOW, by_institution=False, today=None):
    return room.ending(
        enrolment.enrolment_id, last_day, today=today or now.date(), starts_at=at_nine,
        fallback_policy=LOOSE, by_institution=by_institution, now=now,
    )  # fmt: skip


def test_days_closed_or_never_paid_are_not_given_back_again():
    friday, monday = date(2026, 12, 4), date(2026, 12, 7)
    room, enrolment = _room(uncharged=(monday,))
    room.close_day(friday, "停电", NOW)  # paid back by the closure already
    ending = _ending(room, enrolment, date(2026, 12, 2))  # ends after the first Wednesday
    assert friday not in ending.days_given_up and monday not in ending.days_given_up
    assert len(ending.days_given_up) == 13 - 3
    assert ending.refund_fen == 10 * 12000


def test_a_guardian_gets_the_late_share_for_a_day_within_the_policys_hours_and_none_once_begun():
    room, enrolment = _room()
    tuesday_night = datetime(2026, 12, 1, 20, tzinfo=UTC)  # Wednesday 09:00 is 13 h away
    ending = _ending(room, enrolment, TUESDAY, now=tuesday_night)
    assert ending.refund_fen == 6000 + 12 * 12000
    assert _ending(room, enrolment, TUESDAY, now=tuesday_night, by_institution=True).refund_fen \
        == 13 * 12000  # fmt: skip


def test_a_term_enrolled_before_it_kept_a_policy_is_refunded_under_the_institutions():
    room, enrolment = _room(policy=None)
    tuesday_night = datetime(2026, 12, 1, 20, tzinfo=UTC)
    assert _ending(room, enrolment, TUESDAY, now=tuesday_night).refund_fen == 13 * 12000


def test_the_last_day_is_today_at_the_earliest():
    room, enrolment = _room()
    with pytest.raises(InvalidValue) as refused:
        _ending(room, enrolment, date(2026, 12, 6), today=date(2026, 12, 7))
    assert refused.value.field == "last_day"
    assert _ending(room, enrolment, date(2026, 12, 7), today=date(2026, 12, 7)).days_given_up[0] \
        == date(2026, 12, 9)  # fmt: skip


def test_ending_records_the_refund_and_whose_place_it_was():
    room, enrolment = _room()
    ending = _ending(room, enrolment, date(2026, 12, 14), by_institution=True)
    room.collect_events()
    room.end(ending, enrolment.guardian_id, NOW + timedelta(hours=1))
    (ended,) = room.collect_events()
    assert (ended.refund_fen, ended.days_given_up, ended.child_id, ended.by_institution) == (
        7 * 12000, 7, enrolment.child_id, True,
    )  # fmt: skip
    assert room.enrolments[enrolment.enrolment_id].last_day == date(2026, 12, 14)
