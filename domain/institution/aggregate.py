"""Institution aggregate: its filing (备案), opening hours, rooms and staff, and the rules that bind them."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from domain.aggregate import TuoyuAggregate
from domain.booking.room_day import DayTerms
from domain.booking.terms import (
    DEFAULT_REFUND_POLICY,
    BookingSettings,
    CareOffer,
    RefundPolicy,
    Shift,
    check_booking_settings,
    check_offer,
    check_refund_policy,
    check_shifts,
)
from domain.city.aggregate import City
from domain.class_types import ClassRules
from domain.errors import AlreadyExists, InvalidValue, NotFound
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.rules import check_filing, check_room, check_rooms_fit_filing
from domain.institution.values import (
    Location,
    OpeningInterval,
    Room,
    check_location,
    check_opening_hours,
)


class Institution(TuoyuAggregate):
    """Rooms and staff live inside the institution: the filed places bind all rooms together."""

    name: str
    city_id: UUID
    district_code: str
    town: str
    location: Location
    category: Category
    ownership: Ownership
    puhui: bool
    filed_places: int
    timezone: str
    opening_hours: tuple[OpeningInterval, ...]
    rooms: dict[UUID, Room]
    staff: dict[UUID, StaffRole]
    offers: dict[UUID, tuple[CareOffer, ...]]
    rosters: dict[UUID, tuple[Shift, ...]]
    refund_policy: RefundPolicy
    closures: dict[str, str]  # "<room id or *>@<date>" → reason
    closures_announced: dict[str, datetime]  # the same keys → when the closure was announced
    booking_settings: BookingSettings

    class Registered(TuoyuAggregate.Created):
        name: str
        city_id: UUID
        district_code: str
        town: str
        location: Location
        category: Category
        ownership: Ownership
        puhui: bool
        filed_places: int
        timezone: str
        opening_hours: tuple[OpeningInterval, ...]

    class OpeningHoursChanged(TuoyuAggregate.Event):
        opening_hours: tuple[OpeningInterval, ...]

        def apply(self, institution: Institution) -> None:
            institution.opening_hours = self.opening_hours

    class RoomAdded(TuoyuAggregate.Event):
        room: Room

        def apply(self, institution: Institution) -> None:
            institution.rooms[self.room.room_id] = self.room

    class RoomChanged(TuoyuAggregate.Event):
        room: Room

        def apply(self, institution: Institution) -> None:
            institution.rooms[self.room.room_id] = self.room

    class StaffAttached(TuoyuAggregate.Event):
        account_id: UUID
        role: StaffRole

        def apply(self, institution: Institution) -> None:
            institution.staff[self.account_id] = self.role

    class StaffDetached(TuoyuAggregate.Event):
        account_id: UUID

        def apply(self, institution: Institution) -> None:
            institution.staff.pop(self.account_id, None)

    class CareOffersPublished(TuoyuAggregate.Event):
        room_id: UUID
        offers: tuple[CareOffer, ...]

        def apply(self, institution: Institution) -> None:
            institution.offers[self.room_id] = self.offers

    class RosterPlanned(TuoyuAggregate.Event):
        room_id: UUID
        shifts: tuple[Shift, ...]

        def apply(self, institution: Institution) -> None:
            institution.rosters[self.room_id] = self.shifts

    class RefundPolicyPublished(TuoyuAggregate.Event):
        policy: RefundPolicy

        def apply(self, institution: Institution) -> None:
            institution.refund_policy = self.policy

    class BookingSettingsChanged(TuoyuAggregate.Event):
        settings: BookingSettings

        def apply(self, institution: Institution) -> None:
            institution.booking_settings = self.settings

    class ClosureAnnounced(TuoyuAggregate.Event):
        """A room (or, with no room, the whole institution) is closed on a local day."""

        day: date
        room_id: UUID | None
        reason: str

        def apply(self, institution: Institution) -> None:
            key = _closure_key(self.room_id, self.day)
            institution.closures[key] = self.reason
            institution.closures_announced[key] = self.timestamp

    def __init__(
        self,
        name: str,
        city_id: UUID,
        district_code: str,
        town: str,
        location: Location,
        category: Category,
        ownership: Ownership,
        puhui: bool,
        filed_places: int,
        timezone: str,
        opening_hours: tuple[OpeningInterval, ...],
    ) -> None:
        self.name = name
        self.city_id = city_id
        self.district_code = district_code
        self.town = town
        self.location = location
        self.category = category
        self.ownership = ownership
        self.puhui = puhui
        self.filed_places = filed_places
        self.timezone = timezone
        self.opening_hours = opening_hours
        self.rooms = {}
        self.staff = {}
        self.offers = {}
        self.rosters = {}
        self.refund_policy = DEFAULT_REFUND_POLICY
        self.closures = {}
        self.closures_announced = {}
        self.booking_settings = BookingSettings()

    @classmethod
    def register(
        cls,
        institution_id: UUID,
        city: City,
        *,
        name: str,
        district_code: str,
        town: str,
        location: Location,
        category: Category,
        ownership: Ownership,
        puhui: bool,
        filed_places: int,
        timezone: str,
        opening_hours: tuple[OpeningInterval, ...],
        now: datetime,
    ) -> Institution:
        city.require_district(district_code, town)
        check_location(location)
        check_opening_hours(opening_hours)
        check_filing(name, category, filed_places)
        return cls._create(
            cls.Registered,
            id=institution_id,
            timestamp=now,
            name=name.strip(),
            city_id=city.id,
            district_code=district_code,
            town=town,
            location=location,
            category=category,
            ownership=ownership,
            puhui=puhui,
            filed_places=filed_places,
            timezone=timezone,
            opening_hours=opening_hours,
        )

    def change_opening_hours(
        self, opening_hours: tuple[OpeningInterval, ...], now: datetime
    ) -> None:
        check_opening_hours(opening_hours)
        self.emit(self.OpeningHoursChanged, now, opening_hours=opening_hours)

    def add_room(self, room: Room, rules: ClassRules, now: datetime) -> None:
        """Add a room within the city's class `rules` and the filed places."""
        if room.room_id in self.rooms:
            raise AlreadyExists(f"room {room.room_id} exists already", field="room_id")
        check_room(self.category, room, rules)
        check_rooms_fit_filing(self.filed_places, [*self.rooms.values(), room])
        self.emit(self.RoomAdded, now, room=room)

    def change_room(self, room: Room, rules: ClassRules, now: datetime) -> None:
        self.require_room(room.room_id)
        check_room(self.category, room, rules)
        others = [r for r in self.rooms.values() if r.room_id != room.room_id]
        check_rooms_fit_filing(self.filed_places, [*others, room])
        self.emit(self.RoomChanged, now, room=room)

    def room_in_force(self, room_id: UUID, rules: ClassRules) -> Room:
        """The room with its size and ratio never looser than the city's class `rules` now: a
        room set up before the city tightened them runs at the city's limit."""
        room = self.require_room(room_id)
        rule = rules[room.class_type]
        if (
            room.capacity <= rule.max_class_size
            and room.children_per_carer <= rule.children_per_carer
        ):
            return room
        return msgspec.structs.replace(
            room,
            capacity=min(room.capacity, rule.max_class_size),
            children_per_carer=min(room.children_per_carer, rule.children_per_carer),
        )

    def require_room(self, room_id: UUID) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            raise NotFound(f"room {room_id} is not in {self.name}", field="room_id")
        return room

    def publish_offers(self, room_id: UUID, offers: tuple[CareOffer, ...], now: datetime) -> None:
        self.require_room(room_id)
        for i, offer in enumerate(offers):
            check_offer(offer, f"offers[{i}]")
        self.emit(self.CareOffersPublished, now, room_id=room_id, offers=offers)

    def plan_roster(self, room_id: UUID, shifts: tuple[Shift, ...], now: datetime) -> None:
        self.require_room(room_id)
        check_shifts(shifts)
        self.emit(self.RosterPlanned, now, room_id=room_id, shifts=shifts)

    def publish_refund_policy(self, policy: RefundPolicy, now: datetime) -> None:
        check_refund_policy(policy)
        self.emit(self.RefundPolicyPublished, now, policy=policy)

    def announce_closure(self, day: date, room_id: UUID | None, reason: str, now: datetime) -> None:
        if room_id is not None:
            self.require_room(room_id)
        if not reason.strip():
            raise InvalidValue("say why it is closed: parents are told", field="reason")
        if day < self.local_date(now):
            raise InvalidValue(
                f"{day.isoformat()} is gone: a closure is announced for today or later (put a"
                " past day right by correcting its bookings or register)",
                field="date",
            )
        if _closure_key(room_id, day) in self.closures:
            raise AlreadyExists(f"already closed on {day.isoformat()}", field="date")
        self.emit(self.ClosureAnnounced, now, day=day, room_id=room_id, reason=reason.strip())

    def change_booking_settings(self, settings: BookingSettings, now: datetime) -> None:
        check_booking_settings(settings)
        self.emit(self.BookingSettingsChanged, now, settings=settings)

    def closed_reason(
        self, room_id: UUID, day: date, announced_by: datetime | None = None
    ) -> str | None:
        """Why the room (or the whole institution) is closed on `day`; with `announced_by`, only
        a closure announced by then: an arrival recorded before a same-day closure (a tablet
        replaying the morning) was still an arrival."""
        for key in (_closure_key(room_id, day), _closure_key(None, day)):
            if key in self.closures and (
                announced_by is None or self.closures_announced[key] <= announced_by
            ):
                return self.closures[key]
        return None

    def local_date(self, at: datetime) -> date:
        """The institution's local day of an instant."""
        return at.astimezone(ZoneInfo(self.timezone)).date()

    def day_terms(self, room_id: UUID, day: date, rules: ClassRules) -> DayTerms:
        """The room's rules on `day` (a local date): hours, offers and roster of its weekday,
        its size and ratio as `room_in_force`."""
        room = self.room_in_force(room_id, rules)
        weekday = day.isoweekday()
        return DayTerms(
            class_type=room.class_type,
            capacity=room.capacity,
            children_per_carer=room.children_per_carer,
            opening_hours=tuple(o for o in self.opening_hours if o.weekday == weekday),
            offers=tuple(o for o in self.offers.get(room_id, ()) if weekday in o.weekdays),
            shifts=tuple(s for s in self.rosters.get(room_id, ()) if s.weekday == weekday),
            closed=self.closed_reason(room_id, day),
        )

    def attach_staff(self, account_id: UUID, role: StaffRole, now: datetime) -> None:
        if self.staff.get(account_id) == role:
            raise AlreadyExists("this person is already on the staff in that role", field="phone")
        self.emit(self.StaffAttached, now, account_id=account_id, role=role)

    def detach_staff(self, account_id: UUID, now: datetime) -> None:
        if account_id not in self.staff:
            raise NotFound("this person is not on the staff", field="account_id")
        self.emit(self.StaffDetached, now, account_id=account_id)


def _closure_key(room_id: UUID | None, day: date) -> str:
    return f"{room_id or '*'}@{day.isoformat()}"
