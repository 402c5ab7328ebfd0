"""A child's data: erased on a guardian's request only with no care ahead; erased by the
retention rule only once every trace of care is older than the notice promised."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.child.aggregate import (
    Child,
    ChildErased,
    ChildStillInCare,
    Hold,
    RegularHold,
    Sex,
    StillWithinRetention,
)
from domain.child.care import add_months
from domain.child.consent import CARE_BOOKING, RETENTION_MONTHS

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
TODAY = NOW.date()
MUM = uuid4()


def child() -> Child:
    return Child.register(
        uuid4(), MUM, name="小满", birth_date=date(2025, 6, 1), sex=Sex.female,
        consent_purposes=("care_booking",), today=TODAY, now=NOW,
    )  # fmt: skip


def hold_on(day: date) -> Hold:
    starts = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
    return Hold(uuid4(), starts, starts + timedelta(hours=2), day, 540, 660, uuid4())


def test_registration_records_the_consent_notice_the_guardian_agreed_to():
    assert child().consent_notice == CARE_BOOKING.version


def test_a_booking_ahead_stops_an_erasure_and_names_the_booking():
    c = child()
    booked = hold_on(TODAY + timedelta(days=3))
    c.hold(booked, NOW)
    with pytest.raises(ChildStillInCare) as refused:
        c.erase(MUM, TODAY, NOW)
    assert refused.value.params["booking_id"] == str(booked.booking_id)


def test_a_regular_place_still_running_stops_an_erasure():
    c = child()
    c.hold_regular(RegularHold(uuid4(), (1, 2), TODAY, TODAY + timedelta(days=90), 540, 1020), NOW)
    with pytest.raises(ChildStillInCare):
        c.erase(MUM, TODAY, NOW)


def test_an_erased_child_forgets_its_personal_data_and_refuses_to_be_used_or_erased_again():
    c = child()
    c.erase(MUM, TODAY, NOW)
    assert (c.name, c.pickup_adults, c.health_records, c.consent_purposes) == ("", (), (), ())
    with pytest.raises(ChildErased):
        c.check_usable()
    with pytest.raises(ChildErased):
        c.erase(MUM, TODAY, NOW)


def test_retention_runs_from_the_last_care_not_from_registration():
    c = child()
    c.hold(hold_on(TODAY + timedelta(days=10)), NOW)
    last = TODAY + timedelta(days=10)
    just_inside = add_months(last, RETENTION_MONTHS)
    with pytest.raises(StillWithinRetention):
        c.erase_after_retention(just_inside, NOW)
    c.erase_after_retention(just_inside + timedelta(days=1), NOW)
    assert c.erased_at == NOW


def test_a_visit_after_the_last_booking_restarts_retention():
    c = child()
    c.hold(hold_on(TODAY), NOW)
    c.note_attended(TODAY + timedelta(days=400), NOW)
    with pytest.raises(StillWithinRetention):
        c.erase_after_retention(add_months(TODAY, RETENTION_MONTHS) + timedelta(days=1), NOW)
