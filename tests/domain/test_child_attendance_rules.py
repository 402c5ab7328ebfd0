"""What a child must have to attend, and who may collect it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.account.aggregate import account_id_for
from domain.child.aggregate import Child, ChildAlreadyBooked, Hold, PickupAdult, RegularHold, Sex
from domain.child.care import (
    BlockedCollector,
    CareNotCovered,
    Delegate,
    HealthRecord,
    HealthRecordKind,
    HealthRecordMissing,
    ReexaminationRequired,
    add_months,
)
from domain.child.medication import (
    DoseLimitReached,
    MedicationAuthorisation,
    MedicationNotAuthorised,
)
from domain.child.pickup_rights import CollectorBlocked, CollectorNotAuthorised
from domain.errors import InvalidValue

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
MUM = account_id_for("13600000001")
ROOM = uuid4()


def child() -> Child:
    return Child.register(
        uuid4(), MUM, name="小明", birth_date=date(2025, 6, 1), sex=Sex.male,
        consent_purposes=("care_booking",), today=TODAY, now=NOW,
    )  # fmt: skip


def admitted(on=date(2026, 9, 1)) -> Child:
    c = child()
    c.record_health(HealthRecord(HealthRecordKind.admission, on, True, True, uuid4()), TODAY, NOW)
    return c


def test_a_child_without_an_admission_check_may_not_attend():
    with pytest.raises(HealthRecordMissing):
        child().check_fit_to_attend(TODAY)


def test_an_admission_record_needs_the_vaccination_record_checked():
    with pytest.raises(InvalidValue) as refused:
        child().record_health(
            HealthRecord(HealthRecordKind.admission, TODAY, True, False, uuid4()), TODAY, NOW
        )
    assert refused.value.field == "vaccination_checked"


def test_a_child_away_three_months_needs_a_re_examination_before_returning():
    c = admitted()
    c.note_attended(date(2026, 9, 1), NOW)
    c.check_fit_to_attend(date(2026, 11, 30))  # one day short of three months
    with pytest.raises(ReexaminationRequired):
        c.check_fit_to_attend(date(2026, 12, 1))
    c.record_health(
        HealthRecord(HealthRecordKind.re_examination, TODAY, True, False, uuid4()), TODAY, NOW
    )
    c.check_fit_to_attend(TODAY)


def test_three_months_count_calendar_months_even_at_month_ends():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_booking_covers_the_child_from_the_tolerance_before_its_start():
    c = admitted()
    booking = uuid4()
    c.hold(Hold(booking, NOW + timedelta(minutes=30), NOW + timedelta(hours=3), TODAY, 510, 660,
                ROOM), NOW)  # fmt: skip
    assert c.care_covering(ROOM, NOW + timedelta(minutes=10), TODAY, 490, 30) == (booking, None)
    with pytest.raises(CareNotCovered):
        c.care_covering(ROOM, NOW, TODAY, 480, 15)
    with pytest.raises(CareNotCovered):
        c.care_covering(uuid4(), NOW + timedelta(minutes=40), TODAY, 520, 30)  # another room


def test_a_booking_whose_own_time_holds_the_arrival_comes_before_one_the_tolerance_reaches():
    c = admitted()
    first, later = uuid4(), uuid4()
    c.hold(Hold(later, NOW + timedelta(minutes=150), NOW + timedelta(hours=4), TODAY, 630, 720,
                ROOM), NOW)  # fmt: skip  # 10:30–12:00, booked first
    c.hold(Hold(first, NOW + timedelta(minutes=60), NOW + timedelta(minutes=150), TODAY, 540, 630,
                ROOM), NOW)  # fmt: skip  # 09:00–10:30
    back_at_1010 = NOW + timedelta(minutes=130)
    assert c.care_covering(ROOM, back_at_1010, TODAY, 610, 30) == (first, None)
    at_1030 = NOW + timedelta(minutes=150)
    assert c.care_covering(ROOM, at_1030, TODAY, 630, 30) == (later, None)


def test_a_regular_place_holding_the_arrival_comes_before_a_booking_the_tolerance_reaches():
    c = admitted()
    enrolment, booking = uuid4(), uuid4()
    c.hold_regular(RegularHold(enrolment, (2,), TODAY, TODAY + timedelta(days=60), 480, 630,
                               ROOM), NOW)  # fmt: skip  # 08:00–10:30 on Tuesdays
    c.hold(Hold(booking, NOW + timedelta(minutes=150), NOW + timedelta(hours=4), TODAY, 630, 720,
                ROOM), NOW)  # fmt: skip
    assert c.care_covering(ROOM, NOW + timedelta(minutes=130), TODAY, 610, 30) == (None, enrolment)


def test_a_released_booking_still_covers_an_arrival_made_before_it_was_released():
    c = admitted()
    booking = uuid4()
    c.hold(Hold(booking, NOW + timedelta(minutes=30), NOW + timedelta(hours=3), TODAY, 510, 660,
                ROOM), NOW)  # fmt: skip
    c.release(booking, NOW + timedelta(minutes=50))  # freed as a no-show at 08:50
    c.collect_events()
    at_0835 = NOW + timedelta(minutes=35)  # the drop-off a tablet queued while offline
    assert c.care_covering(ROOM, at_0835, TODAY, 515, 15) == (booking, None)
    fast_tablet = NOW + timedelta(minutes=51)  # 08:49 on a tablet 2 minutes fast
    assert c.care_covering(ROOM, fast_tablet, TODAY, 531, 15) == (booking, None)
    with pytest.raises(CareNotCovered):  # an arrival after the release has nothing
        c.care_covering(ROOM, NOW + timedelta(minutes=55), TODAY, 535, 15)
    with pytest.raises(CareNotCovered):
        c.care_covering(uuid4(), at_0835, TODAY, 515, 15)  # another room


def test_released_bookings_are_forgotten_once_no_replay_can_reach_them():
    c = admitted()
    first, second = uuid4(), uuid4()
    for booking, start in ((first, NOW), (second, NOW + timedelta(days=3))):
        c.hold(Hold(booking, start, start + timedelta(hours=2), start.date(), 480, 600, ROOM), NOW)
        c.release(booking, start + timedelta(minutes=40))
    assert list(c.released) == [second]


def test_a_regular_place_covers_the_child_on_its_weekdays():
    c = admitted()
    enrolment = uuid4()
    c.hold_regular(RegularHold(enrolment, (2,), TODAY, TODAY + timedelta(days=60), 480, 1020,
                               ROOM), NOW)  # fmt: skip
    assert c.care_covering(ROOM, NOW, TODAY, 480, 30) == (None, enrolment)
    with pytest.raises(CareNotCovered):
        c.care_covering(ROOM, NOW, TODAY + timedelta(days=1), 480, 30)  # a Wednesday


def test_only_guardians_authorised_adults_and_todays_delegates_may_collect():
    c = admitted()
    c.authorise_pickup(PickupAdult("奶奶", "13600000009", "grandmother"), NOW)
    c.delegate_pickup(Delegate("邻居", "13600000008", TODAY), TODAY, NOW)
    mum = {account_id_for("13600000001")}
    later = NOW + timedelta(hours=8)
    assert c.collector_relation("13600000001", mum, TODAY, later) == ("guardian", None, None)
    assert c.collector_relation("13600000009", set(), TODAY, later) == (
        "authorised_adult", "奶奶", None
    )  # fmt: skip
    assert c.collector_relation("13600000008", set(), TODAY, later) == ("delegate", "邻居", None)
    with pytest.raises(CollectorNotAuthorised):
        c.collector_relation("13600000008", set(), TODAY + timedelta(days=1), later)
    with pytest.raises(CollectorNotAuthorised):
        c.collector_relation("13600000007", set(), TODAY, later)


def test_a_person_on_the_must_not_collect_list_is_refused_even_if_authorised():
    c = admitted()
    c.authorise_pickup(PickupAdult("爸爸", "13600000005", "father"), NOW)
    c.block_collector(BlockedCollector("爸爸", "13600000005", "court order"), NOW)
    with pytest.raises(CollectorBlocked):
        c.collector_relation("13600000005", set(), TODAY, NOW + timedelta(hours=8))
    with pytest.raises(CollectorBlocked):
        c.delegate_pickup(Delegate("爸爸", "13600000005", TODAY), TODAY, NOW)


def test_medication_is_given_only_within_the_authorised_days_and_after_the_authorisation():
    c = admitted()
    authorisation = MedicationAuthorisation(uuid4(), "布洛芬", "5 ml", 2, TODAY, TODAY, MUM)
    c.authorise_medication(authorisation, NOW)
    given = NOW + timedelta(hours=2)
    found = c.medication_for(authorisation.authorisation_id, TODAY, given)
    assert (found.medicine, found.authorised_at) == ("布洛芬", NOW)
    with pytest.raises(MedicationNotAuthorised):
        c.medication_for(authorisation.authorisation_id, TODAY + timedelta(days=1), given)
    with pytest.raises(MedicationNotAuthorised) as early:  # a tablet's dose from before it
        c.medication_for(authorisation.authorisation_id, TODAY, NOW - timedelta(minutes=30))
    assert early.value.field == "at"
    yesterday = MedicationAuthorisation(uuid4(), "布洛芬", "5 ml", 2, TODAY - timedelta(days=1),
                                        TODAY, MUM)  # fmt: skip
    with pytest.raises(InvalidValue) as backdated:
        c.authorise_medication(yesterday, NOW)
    assert backdated.value.field == "first_day"


def test_doses_stop_at_the_authorised_number_a_day_wherever_they_are_given():
    c = admitted()
    authorisation = MedicationAuthorisation(
        uuid4(), "布洛芬", "5 ml", 2, TODAY, TODAY + timedelta(days=1), MUM
    )
    c.authorise_medication(authorisation, NOW)
    morning, afternoon = NOW + timedelta(hours=2), NOW + timedelta(hours=6)
    c.give_dose(authorisation.authorisation_id, TODAY, morning, morning)  # at one institution
    c.give_dose(authorisation.authorisation_id, TODAY, afternoon, afternoon)  # at another
    with pytest.raises(DoseLimitReached) as third:
        c.give_dose(authorisation.authorisation_id, TODAY, afternoon, afternoon)
    assert third.value.field == "authorisation_id"
    tomorrow = afternoon + timedelta(days=1)
    c.give_dose(authorisation.authorisation_id, TODAY + timedelta(days=1), tomorrow, tomorrow)


def test_a_dose_other_than_the_authorised_one_is_refused_and_the_same_dose_in_other_words_is_not():
    authorisation = MedicationAuthorisation(uuid4(), "布洛芬", "5 ml", 2, TODAY, TODAY, MUM)
    assert authorisation.dose_to_give(None) == "5 ml"
    assert authorisation.dose_to_give(" 5ML ") == "5 ml"
    with pytest.raises(MedicationNotAuthorised) as refused:
        authorisation.dose_to_give("10 ml")
    assert refused.value.field == "dose" and refused.value.params["authorised_dose"] == "5 ml"


def test_a_released_booking_its_child_arrived_under_holds_the_childs_time_again():
    c = admitted()
    booking = uuid4()
    c.hold(Hold(booking, NOW + timedelta(minutes=30), NOW + timedelta(hours=3), TODAY, 510, 660,
                ROOM), NOW)  # fmt: skip
    c.release(booking, NOW + timedelta(minutes=50))
    c.attended_after_release(booking, NOW + timedelta(minutes=70))
    assert list(c.holds) == [booking] and not c.released
    with pytest.raises(ChildAlreadyBooked):  # the same child, twice at once: refused again
        c.hold(Hold(uuid4(), NOW + timedelta(hours=1), NOW + timedelta(hours=2)), NOW)


def test_a_released_booking_does_not_hold_time_the_child_was_booked_for_since():
    c = admitted()
    booking, since = uuid4(), uuid4()
    c.hold(Hold(booking, NOW + timedelta(minutes=30), NOW + timedelta(hours=3)), NOW)
    c.release(booking, NOW + timedelta(minutes=50))
    c.hold(Hold(since, NOW + timedelta(hours=2), NOW + timedelta(hours=4)), NOW)
    c.collect_events()
    c.attended_after_release(booking, NOW + timedelta(minutes=70))
    assert list(c.holds) == [since] and not c.collect_events()


def test_a_regular_place_covers_an_arrival_from_the_tolerance_before_its_start_until_its_end():
    c = admitted()
    enrolment = uuid4()
    c.hold_regular(RegularHold(enrolment, (TODAY.isoweekday(),), TODAY, TODAY, 510, 1020, ROOM),
                   NOW)  # fmt: skip  # 08:30–17:00
    assert c.care_covering(ROOM, NOW, TODAY, 480, 30) == (None, enrolment)  # 08:00
    assert c.care_covering(ROOM, NOW, TODAY, 1019, 30) == (None, enrolment)  # 16:59
    for minute in (479, 1020, 1040):  # 07:59, 17:00, 17:20: not within its hours
        with pytest.raises(CareNotCovered):
            c.care_covering(ROOM, NOW, TODAY, minute, 30)
