"""Value objects of an institution: opening hours, location, rooms."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from domain.class_types import ClassType
from domain.errors import InvalidValue


class OpeningInterval(msgspec.Struct, frozen=True):
    """Open on ISO weekday (1 = Monday) from `opens` to `closes`, minutes after local midnight."""

    weekday: int
    opens: int
    closes: int


class Location(msgspec.Struct, frozen=True):
    address: str
    lat: float
    lng: float


EARTH_KM = 6371.0088  # mean radius, as DISTANCE_KM in projections/institution_queries.py


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (lat, lng), as the SQL computes it."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2  # fmt: skip
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


class Room(msgspec.Struct, frozen=True):
    room_id: UUID
    name: str
    class_type: ClassType
    capacity: int
    children_per_carer: int


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_hhmm(at: datetime, timezone: str) -> str:
    """An instant as the wall clock in `timezone` shows it, "HH:MM"."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


MIDNIGHT = 24 * 60


def open_across_midnight(opening_hours: Iterable[OpeningInterval], day: date) -> bool:
    """Whether the institution is open at the midnight that begins `day`: until 24:00 the day
    before, or from 00:00 on `day`. Only then does care run on both sides of it, so that the
    rooms after midnight hold people of the day before (children not collected, carers on a
    night shift) beside the new day's; elsewhere a child still on the day before's record at
    the next opening is a pick-up never recorded (escalated since the evening)."""
    before = (day - timedelta(days=1)).isoweekday()
    return any(
        (o.weekday == before and o.closes == MIDNIGHT)
        or (o.weekday == day.isoweekday() and o.opens == 0)
        for o in opening_hours
    )


def check_opening_hours(intervals: tuple[OpeningInterval, ...]) -> None:
    """Each interval lies inside one day, opens before it closes, and none overlap on a weekday."""
    by_day: dict[int, list[OpeningInterval]] = {}
    for i, interval in enumerate(intervals):
        field = f"opening_hours[{i}]"
        if not 1 <= interval.weekday <= 7:
            raise InvalidValue("weekday must be 1 (Monday) to 7 (Sunday)", field=f"{field}.weekday")
        if not 0 <= interval.opens < interval.closes <= 24 * 60:
            raise InvalidValue(
                "opening time must be before closing time, within one day",
                field=field,
                opens=hhmm(interval.opens),
                closes=hhmm(min(interval.closes, 24 * 60)),
            )
        by_day.setdefault(interval.weekday, []).append(interval)
    for weekday, day in by_day.items():
        day.sort(key=lambda it: it.opens)
        for before, after in itertools.pairwise(day):
            if after.opens < before.closes:
                raise InvalidValue(
                    f"opening hours overlap on weekday {weekday}: "
                    f"{hhmm(before.opens)}–{hhmm(before.closes)} and "
                    f"{hhmm(after.opens)}–{hhmm(after.closes)}",
                    field="opening_hours",
                    weekday=weekday,
                )


def check_location(location: Location) -> None:
    if not -90.0 <= location.lat <= 90.0:
        raise InvalidValue("latitude must be between -90 and 90", field="location.lat")
    if not -180.0 <= location.lng <= 180.0:
        raise InvalidValue("longitude must be between -180 and 180", field="location.lng")
    if not location.address.strip():
        raise InvalidValue("address must not be empty", field="location.address")
