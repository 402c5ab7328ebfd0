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
