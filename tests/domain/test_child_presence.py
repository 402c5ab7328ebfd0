"""Where a child is checked in, kept on the child across institutions (domain/child/presence.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.child.presence import PresentElsewhere
from tests.domain.test_child_attendance_rules import TODAY, admitted

NINE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
HERE, THERE = uuid4(), uuid4()


def test_a_child_checked_in_here_is_refused_there_until_collected_here():
    c = admitted()
    c.arrive(HERE, TODAY, NINE, None, NINE)
    with pytest.raises(PresentElsewhere) as refused:
        c.check_not_present_elsewhere(THERE, NINE + timedelta(hours=2))
    assert refused.value.params["institution_id"] == str(HERE)
    c.check_not_present_elsewhere(HERE, NINE + timedelta(hours=2))  # its own institution's day
    c.leave(HERE, NINE + timedelta(hours=2), None, NINE + timedelta(hours=2))
    c.check_not_present_elsewhere(THERE, NINE + timedelta(hours=2))


def test_an_arrival_replayed_from_before_the_stay_elsewhere_began_stands_and_keeps_that_stay():
    c = admitted()
    c.arrive(HERE, TODAY, NINE, None, NINE)
    c.check_not_present_elsewhere(THERE, NINE - timedelta(hours=1))
    c.arrive(THERE, TODAY, NINE - timedelta(hours=1), None, NINE)
    c.leave(THERE, NINE - timedelta(minutes=5), None, NINE)  # its pick-up there, replayed too
    with pytest.raises(PresentElsewhere):
        c.check_not_present_elsewhere(THERE, NINE + timedelta(hours=1))


def test_a_child_nobody_collected_yesterday_is_still_there_after_midnight_until_collected():
    c = admitted()
    yesterday = NINE - timedelta(days=1)
    c.arrive(HERE, TODAY - timedelta(days=1), yesterday, None, yesterday)
    with pytest.raises(PresentElsewhere):
        c.check_not_present_elsewhere(THERE, NINE - timedelta(hours=2))  # 07:00
    c.check_not_present_elsewhere(THERE, yesterday + timedelta(hours=24))  # a pick-up forgotten


def test_a_pick_up_of_yesterdays_stay_replayed_late_does_not_end_todays_stay_there():
    c = admitted()
    c.arrive(HERE, TODAY - timedelta(days=1), NINE - timedelta(days=1), None, NINE)
    c.arrive(HERE, TODAY, NINE, None, NINE)
    c.collect_events()
    c.leave(HERE, NINE - timedelta(hours=8), None, NINE)  # 01:00 today, yesterday's stay
    assert c.collect_events() == []
    with pytest.raises(PresentElsewhere):
        c.check_not_present_elsewhere(THERE, NINE + timedelta(hours=1))


def test_the_first_arrival_counts_as_the_day_last_attended():
    c = admitted()
    c.arrive(HERE, date(2026, 12, 1), NINE, None, NINE)
    assert c.last_attended == date(2026, 12, 1)


def test_an_arrival_replayed_late_inside_a_stay_elsewhere_that_ended_is_refused():
    c = admitted()
    c.arrive(HERE, TODAY, NINE, None, NINE)
    collected = NINE + timedelta(hours=8)
    c.leave(HERE, collected, None, collected)
    with pytest.raises(PresentElsewhere) as refused:
        c.check_not_present_elsewhere(THERE, NINE + timedelta(hours=1))
    assert refused.value.params == {
        "institution_id": str(HERE), "since": NINE.isoformat(), "until": collected.isoformat(),
    }  # fmt: skip
    c.check_not_present_elsewhere(THERE, collected)  # at the pick-up: gone from here
    c.check_not_present_elsewhere(THERE, NINE - timedelta(minutes=1))  # before: history


def test_a_late_arrival_from_before_a_stay_elsewhere_stands_and_its_own_pick_up_ends_it():
    """Here 09:00–17:00; there 08:00–08:45 replayed at 18:00: both are true, in that order."""
    c = admitted()
    c.arrive(HERE, TODAY, NINE, None, NINE)
    c.leave(HERE, NINE + timedelta(hours=8), None, NINE + timedelta(hours=8))
    c.check_not_present_elsewhere(THERE, NINE - timedelta(hours=1))
    c.arrive(THERE, TODAY, NINE - timedelta(hours=1), None, NINE + timedelta(hours=9))
    c.leave(THERE, NINE - timedelta(minutes=15), None, NINE + timedelta(hours=9))
    assert [s.institution_id for s in c.ended_stays] == [HERE, THERE]
    with pytest.raises(PresentElsewhere):
        c.check_not_present_elsewhere(HERE, NINE - timedelta(minutes=30))


def test_a_childs_ended_stays_are_kept_only_while_a_replay_can_still_reach_them():
    c = admitted()
    for days in range(5):
        came = NINE + timedelta(days=days)
        c.arrive(HERE, TODAY + timedelta(days=days), came, None, came)
        c.leave(HERE, came + timedelta(hours=8), None, came + timedelta(hours=8))
    assert [s.since for s in c.ended_stays] == [NINE + timedelta(days=3), NINE + timedelta(days=4)]
