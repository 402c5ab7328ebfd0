"""Every room's search facts kept in process, so an availability search reads no room, term or
institution from the database: only who is present in the rooms it found (projections/availability.py).

The rooms change when an institution publishes offers, plans a roster, announces a closure …
(the `institutions` read model), rarely next to the searches. The copy is made whole from the
read model and kept while the model has not changed (`Projector.changes`, read before the copy
is made: a change committed while copying makes the next search copy again). Rooms sit in a
grid of 0.02° cells by institution, so a search looks at the cells around its circle, not the
whole city, and measures the distance once per institution.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

import asyncpg
import msgspec

from domain.booking.capacity import fewest_carers
from domain.booking.terms import CareOffer, RefundPolicy, Shift
from domain.booking.visit_rules import covering_offer
from domain.class_types import NATIONAL, ClassRules
from domain.institution.values import OpeningInterval, km_between
from projections.institutions import (
    local_rules_from,
    offers_on,
    room_offers,
    room_shifts,
    shifts_on,
)

K = TypeVar("K")
V = TypeVar("V")
CELL_DEGREES = 0.02
_ASKED_BOUND = 32  # slots a room (and intervals an institution) remembers
ROOM_COLUMNS = (
    "i.id, i.name, i.address, i.puhui, i.category, i.timezone, i.opening_hours,"
    " i.refund_policy, i.lat, i.lng, r.id, r.name, r.class_type, r.capacity,"
    " r.children_per_carer, t.offers, t.shifts, c.rules::text"
)
ROOMS = (
    " FROM rm_institutions i JOIN rm_rooms r ON r.institution_id = i.id"
    " JOIN rm_room_terms t ON t.room_id = r.id"
    " LEFT JOIN rm_city_class_rules c ON c.city_id = i.city_id"
)
_ALL_ROOMS = f"SELECT {ROOM_COLUMNS}{ROOMS}"
_CLOSURES = "SELECT institution_id, day, room_id FROM rm_closures"
_hours = msgspec.json.Decoder(list[OpeningInterval])
_policy = msgspec.json.Decoder(RefundPolicy)


@dataclass(frozen=True, slots=True)
class Institution:
    institution_id: UUID
    name: str
    address: str
    puhui: bool
    category: str
    timezone: str
    hours: list[OpeningInterval]
    refund_policy: RefundPolicy
    lat: float
    lng: float
    # what every search answering with this institution shows, made once with the copy
    refund_policy_shown: dict[str, Any]
    refund_policy_text: str
    rules: ClassRules  # its city's class rules (one object per city's rules)
    # what earlier searches asked, as Room._asked: (weekday, start, end) → open throughout
    _asked: dict[tuple[int, int, int], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    def open_throughout(self, weekday: int, start: int, end: int) -> bool:
        """Open from `start` to `end` (local minutes) on this ISO weekday."""
        key = (weekday, start, end)
        found = self._asked.get(key)
        if found is None:
            found = _remember(self._asked, key, any(
                h.weekday == weekday and h.opens <= start and end <= h.closes for h in self.hours
            ))  # fmt: skip
        return found


@dataclass(frozen=True, slots=True)
class Room:
    """A room that publishes terms, with its institution: what a search decides on."""

    institution: Institution
    room_id: UUID
    name: str
    class_type: str
    capacity: int
    children_per_carer: int
    by_weekday: dict[int, tuple[list[CareOffer], list[Shift]]]  # ISO weekday → that day's
    # What earlier searches asked of this room, by weekday and interval: parents search the
    # same few slots (a morning, a full day …), and the copy is made anew, these with it,
    # whenever the terms change.
    _asked: dict[tuple[int, int, int, str | None], Slot] = field(
        default_factory=dict, compare=False, repr=False
    )

    def on(self, weekday: int) -> tuple[list[CareOffer], list[Shift]]:
        """The offers bookable and the shifts planned on an ISO weekday."""
        return self.by_weekday.get(weekday, ([], []))

    def slot(self, weekday: int, start: int, end: int, care_type: str | None) -> Slot:
        """What a booking from `start` to `end` on an ISO weekday would meet here: per care
        type (or only `care_type`) the offer it would be held to (the first whose window
        covers it, as `room_day.offer_for`), kept if the visit is not too long for it, and the
        fewest carers rostered at any minute. Notice is the search's to check."""
        key = (weekday, start, end, care_type)
        found = self._asked.get(key)
        if found is None:
            offers, shifts = self.on(weekday)
            chosen = covering(offers, start, end, care_type)
            found = _remember(self._asked, key, Slot(
                chosen, fewest_carers(shifts, start, end),
                max((o.min_notice_minutes for o in chosen), default=0), {},
            ))  # fmt: skip
        return found


def _remember(asked: dict[K, V], key: K, value: V) -> V:
    """Keep what a search asked of a room or an institution, at most _ASKED_BOUND answers
    (more: start again rather than grow)."""
    if len(asked) >= _ASKED_BOUND:
        asked.clear()
    asked[key] = value
    return value


Nearby = tuple[float, Institution, list[Room]]  # an institution's distance, it, its rooms


def by_name(room: Room) -> tuple[str, UUID]:
    """The order of an institution's rooms in an answer (an institution's come in one run)."""
    return room.name, room.room_id


def by_institution(near: list[tuple[float, Room]]) -> list[Nearby]:
    """(distance, room) pairs, in no order, as each institution with its rooms by name."""
    grouped: dict[UUID, Nearby] = {}
    for distance, room in near:
        i = room.institution
        grouped.setdefault(i.institution_id, (distance, i, []))[2].append(room)
    for _, _, rooms in grouped.values():
        rooms.sort(key=by_name)
    return list(grouped.values())


# How an answer shows one offer of a room for a visit of so many minutes (see Slot.show).
ShowRoom = Callable[["Room", CareOffer, int], Any]


class Slot(NamedTuple):
    offers: list[CareOffer]
    carers: int
    most_notice: int  # the longest notice (minutes) any of the offers asks
    shown: dict[ShowRoom, list[Any]]  # per way of showing: each offer, shown

    def show(self, room: Room, offers: list[CareOffer], minutes: int, show: ShowRoom) -> list[Any]:
        """`offers` (all of this slot's, or some) as `show` shows them, each made once per
        slot: answers repeat, and what is kept is shared by them (never to be changed)."""
        every = self.shown.get(show)
        if every is None:
            every = self.shown[show] = [show(room, o, minutes) for o in self.offers]
        if offers is self.offers:
            return every
        return [shown for o, shown in zip(self.offers, every, strict=True) if o in offers]


def covering(
    offers: list[CareOffer], start: int, end: int, care_type: str | None
) -> list[CareOffer]:
    """See Room.slot: per care type the offer a booking would be held to, in published order."""
    types = (
        [care_type] if care_type is not None else list(dict.fromkeys(o.care_type for o in offers))
    )
    chosen = [o for t in types if (o := covering_offer(offers, t, start, end)) is not None]
    chosen.sort(key=offers.index)
    return [o for o in chosen if end - start <= o.max_minutes_per_visit]


def rooms_from(rows: list[asyncpg.Record]) -> list[Room]:
    """Rooms of rows starting with ROOM_COLUMNS (each institution decoded once)."""
    institutions: dict[UUID, Institution] = {}
    city_rules: dict[str | None, ClassRules] = {None: NATIONAL}
    rooms = []
    for (iid, name, address, puhui, category, zone, hours, policy, lat, lng,
         room_id, room_name, class_type, capacity, per_carer, offers, shifts, local, *_) in rows:  # fmt: skip
        institution = institutions.get(iid)
        if institution is None:
            refund_policy = _policy.decode(policy)
            rules = city_rules.get(local)
            if rules is None:
                rules = city_rules[local] = ClassRules(local_rules_from(local))
            institution = institutions[iid] = Institution(
                iid, name, address, puhui, category, zone, _hours.decode(hours), refund_policy,
                lat, lng, msgspec.to_builtins(refund_policy), refund_policy.describe(), rules,
            )  # fmt: skip
        all_offers, all_shifts = room_offers(offers), room_shifts(shifts)
        by_weekday = {d: (offers_on(all_offers, d), shifts_on(all_shifts, d)) for d in range(1, 8)}
        rooms.append(
            Room(institution, room_id, room_name, class_type, capacity, per_carer, by_weekday)
        )
    return rooms


class RoomCatalogue:
    def __init__(self) -> None:
        self._changes = -1  # the read model's change count the copy was made at
        self._cells: dict[tuple[int, int], list[tuple[Institution, list[Room]]]] = {}
        self._closed: dict[tuple[UUID, date], set[UUID | None]] = {}
        self._copying = asyncio.Lock()

    async def near(
        self, conn: asyncpg.Connection | asyncpg.Pool, changes: int, lat: float, lng: float,
        radius_km: float, class_types: set[str], day: date,
    ) -> list[Nearby]:  # fmt: skip
        """The institutions within the radius, in no order, each with its rooms of these class
        types not closed on `day` (in the order `by_name` puts them); `changes`: the
        institutions model's change count, read now."""
        if changes != self._changes:
            await self._copy(conn, changes)
        dlat = radius_km / 110.5
        dlng = radius_km / (110.5 * math.cos(math.radians(min(abs(lat) + dlat, 89.0))))
        found = []
        for x in range(math.floor((lat - dlat) / CELL_DEGREES),
                       math.floor((lat + dlat) / CELL_DEGREES) + 1):  # fmt: skip
            for y in range(math.floor((lng - dlng) / CELL_DEGREES),
                           math.floor((lng + dlng) / CELL_DEGREES) + 1):  # fmt: skip
                for i, rooms in self._cells.get((x, y), ()):
                    if abs(i.lat - lat) > dlat or abs(i.lng - lng) > dlng:
                        continue
                    distance = km_between((lat, lng), (i.lat, i.lng))
                    if distance > radius_km:
                        continue
                    closed = self._closed.get((i.institution_id, day))
                    if closed and None in closed:
                        continue
                    wanted = [
                        room
                        for room in rooms
                        if room.class_type in class_types
                        and not (closed and room.room_id in closed)
                    ]
                    if wanted:
                        found.append((distance, i, wanted))
        return found

    async def _copy(self, conn: asyncpg.Connection | asyncpg.Pool, changes: int) -> None:
        async with self._copying:
            if changes == self._changes:  # another search copied it meanwhile
                return
            rooms = rooms_from(await conn.fetch(_ALL_ROOMS))
            closed: dict[tuple[UUID, date], set[UUID | None]] = defaultdict(set)
            for institution_id, day, room_id in await conn.fetch(_CLOSURES):
                closed[(institution_id, day)].add(room_id)
            of_institution: dict[UUID, tuple[Institution, list[Room]]] = {}
            for room in rooms:
                i = room.institution
                of_institution.setdefault(i.institution_id, (i, []))[1].append(room)
            cells: dict[tuple[int, int], list[tuple[Institution, list[Room]]]] = defaultdict(list)
            for i, its_rooms in of_institution.values():
                its_rooms.sort(key=by_name)
                cell = math.floor(i.lat / CELL_DEGREES), math.floor(i.lng / CELL_DEGREES)
                cells[cell].append((i, its_rooms))
            self._cells, self._closed, self._changes = dict(cells), dict(closed), changes
