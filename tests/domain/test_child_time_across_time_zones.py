"""A child's time is one real time line, whatever the zone of each institution it is held in:
a regular place in Shanghai (UTC+8) and a booking or a place in Urumqi (UTC+6) are compared
in real instants, not by their local clocks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.child.aggregate import Child, ChildAlreadyBooked, Hold, RegularHold
from tests.domain.test_child_attendance_rules import NOW, child

SHANGHAI, URUMQI = "Asia/Shanghai", "Asia/Urumqi"
WEDNESDAY = date(2026, 12, 9)
THURSDAY = date(2026, 12, 10)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _instant(day: date, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)) + timedelta(minutes=minute)


def _booking(zone: str, day: date, start: str, end: str) -> Hold:
    """A booking on a local day of an institution in `zone`, as the booking service holds it."""
    s, e = _minutes(start), _minutes(end)
    return Hold(uuid4(), _instant(day, s, zone), _instant(day, e, zone), day, s, e,
                uuid4())  # fmt: skip


def _term(zone: str, weekday: int, start: str, end: str) -> RegularHold:
    """A regular place on one weekday for December, in an institution in `zone` (Shanghai's
    is the default: the families' zone, which places recorded before zones were kept read)."""
    zoned = {} if zone == SHANGHAI else {"timezone": zone}
    return RegularHold(uuid4(), (weekday,), date(2026, 12, 1), date(2026, 12, 31),
                       _minutes(start), _minutes(end), uuid4(), **zoned)  # fmt: skip


def _in_shanghai_on_wednesdays() -> Child:
    """A child with a regular place in Shanghai, Wednesdays 08:30–17:00 (00:30–09:00 UTC)."""
    c = child()
    c.hold_regular(_term(SHANGHAI, 3, "08:30", "17:00"), NOW)
    return c


def test_an_urumqi_booking_inside_the_shanghai_place_in_real_time_is_refused():
    c = _in_shanghai_on_wednesdays()
    with pytest.raises(ChildAlreadyBooked):  # 06:30–08:00 Urumqi is 08:30–10:00 Shanghai
        c.hold(_booking(URUMQI, WEDNESDAY, "06:30", "08:00"), NOW)


def test_an_urumqi_booking_after_the_shanghai_place_in_real_time_is_accepted():
    c = _in_shanghai_on_wednesdays()
    c.hold(_booking(URUMQI, WEDNESDAY, "15:30", "17:00"), NOW)  # 17:30–19:00 in Shanghai
    assert len(c.holds) == 1


def test_an_urumqi_booking_ending_when_the_shanghai_place_begins_is_accepted():
    c = _in_shanghai_on_wednesdays()
    c.hold(_booking(URUMQI, WEDNESDAY, "05:30", "06:30"), NOW)  # until 08:30 in Shanghai
    assert len(c.holds) == 1


def test_a_booking_on_a_wednesday_evening_in_urumqi_meets_a_thursday_place_in_shanghai():
    """22:30–23:30 on Wednesday in Urumqi is 00:30–01:30 on Thursday in Shanghai."""
    c = child()
    c.hold_regular(_term(SHANGHAI, 4, "00:00", "06:00"), NOW)
    with pytest.raises(ChildAlreadyBooked):
        c.hold(_booking(URUMQI, WEDNESDAY, "22:30", "23:30"), NOW)


def test_a_wednesday_evening_place_in_urumqi_meets_a_thursday_booking_in_shanghai():
    c = child()
    c.hold_regular(_term(URUMQI, 3, "22:00", "24:00"), NOW)  # Thursday 00:00–02:00 in Shanghai
    with pytest.raises(ChildAlreadyBooked):
        c.hold(_booking(SHANGHAI, THURSDAY, "01:00", "02:00"), NOW)
    c.hold(_booking(SHANGHAI, THURSDAY, "02:00", "03:00"), NOW)
    assert len(c.holds) == 1


def test_in_one_zone_a_booking_overlapping_the_place_is_refused_and_one_after_it_accepted():
    c = _in_shanghai_on_wednesdays()
    with pytest.raises(ChildAlreadyBooked):
        c.hold(_booking(SHANGHAI, WEDNESDAY, "16:30", "18:00"), NOW)
    c.hold(_booking(SHANGHAI, WEDNESDAY, "17:00", "18:00"), NOW)
    c.hold(_booking(SHANGHAI, THURSDAY, "09:00", "10:00"), NOW)  # not a day of the place
    assert len(c.holds) == 2


def test_a_place_in_shanghai_is_refused_over_an_urumqi_booking_it_meets_in_real_time():
    c = child()
    c.hold(_booking(URUMQI, WEDNESDAY, "06:30", "08:00"), NOW)
    with pytest.raises(ChildAlreadyBooked, match=WEDNESDAY.isoformat()):
        c.hold_regular(_term(SHANGHAI, 3, "08:30", "17:00"), NOW)


def test_a_place_in_shanghai_is_taken_beside_an_urumqi_booking_after_it_in_real_time():
    c = child()
    c.hold(_booking(URUMQI, WEDNESDAY, "15:30", "17:00"), NOW)
    c.hold_regular(_term(SHANGHAI, 3, "08:30", "17:00"), NOW)
    assert len(c.regular) == 1


def test_two_places_in_different_zones_are_compared_in_real_time():
    c = _in_shanghai_on_wednesdays()
    with pytest.raises(ChildAlreadyBooked):
        c.hold_regular(_term(URUMQI, 3, "06:30", "08:00"), NOW)
    c.hold_regular(_term(URUMQI, 3, "15:30", "17:00"), NOW)
    assert len(c.regular) == 2


def test_a_wednesday_evening_place_in_urumqi_meets_a_thursday_place_in_shanghai():
    c = child()
    c.hold_regular(_term(SHANGHAI, 4, "00:00", "06:00"), NOW)
    with pytest.raises(ChildAlreadyBooked):
        c.hold_regular(_term(URUMQI, 3, "22:00", "23:30"), NOW)


def test_two_places_in_one_zone_still_compare_weekdays_and_minutes():
    c = _in_shanghai_on_wednesdays()
    with pytest.raises(ChildAlreadyBooked):
        c.hold_regular(_term(SHANGHAI, 3, "16:00", "18:00"), NOW)
    c.hold_regular(_term(SHANGHAI, 3, "17:00", "18:00"), NOW)
    c.hold_regular(_term(SHANGHAI, 4, "08:30", "17:00"), NOW)
    assert len(c.regular) == 3


def test_two_bookings_in_different_zones_are_compared_in_real_time():
    c = child()
    c.hold(_booking(SHANGHAI, WEDNESDAY, "08:30", "10:00"), NOW)
    with pytest.raises(ChildAlreadyBooked):
        c.hold(_booking(URUMQI, WEDNESDAY, "06:30", "08:00"), NOW)
    c.hold(_booking(URUMQI, WEDNESDAY, "08:30", "10:00"), NOW)  # 10:30–12:00 in Shanghai
    assert len(c.holds) == 2


def test_a_place_recorded_before_zones_were_kept_reads_in_the_families_zone():
    place = RegularHold(uuid4(), (3,), date(2026, 12, 1), date(2026, 12, 31), 510, 1020)
    assert place.timezone == SHANGHAI
    assert place.times_on(WEDNESDAY) == (
        datetime.fromisoformat("2026-12-09T00:30:00+00:00"),
        datetime.fromisoformat("2026-12-09T09:00:00+00:00"),
    )
