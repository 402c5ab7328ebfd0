"""Attendance in a room, minute by minute: arrivals, the morning check, staff, alarms, pick-up, care."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.attendance.care_log import CareEntry, CareKind
from domain.attendance.day import AttendanceDay
from domain.attendance.health import AbnormalOutcome, HealthCheck
from domain.attendance.room_ratio import RoomRules, room_status
from domain.attendance.values import (
    AbnormalCheckNeedsDecision,
    AlreadyCheckedIn,
    CheckInMethod,
    ChildNotPresent,
    CodeAlreadyUsed,
    Collector,
    IdentityCheck,
    InstitutionFull,
    NapRuleBroken,
    NotCheckedIn,
    NotClockedIn,
    PresentChild,
    VisitOverlaps,
)
from domain.booking.room_day import RatioWouldBreak, RoomFull
from domain.errors import InvalidValue

DAY = date(2026, 12, 1)
EIGHT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
ROOM = RoomRules(uuid4(), capacity=4, children_per_carer=3)
OTHER_ROOM = RoomRules(uuid4(), capacity=10, children_per_carer=5)
CARER, SECOND_CARER = uuid4(), uuid4()
WELL = HealthCheck(36.6)
FEVER = HealthCheck(38.1, look_ok=False, observations="flushed")
MUM = Collector("王芳", "13600000001", "guardian", IdentityCheck.app_code)


def opened() -> AttendanceDay:
    return AttendanceDay.open(uuid4(), DAY, EIGHT)


def arrive(day: AttendanceDay, room=ROOM, cpc=3, minutes=0, override=None, places=50, **kw):
    child = PresentChild(uuid4(), room.room_id, EIGHT + timedelta(minutes=minutes), cpc)
    args = dict(
        filed_places=places, by=CARER, method=CheckInMethod.manual, health=WELL, outcome=None,
        note="", override_reason=override, code=None, local_time="08:00", now=EIGHT,
    )  # fmt: skip
    args.update(kw)
    return child, day.check_in(child, room, **args)


def staffed(carers=1) -> AttendanceDay:
    day = opened()
    for carer in (CARER, SECOND_CARER)[:carers]:
        day.clock_in(carer, ROOM, None, EIGHT, EIGHT)
    return day


def events(day: AttendanceDay) -> list[str]:
    return [type(e).__name__ for e in day.collect_events()]


def test_a_child_is_checked_in_while_a_clocked_in_carer_keeps_the_ratio():
    day = staffed()
    child, outcome = arrive(day)
    assert outcome == "checked_in"
    assert day.present[child.child_id].room_id == ROOM.room_id


def test_a_check_in_without_any_carer_clocked_in_is_refused_naming_the_minute():
    with pytest.raises(RatioWouldBreak) as refused:
        arrive(opened())
    assert refused.value.params["minute"] == "08:00"


def test_the_fourth_infant_needs_a_second_carer():
    day = staffed()
    for _ in range(3):
        arrive(day)
    with pytest.raises(RatioWouldBreak):
        arrive(day)


def test_an_admin_override_admits_past_the_ratio_and_raises_the_alarm():
    day = staffed()
    for _ in range(3):
        arrive(day)
    day.collect_events()
    arrive(day, override="the second carer is parking")
    assert events(day) == ["ChildCheckedIn", "RoomOutOfBounds"]
    assert day.alarms[ROOM.room_id] == "ratio"


def test_an_override_reason_where_the_room_takes_the_child_is_no_override():
    day = staffed()
    arrive(day, override="以防万一")  # 1 child, 1 carer: nothing to let past
    [arrived] = [e for e in day.collect_events() if type(e).__name__ == "ChildCheckedIn"]
    assert arrived.override_reason is None  # kept out of the audit trail of overrides


def test_a_full_room_refuses_even_with_carers_enough():
    day = staffed(carers=2)
    for _ in range(4):
        arrive(day)
    with pytest.raises(RoomFull):
        arrive(day)


def test_the_filed_places_cap_the_whole_institution():
    day = staffed()
    arrive(day, places=1)
    with pytest.raises(InstitutionFull):
        arrive(day, places=1)


def test_a_mixed_room_tightens_when_an_infant_arrives():
    mixed = RoomRules(uuid4(), capacity=18, children_per_carer=7)
    day = opened()
    day.clock_in(CARER, mixed, None, EIGHT, EIGHT)
    for _ in range(5):
        arrive(day, room=mixed, cpc=7)
    with pytest.raises(RatioWouldBreak):
        arrive(day, room=mixed, cpc=5)  # a child under 24 months: 1:5 now governs six children
    assert room_status([7, 7, 7, 7, 7, 5], 1, 18).required_staff == 2


def test_a_child_already_in_is_not_checked_in_twice():
    day = staffed()
    child, _ = arrive(day)
    with pytest.raises(AlreadyCheckedIn):
        day.check_in(child, ROOM, filed_places=50, by=CARER, method=CheckInMethod.manual,
                     health=WELL, outcome=None, note="", override_reason=None, code=None,
                     local_time="08:05", now=EIGHT)  # fmt: skip


def test_an_abnormal_morning_check_needs_a_decision():
    with pytest.raises(AbnormalCheckNeedsDecision) as refused:
        arrive(staffed(), health=FEVER)
    assert "体温38.1℃" in refused.value.detail


def test_an_abnormal_morning_check_refused_records_the_child_as_turned_away():
    day = staffed()
    day.collect_events()
    child, outcome = arrive(day, health=FEVER, outcome=AbnormalOutcome.refuse, note="fever")
    assert outcome == "turned_away"
    assert child.child_id not in day.present and child.child_id in day.turned_away
    assert events(day) == ["ChildTurnedAway"]


def test_a_child_turned_away_then_let_in_after_a_second_check_is_no_longer_turned_away():
    day = staffed()
    child, _ = arrive(day, health=FEVER, outcome=AbnormalOutcome.refuse, note="fever")
    day.check_in(child, ROOM, filed_places=50, by=CARER, method=CheckInMethod.manual,
                 health=WELL, outcome=None, note="复测正常", override_reason=None, code=None,
                 local_time="08:30", now=EIGHT)  # fmt: skip
    assert child.child_id in day.present and child.child_id not in day.turned_away


def test_admitting_after_an_abnormal_check_needs_a_note():
    day = staffed()
    with pytest.raises(InvalidValue):
        arrive(day, health=FEVER, outcome=AbnormalOutcome.admit_with_note, note=" ")
    _, outcome = arrive(day, health=FEVER, outcome=AbnormalOutcome.admit_with_note, note="watch")
    assert outcome == "checked_in"


def test_an_impossible_temperature_is_refused_by_field():
    with pytest.raises(InvalidValue) as refused:
        arrive(staffed(), health=HealthCheck(25.0))
    assert refused.value.field == "health_check.temperature_c"


def test_a_one_time_code_cannot_be_used_twice():
    day = staffed()
    arrive(day, code="c:123456")
    with pytest.raises(CodeAlreadyUsed):
        arrive(day, code="c:123456")


def test_a_carer_clocking_out_raises_the_ratio_alarm_and_clocking_back_clears_it():
    day = staffed()
    arrive(day)
    day.collect_events()
    day.clock_out(CARER, ROOM, EIGHT + timedelta(hours=1), EIGHT)
    assert events(day) == ["StaffClockedOut", "RoomOutOfBounds"]
    day.clock_in(SECOND_CARER, ROOM, None, EIGHT + timedelta(hours=1), EIGHT)
    assert events(day) == ["StaffClockedIn", "RoomBackInBounds"]


def test_a_carer_moving_rooms_clocks_out_of_the_first_and_in_to_the_second():
    day = staffed()
    day.collect_events()
    day.clock_in(CARER, OTHER_ROOM, ROOM, EIGHT + timedelta(hours=2), EIGHT)
    assert events(day) == ["StaffClockedOut", "StaffClockedIn"]
    assert day.staff[CARER] == OTHER_ROOM.room_id


def test_clocking_out_of_a_room_one_is_not_in_is_refused():
    with pytest.raises(NotClockedIn):
        staffed().clock_out(CARER, OTHER_ROOM, EIGHT, EIGHT)


def test_checking_out_a_child_not_checked_in_or_twice_is_refused():
    day = staffed()
    with pytest.raises(NotCheckedIn):
        day.check_out(uuid4(), ROOM, MUM, by=CARER, at=EIGHT, code=None, now=EIGHT)
    child, _ = arrive(day)
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=EIGHT + timedelta(hours=8), code=None,
                  now=EIGHT)  # fmt: skip
    with pytest.raises(NotCheckedIn) as twice:
        day.check_out(child.child_id, ROOM, MUM, by=CARER, at=EIGHT + timedelta(hours=8),
                      code=None, now=EIGHT)  # fmt: skip
    assert "already collected" in twice.value.detail


def test_a_pick_up_before_the_arrival_is_refused():
    day = staffed()
    child, _ = arrive(day, minutes=30)
    with pytest.raises(InvalidValue):
        day.check_out(child.child_id, ROOM, MUM, by=CARER, at=EIGHT, code=None, now=EIGHT)


def care(kind: CareKind, children: tuple[UUID, ...] = (), minutes=0, **kw) -> CareEntry:
    return CareEntry(uuid4(), kind, ROOM.room_id, children, EIGHT + timedelta(minutes=minutes),
                     CARER, **kw)  # fmt: skip


def collect(day: AttendanceDay, child: PresentChild, minutes: int) -> None:
    left = EIGHT + timedelta(minutes=minutes)
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=left, code=None, now=left)


def test_lunch_for_the_whole_room_reaches_every_child_present():
    day = staffed(carers=2)
    present = {arrive(day)[0].child_id for _ in range(3)}
    entry = day.log_care(care(CareKind.meal, meal="lunch", amount="most"), EIGHT)
    assert set(entry.child_ids) == present


def test_a_carer_cannot_clock_out_or_move_before_clocking_in():
    day = staffed()
    for leave in (
        lambda: day.clock_out(CARER, ROOM, EIGHT - timedelta(minutes=1), EIGHT),
        lambda: day.clock_in(CARER, OTHER_ROOM, ROOM, EIGHT - timedelta(minutes=1), EIGHT),
    ):
        with pytest.raises(InvalidValue) as refused:
            leave()
        assert refused.value.field == "at"
    assert day.staff[CARER] == ROOM.room_id
    day.clock_out(CARER, ROOM, EIGHT, EIGHT)  # the same minute is fine


def test_care_replayed_late_goes_to_the_children_in_the_room_at_its_own_time():
    day = staffed(carers=2)
    stayed, left = arrive(day)[0], arrive(day)[0]
    collect(day, left, minutes=240)  # 12:00, live
    later = arrive(day, minutes=300)[0]  # 13:00
    lunch = day.log_care(care(CareKind.meal, minutes=180, meal="lunch"), EIGHT)  # 11:00
    assert set(lunch.child_ids) == {stayed.child_id, left.child_id}
    with pytest.raises(ChildNotPresent):  # not yet arrived at 11:00
        day.log_care(care(CareKind.meal, (later.child_id,), minutes=180, meal="lunch"), EIGHT)


def test_a_child_named_within_the_devices_clock_skew_of_its_arrival_is_cared_for():
    day = staffed()
    child, _ = arrive(day, minutes=1)
    entry = day.log_care(care(CareKind.observation, (child.child_id,), note="情绪愉快"), EIGHT)
    assert entry.child_ids == (child.child_id,)


def test_a_nap_end_replayed_after_its_child_was_collected_is_recorded_as_history():
    day = staffed()
    child, _ = arrive(day)
    day.log_care(care(CareKind.nap_start, (child.child_id,), minutes=60), EIGHT)
    collect(day, child, minutes=180)  # collected by another device before the tablet synced
    day.log_care(care(CareKind.nap_check, (child.child_id,), minutes=75), EIGHT)
    day.log_care(care(CareKind.nap_end, (child.child_id,), minutes=120), EIGHT)
    assert child.child_id not in day.napping


def test_a_nap_replayed_from_a_room_its_child_has_left_for_another_is_history_there():
    day = staffed()
    day.clock_in(SECOND_CARER, OTHER_ROOM, None, EIGHT, EIGHT)
    child, _ = arrive(day)
    collect(day, child, minutes=100)
    back = EIGHT + timedelta(minutes=110)  # brought to the other room
    moved = PresentChild(child.child_id, OTHER_ROOM.room_id, back, 5)
    day.check_in(moved, OTHER_ROOM, filed_places=50, by=CARER, method=CheckInMethod.manual,
                 health=WELL, outcome=None, note="", override_reason=None, code=None,
                 local_time="09:50", now=back)  # fmt: skip
    day.log_care(care(CareKind.nap_start, (child.child_id,), minutes=60), back)  # synced late
    assert child.child_id not in day.napping  # not asleep in the room it is in now
    nap = CareEntry(uuid4(), CareKind.nap_start, OTHER_ROOM.room_id, (child.child_id,),
                    back + timedelta(minutes=10), CARER)  # fmt: skip
    day.log_care(nap, back + timedelta(minutes=10))
    assert day.napping[child.child_id] == back + timedelta(minutes=10)


def test_care_for_a_child_not_in_the_room_is_refused():
    day = staffed()
    with pytest.raises(ChildNotPresent):
        day.log_care(care(CareKind.meal, (uuid4(),), meal="lunch"), EIGHT)


def test_one_tap_nap_entries_for_the_room_cover_the_children_awake_or_asleep_as_fits():
    day = staffed()
    sleeper, _ = arrive(day)
    wakeful, _ = arrive(day)
    day.log_care(care(CareKind.nap_start, (sleeper.child_id,), minutes=60), EIGHT)
    check = day.log_care(care(CareKind.nap_check, minutes=70), EIGHT)  # the whole room
    assert check.child_ids == (sleeper.child_id,)  # not refused for the child awake
    rest = day.log_care(care(CareKind.nap_start, minutes=75), EIGHT)
    assert rest.child_ids == (wakeful.child_id,)  # the one not yet asleep
    end = day.log_care(care(CareKind.nap_end, minutes=120), EIGHT)
    assert set(end.child_ids) == {sleeper.child_id, wakeful.child_id} and not day.napping
    with pytest.raises(NapRuleBroken) as refused:
        day.log_care(care(CareKind.nap_check, minutes=125), EIGHT)  # nobody asleep
    assert refused.value.field == "room_id"


def test_a_meal_must_name_which_meal():
    day = staffed()
    arrive(day)
    with pytest.raises(InvalidValue) as refused:
        day.log_care(care(CareKind.meal, meal="feast"), EIGHT)
    assert refused.value.field == "meal"


def test_a_nap_is_checked_only_after_it_started():
    day = staffed()
    child, _ = arrive(day)
    with pytest.raises(NapRuleBroken):
        day.log_care(care(CareKind.nap_check, (child.child_id,)), EIGHT)
    day.log_care(care(CareKind.nap_start, (child.child_id,)), EIGHT)
    day.log_care(care(CareKind.nap_check, (child.child_id,), note="breathing calm"), EIGHT)
    day.log_care(care(CareKind.nap_end, (child.child_id,)), EIGHT)
    assert child.child_id not in day.napping


def test_medication_without_an_authorisation_is_refused():
    day = staffed()
    child, _ = arrive(day)
    with pytest.raises(InvalidValue) as refused:
        day.log_care(care(CareKind.medication, (child.child_id,)), EIGHT)
    assert refused.value.field == "authorisation_id"


def test_an_uncollected_child_escalates_once_per_level_however_often_the_job_runs():
    day = staffed()
    child, _ = arrive(day)
    due = EIGHT + timedelta(hours=9, minutes=15)
    every = timedelta(minutes=15)
    assert day.escalate_uncollected(due, every, due - timedelta(minutes=1)) == 0
    assert day.escalate_uncollected(due, every, due) == 1
    assert day.escalate_uncollected(due, every, due + timedelta(minutes=5)) == 0
    assert day.escalate_uncollected(due, every, due + every) == 1
    assert day.escalations[child.child_id] == 2
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=due + every, code=None, now=due)
    assert day.escalate_uncollected(due, every, due + every * 5) == 0


def test_a_check_in_replayed_late_counts_the_carer_who_was_there_at_its_own_time():
    day = staffed(carers=1)
    day.clock_out(CARER, ROOM, EIGHT + timedelta(minutes=20), EIGHT + timedelta(minutes=20))
    day.collect_events()
    late = {"now": EIGHT + timedelta(minutes=30), "local_time": "08:05"}
    _, outcome = arrive(day, minutes=5, **late)  # recorded 08:05 on a tablet offline
    assert outcome == "checked_in"
    assert events(day) == ["ChildCheckedIn", "RoomOutOfBounds"]  # nobody is with it now
    with pytest.raises(RatioWouldBreak):  # a live arrival now finds no carer
        arrive(day, minutes=30, now=EIGHT + timedelta(minutes=30))


def test_a_check_in_replayed_late_into_a_room_that_was_full_at_its_time_is_refused():
    day = staffed(carers=2)
    first, _ = arrive(day)
    for _ in range(3):
        arrive(day)
    left = EIGHT + timedelta(minutes=15)
    day.check_out(first.child_id, ROOM, MUM, by=CARER, at=left, code=None, now=left)
    with pytest.raises(RoomFull) as refused:
        arrive(day, minutes=5, now=EIGHT + timedelta(minutes=30), local_time="08:05")
    assert refused.value.params["minute"] == "08:05"
    _, outcome = arrive(day, minutes=30, now=EIGHT + timedelta(minutes=30))  # live: 3 here
    assert outcome == "checked_in"


def test_an_arrival_replayed_into_a_visit_recorded_meanwhile_is_refused():
    day = staffed()
    child, _ = arrive(day, minutes=10, now=EIGHT + timedelta(minutes=10))  # another device
    left = EIGHT + timedelta(minutes=60)
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=left, code=None, now=left)
    replayed = PresentChild(child.child_id, ROOM.room_id, EIGHT + timedelta(minutes=5), 3)
    args = dict(
        filed_places=50, by=CARER, method=CheckInMethod.manual, health=WELL, outcome=None,
        note="", override_reason=None, code=None, local_time="08:05",
        now=EIGHT + timedelta(minutes=90),
    )  # fmt: skip
    with pytest.raises(VisitOverlaps) as refused:
        day.check_in(replayed, ROOM, **args)  # type: ignore[arg-type]
    assert refused.value.field == "at"
    again = PresentChild(child.child_id, ROOM.room_id, left - timedelta(minutes=1), 3)
    assert day.check_in(again, ROOM, **args) == "checked_in"  # type: ignore[arg-type]


def test_a_replayed_arrival_counts_a_carer_who_clocked_in_within_the_devices_skew():
    day = opened()
    clocked = EIGHT + timedelta(minutes=1)  # the carer's phone; the tablet runs a minute slow
    day.clock_in(CARER, ROOM, None, clocked, clocked)
    _, outcome = arrive(day, minutes=0, now=EIGHT + timedelta(minutes=30))
    assert outcome == "checked_in"


def test_a_child_collected_and_brought_back_at_once_by_devices_with_skewed_clocks_arrives():
    day = staffed()
    child, _ = arrive(day, now=EIGHT)
    ahead = EIGHT + timedelta(minutes=20)  # device A runs 2 minutes fast
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=ahead, code=None, now=ahead)
    back = PresentChild(child.child_id, ROOM.room_id, ahead - timedelta(minutes=3), 3)
    args = dict(
        filed_places=50, by=CARER, method=CheckInMethod.manual, health=WELL, outcome=None,
        note="", override_reason=None, code=None, local_time="08:17", now=ahead,
    )  # fmt: skip
    assert day.check_in(back, ROOM, **args) == "checked_in"  # type: ignore[arg-type]


def test_a_replayed_return_within_the_skew_of_its_own_departure_is_not_counted_twice():
    """The child left at 08:20 by one device; another, offline, had it back at 08:19 (clocks a
    minute apart). At 08:19 the room held it once, with two others: 1:3 holds."""
    day = staffed()
    child, _ = arrive(day)
    arrive(day)
    arrive(day)
    left = EIGHT + timedelta(minutes=20)
    day.check_out(child.child_id, ROOM, MUM, by=CARER, at=left, code=None, now=left)
    back = PresentChild(child.child_id, ROOM.room_id, left - timedelta(minutes=1), 3)
    args = dict(
        filed_places=3, by=CARER, method=CheckInMethod.manual, health=WELL, outcome=None,
        note="", override_reason=None, code=None, local_time="08:19",
        now=EIGHT + timedelta(minutes=50),
    )  # fmt: skip
    assert day.check_in(back, ROOM, **args) == "checked_in"  # type: ignore[arg-type]
