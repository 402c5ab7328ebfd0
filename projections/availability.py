"""Where a child can be cared for: rooms near home free for a whole interval on a day.

Takes the rooms within the radius with their terms from the process's copy of the
`institutions` read model (projections/room_catalogue.py; or from the read model itself), takes
the bookings, regular places and held offers of those rooms that day from the process's copy
of who is present (projections/room_presence.py; what it lacks in one query), and decides
in Python with the domain's own rules: age window, opening hours, offer window, notice, visit length,
and capacity and ratio at every minute (`first_breach`). A hint for parents, never a
promise: the booking command decides again on the aggregate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.booking.capacity import Presence, crowd_fits, first_breach
from domain.booking.eligibility import AgeDoesNotFit, check_age_fits, children_per_carer
from domain.booking.terms import CareOffer, price_fen
from domain.class_types import NATIONAL, ClassRules, ClassType
from domain.clocks import local_instant as local_instant
from projections.institution_queries import DISTANCE_KM
from projections.room_catalogue import (
    ROOM_COLUMNS,
    ROOMS,
    Institution,
    Nearby,
    Room,
    RoomCatalogue,
    ShowRoom,
    Slot,
    by_institution,
    rooms_from,
)
from projections.room_presence import NOBODY, Present, RoomPresence

# A box around the circle (a degree of latitude is at least 110.5 km; one of longitude
# shrinks with the cosine of the box's farthest latitude): cheap comparisons first, so the
# great-circle distance is computed only for institutions that may be inside the radius.
_NEAR_BOX = (
    "i.lat BETWEEN $1 - $3 / 110.5 AND $1 + $3 / 110.5"
    " AND abs(i.lng - $2) <= $3 / (110.5 * cos(radians(least(abs($1) + $3 / 110.5, 89.0))))"
)
_CANDIDATES = (
    f"SELECT {ROOM_COLUMNS}, {DISTANCE_KM} AS distance_km{ROOMS}"
    f" WHERE r.class_type = ANY($4::text[]) AND {_NEAR_BOX} AND {DISTANCE_KM} <= $3"
    " AND NOT EXISTS (SELECT 1 FROM rm_closures c WHERE c.institution_id = i.id"
    " AND c.day = $5 AND (c.room_id IS NULL OR c.room_id = r.id))"
)
_CLASS_TYPES = {c.value: c for c in ClassType}
# How an answer shows an institution: it, its distance (km), its rooms (each as ShowRoom made it).
ShowInstitution = Callable[[Institution, float, list[Any]], Any]


def ages_that_fit(birth_date: date, day: date, rules: ClassRules) -> dict[ClassType, int]:
    """Class types whose age window (in a city's `rules`) takes the child on `day`, with the
    child's age in months."""
    fits = {}
    for class_type in ClassType:
        try:
            fits[class_type] = check_age_fits(class_type, birth_date, day, rules)
        except AgeDoesNotFit:
            continue
    return fits


async def find_available(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    lat: float,
    lng: float,
    radius_km: float,
    day: date,
    start_min: int,
    end_min: int,
    birth_date: date,
    care_type: str | None,
    now: datetime,
    limit: int = 50,
    catalogue: tuple[RoomCatalogue, int] | None = None,
    presence: RoomPresence | None = None,
    show_room: ShowRoom | None = None,
    show_institution: ShowInstitution | None = None,
    used_minutes: Mapping[tuple[UUID, str], int] | None = None,
    taken: Sequence[tuple[datetime, datetime]] = (),
) -> list[Any]:
    """Institutions within `radius_km`, nearest first, each with the rooms (one entry per room
    and care type) that can take this child from `start_min` to `end_min` on local `day`;
    `used_minutes`: the child's minutes already booked that day per room and care type (an
    offer limits the child's minutes of its care type a day); `taken`: the child's time held
    anywhere, as real instants (no institution is offered whose interval, on its own clock,
    meets one: a place 08:30–17:00 in Shanghai takes 06:30–15:00 in Urumqi).
    With `catalogue` (the process's copy and the institutions model's change count, read
    now), the rooms come from the copy; else from the read model. With `presence` (the
    process's copy of who is present), only the room-days it does not hold are read.

    Each institution as `show_institution` shows it, each of its rooms (one per care type
    that fits) as `show_room` does; by default dicts: institution keys institution_id, name,
    address, distance_km, puhui, category, refund_policy (dict), refund_policy_text, rooms;
    room keys room_id, name, class_type, care_type, pricing, price_fen (for this interval).
    """
    show_room = show_room or room_as_dict
    show_institution = show_institution or institution_as_dict
    # A city's windows lie within the national ones: the national fit finds every candidate,
    # each institution's own city's rules then decide.
    ages = ages_that_fit(birth_date, day, NATIONAL)
    if end_min <= start_min or not ages:
        return []
    ages_in = {id(NATIONAL): ages}  # per city's rules (one object per city in a copy)
    weekday = day.isoweekday()
    class_types = {c.value for c in ages}
    if catalogue is None:
        rows = await conn.fetch(_CANDIDATES, lat, lng, radius_km, list(class_types), day)
        near = by_institution(
            list(zip((r["distance_km"] for r in rows), rooms_from(rows), strict=True))
        )
    else:
        rooms, changes = catalogue
        near = await rooms.near(conn, changes, lat, lng, radius_km, class_types, day)
    near.sort(key=_nearest_first)  # and each institution's rooms by name (by_institution)
    starts_at: dict[str, datetime | None] = {}  # time zone → the interval's start there,
    # or None if the child's time is taken then (asked once per zone, not per institution)
    candidates: list[tuple[float, Room, Slot, list[CareOffer]]] = []
    for distance, i, its_rooms in near:
        if not i.open_throughout(weekday, start_min, end_min):
            continue
        if i.timezone not in starts_at:
            starts_at[i.timezone] = _start_if_free(day, start_min, end_min, i.timezone, taken)
        start = starts_at[i.timezone]
        if start is None:
            continue
        notice = (start - now).total_seconds() / 60
        here = ages_in.get(id(i.rules))
        if here is None:
            here = ages_in[id(i.rules)] = ages_that_fit(birth_date, day, i.rules)
        for room in its_rooms:
            if _CLASS_TYPES[room.class_type] not in here:
                continue
            slot = room.slot(weekday, start_min, end_min, care_type)
            if notice >= slot.most_notice:  # the usual case: every offer's notice is given
                fitting = slot.offers
            else:
                fitting = [o for o in slot.offers if notice >= o.min_notice_minutes]
            if used_minutes:
                fitting = [
                    o for o in fitting if used_minutes.get((room.room_id, o.care_type), 0)
                    + end_min - start_min <= o.max_minutes_per_day
                ]  # fmt: skip
            if fitting:
                candidates.append((distance, room, slot, fitting))
    if not candidates:
        return []
    room_ids = [room.room_id for _, room, _, _ in candidates]
    present = await (presence or RoomPresence()).of_rooms(conn, room_ids, day, now)
    found: dict[UUID, tuple[float, Institution, list[Any]]] = {}
    minutes = end_min - start_min
    for distance, room, slot, fitting in candidates:
        i = room.institution
        there = present.get(room.room_id, NOBODY)
        if not _has_room(
            room, ages_in[id(i.rules)], there, slot.carers, weekday, start_min, end_min
        ):
            continue
        institution = found.get(i.institution_id)
        if institution is None:
            if len(found) == limit:
                break
            institution = found[i.institution_id] = (distance, i, [])
        institution[2].extend(slot.show(room, fitting, minutes, show_room))
    return [show_institution(i, distance, rooms) for distance, i, rooms in found.values()]


def _start_if_free(
    day: date, start_min: int, end_min: int, timezone: str,
    taken: Sequence[tuple[datetime, datetime]],
) -> datetime | None:  # fmt: skip
    """The instant the interval starts on `day` in `timezone`, or None if the child's time is
    taken at some instant of it."""
    starts_at = local_instant(day, start_min, timezone)
    if taken:
        ends_at = local_instant(day, end_min, timezone)
        if any(s < ends_at and starts_at < e for s, e in taken):
            return None
    return starts_at


def room_as_dict(room: Room, offer: CareOffer, minutes: int) -> dict[str, Any]:
    return {
        "room_id": room.room_id, "name": room.name, "class_type": room.class_type,
        "care_type": offer.care_type, "pricing": offer.pricing,
        "price_fen": price_fen(offer, minutes),
    }  # fmt: skip


def institution_as_dict(i: Institution, distance: float, rooms: list[Any]) -> dict[str, Any]:
    return {
        "institution_id": i.institution_id, "name": i.name, "address": i.address,
        "distance_km": distance, "puhui": i.puhui, "category": i.category,
        "refund_policy": i.refund_policy_shown, "refund_policy_text": i.refund_policy_text,
        "rooms": rooms,
    }  # fmt: skip


def _nearest_first(found: Nearby) -> tuple[float, str, UUID]:
    distance, institution, _ = found
    return distance, institution.name, institution.institution_id


def _has_room(
    room: Room,
    ages: dict[ClassType, int],
    present: Present,
    carers: int,
    weekday: int,
    start: int,
    end: int,
) -> bool:
    """Capacity and ratio hold at every minute with this child added (the domain's rule).
    `present`: everyone that day. A room far from full is answered from counts (`crowd_fits`,
    with the fewest `carers` rostered): first of the whole day, then of those overlapping
    the interval, before they are made Presences for the minute-by-minute sweep."""
    class_type = _CLASS_TYPES[room.class_type]
    per_carer = children_per_carer(
        class_type, room.children_per_carer, ages[class_type], room.institution.rules
    )
    mixed = class_type is ClassType.mixed
    if _fits_by_count(present, per_carer, mixed, carers, room.capacity):
        return True
    starts, ends, per_carers = there = _overlapping(present, start, end)
    if _fits_by_count(there, per_carer, mixed, carers, room.capacity):
        return True
    breach = first_breach(
        Presence(start, end, per_carer),
        list(map(Presence, starts, ends, per_carers)),
        room.on(weekday)[1],
        room.capacity,
        strictest_ratio=mixed,
    )
    return breach is None


def _fits_by_count(
    present: Present, per_carer: int, mixed: bool, carers: int, capacity: int
) -> bool:
    """Room for one more child of `per_carer` even if all `present` were there at once (in a
    mixed room at the strictest ratio among them)."""
    per_carers = present[2]
    strictest = min(per_carer, min(per_carers, default=per_carer)) if mixed else per_carer
    return crowd_fits(len(per_carers) + 1, strictest, carers, capacity)


def _overlapping(present: Present, start: int, end: int) -> Present:
    """Those of `present` there at some minute from `start` to `end`."""
    starts, ends, per_carers = [], [], []
    for s, e, per_carer in zip(*present, strict=True):
        if s < end and start < e:
            starts.append(s)
            ends.append(e)
            per_carers.append(per_carer)
    return starts, ends, per_carers
