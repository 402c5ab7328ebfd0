"""The shared rule of being at one institution at a time (domain/one_place_at_a_time.py), with
the stays that ended lately, which an arrival replayed late may still fall in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.clocks import REPLAYS_REACH_BACK
from domain.one_place_at_a_time import (
    LONGEST_PRESENCE,
    Stay,
    present_elsewhere,
    with_ended_stay,
)

NINE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
FIVE = NINE + timedelta(hours=8)
MINUTE = timedelta(minutes=1)
HERE, THERE = uuid4(), uuid4()


def _stayed_there_nine_to_five() -> tuple[Stay, ...]:
    return with_ended_stay((), THERE, NINE, FIVE)


def test_an_arrival_here_inside_a_stay_there_that_has_ended_is_found():
    found = present_elsewhere({}, _stayed_there_nine_to_five(), HERE, NINE + timedelta(hours=1))
    assert found == (THERE, NINE, FIVE)


def test_an_arrival_here_a_minute_before_the_stay_there_ended_is_found():
    assert present_elsewhere({}, _stayed_there_nine_to_five(), HERE, FIVE - MINUTE) is not None


def test_an_arrival_here_at_the_very_moment_the_stay_there_ended_is_fine():
    assert present_elsewhere({}, _stayed_there_nine_to_five(), HERE, FIVE) is None


def test_an_arrival_here_from_before_the_stay_there_began_is_history_and_stands():
    ended = _stayed_there_nine_to_five()
    assert present_elsewhere({}, ended, HERE, NINE - MINUTE) is None
    assert present_elsewhere({THERE: NINE}, (), HERE, NINE - MINUTE) is None  # open alike


def test_an_arrival_at_the_institution_of_the_stay_is_left_to_its_own_day():
    assert present_elsewhere({}, _stayed_there_nine_to_five(), THERE, NINE) is None


def test_a_stay_there_still_open_is_found_with_no_end():
    assert present_elsewhere({THERE: NINE}, (), HERE, FIVE) == (THERE, NINE, None)


def test_a_stay_that_ended_longer_ago_than_any_replay_reaches_is_forgotten():
    ended = _stayed_there_nine_to_five()
    last = FIVE + REPLAYS_REACH_BACK  # a departure here this long after: the stay there is kept
    assert with_ended_stay(ended, HERE, last - MINUTE, last) == (
        *ended, Stay(HERE, last - MINUTE, last),
    )  # fmt: skip
    later = last + MINUTE  # a minute later: forgotten
    assert with_ended_stay(ended, HERE, later - MINUTE, later) == (
        Stay(HERE, later - MINUTE, later),
    )


def test_a_stay_whose_departure_was_forgotten_binds_no_longer_than_an_open_one():
    forgotten = with_ended_stay((), THERE, NINE, NINE + timedelta(days=3))
    assert forgotten == (Stay(THERE, NINE, NINE + LONGEST_PRESENCE),)
    assert present_elsewhere({}, forgotten, HERE, NINE + LONGEST_PRESENCE) is None


def test_a_departure_at_the_arrival_itself_leaves_no_stay():
    assert with_ended_stay((), THERE, NINE, NINE) == ()
