"""A small world for the booking read models: a city, institutions with terms, children, bookings.

Every event comes from the domain through `backend.commands.execute`, as in production; the
decisions are spelled out here (not the services) so these tests pin the events, not a route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import msgspec

from api_schema.common import CommandAccepted
from backend.commands import CommandContext, execute
from backend.eventstore.store import EventStore
from backend.projector import Projector
from backend.unit_of_work import UnitOfWork
from domain.booking.eligibility import check_age_fits, children_per_carer
from domain.booking.room_day import Booking, RoomDay, offer_for, room_day_id
from domain.booking.terms import CareOffer, CareType, RefundPolicy, Shift, price_fen
from domain.child.aggregate import Child, Hold, Sex
from domain.city.aggregate import City, District
from domain.class_types import NATIONAL, ClassType
from domain.institution.aggregate import Institution
from domain.institution.kinds import Category, Ownership
from domain.institution.values import Location, OpeningInterval, Room
from projections.availability import local_instant
from projections.registry import ALL

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday, 20:00 in Shanghai
DAY = date(2026, 12, 1)  # the Tuesday after
HOME = (31.30, 120.60)
WEEKDAYS = (1, 2, 3, 4, 5)
POLICY = RefundPolicy(full_refund_hours_before=24, late_refund_percent=50)


def hm(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


def hourly(opens: str = "08:00", closes: str = "18:00", days=WEEKDAYS, **kw: Any) -> CareOffer:
    kw.setdefault("min_notice_minutes", 60)
    kw.setdefault("max_minutes_per_visit", 6 * 60)
    return CareOffer(CareType.hourly, days, hm(opens), hm(closes), 3000, "per_hour", **kw)


@dataclass
class RoomSpec:
    name: str
    class_type: ClassType = ClassType.toddler
    capacity: int = 10
    ratio: int = 5
    offers: tuple[CareOffer, ...] = (hourly(),)
    shifts: tuple[Shift, ...] = tuple(Shift(d, hm("08:00"), hm("18:00"), 2) for d in WEEKDAYS)
    room_id: UUID = field(default_factory=uuid4)


async def run(
    store: EventStore, decide: Callable[[UnitOfWork], Awaitable[CommandAccepted]], now=NOW
) -> CommandAccepted:
    return (await execute(store, CommandContext(now=now), decide, CommandAccepted)).value


async def city(store: EventStore) -> UUID:
    city_id = uuid4()

    async def decide(uow: UnitOfWork) -> CommandAccepted:
        c = City.register(city_id, "suzhou", "苏州", "Asia/Shanghai", NOW)
        c.add_district(District("gusu", "姑苏区", 950_000, ("平江街道",)), NOW)
        uow.add(c)
        return CommandAccepted(id=c.id, version=c.version)

    await run(store, decide)
    return city_id


async def institution(
    store: EventStore,
    city_id: UUID,
    name: str,
    rooms: Sequence[RoomSpec],
    *,
    north_km: float = 0.0,
    hours: tuple[OpeningInterval, ...] = tuple(
        OpeningInterval(d, hm("08:00"), hm("18:00")) for d in WEEKDAYS
    ),
    policy: RefundPolicy | None = POLICY,
) -> UUID:
    """An institution `north_km` north of HOME with its rooms, offers, rosters and policy."""
    institution_id = uuid4()
    where = Location(f"{name}路1号", HOME[0] + north_km / 111.195, HOME[1])

    async def decide(uow: UnitOfWork) -> CommandAccepted:
        c = await uow.get(City, city_id)
        i = Institution.register(
            institution_id, c, name=name, district_code="gusu", town="平江街道",
            location=where, category=Category.center, ownership=Ownership.private, puhui=True,
            filed_places=sum(r.capacity for r in rooms), timezone="Asia/Shanghai",
            opening_hours=hours, now=NOW,
        )  # fmt: skip
        for r in rooms:
            i.add_room(Room(r.room_id, r.name, r.class_type, r.capacity, r.ratio), NATIONAL, NOW)
            i.publish_offers(r.room_id, r.offers, NOW)
            i.plan_roster(r.room_id, r.shifts, NOW)
        if policy is not None:
            i.publish_refund_policy(policy, NOW)
        uow.add(i)
        return CommandAccepted(id=i.id, version=i.version)

    await run(store, decide)
    return institution_id


async def child(store: EventStore, guardian: UUID, birth_date: date, name: str = "小明") -> UUID:
    child_id = uuid4()

    async def decide(uow: UnitOfWork) -> CommandAccepted:
        c = Child.register(
            child_id, guardian, name=name, birth_date=birth_date, sex=Sex.female,
            consent_purposes=("care_booking",), today=NOW.date(), now=NOW,
        )  # fmt: skip
        await uow.create_data_key(c.id)
        uow.add(c)
        return CommandAccepted(id=c.id, version=c.version)

    await run(store, decide)
    return child_id


async def add_guardian(store: EventStore, child_id: UUID, account_id: UUID) -> None:
    async def decide(uow: UnitOfWork) -> CommandAccepted:
        c = await uow.get(Child, child_id)
        c.add_guardian(account_id, NOW)
        return CommandAccepted(id=c.id, version=c.version)

    await run(store, decide)


async def book(
    store: EventStore,
    child_id: UUID,
    guardian: UUID,
    institution_id: UUID,
    room_id: UUID,
    start: str,
    end: str,
    *,
    day: date = DAY,
    care_type: CareType = CareType.hourly,
    per_carer: int | None = None,
) -> UUID:
    """Book as the service does; `per_carer` stands in for a local rule on a child's ratio."""
    booking_id = uuid4()

    async def decide(uow: UnitOfWork) -> CommandAccepted:
        c = await uow.get(Child, child_id)
        i = await uow.get(Institution, institution_id)
        terms = i.day_terms(room_id, day, NATIONAL)
        ratio = per_carer
        if ratio is None:
            months = check_age_fits(terms.class_type, c.birth_date, day, NATIONAL)
            ratio = children_per_carer(terms.class_type, terms.children_per_carer, months, NATIONAL)
        starts_at = local_instant(day, hm(start), i.timezone).astimezone(UTC)
        ends_at = local_instant(day, hm(end), i.timezone).astimezone(UTC)
        draft = Booking(
            booking_id=booking_id, child_id=child_id, guardian_id=guardian, care_type=care_type,
            start=hm(start), end=hm(end), starts_at=starts_at, ends_at=ends_at, price_fen=0,
            refund_policy=i.refund_policy, children_per_carer=ratio,
        )  # fmt: skip
        fen = price_fen(offer_for(draft, terms), hm(end) - hm(start))
        booking = msgspec.structs.replace(draft, price_fen=fen)
        room_day = await uow.find(RoomDay, room_day_id(room_id, day))
        if room_day is None:
            room_day = RoomDay.open(room_id, institution_id, day, NOW)
            uow.add(room_day)
        room_day.book(booking, terms, NOW)
        c.hold(Hold(booking_id, starts_at, ends_at), NOW)
        return CommandAccepted(id=booking_id, version=room_day.version)

    await run(store, decide)
    return booking_id


async def cancel(
    store: EventStore,
    room_id: UUID,
    booking_id: UUID,
    *,
    by_institution: bool = False,
    reason: str = "",
    day: date = DAY,
    now: datetime = NOW,
) -> None:
    async def decide(uow: UnitOfWork) -> CommandAccepted:
        room_day = await uow.get(RoomDay, room_day_id(room_id, day))
        c = await uow.get(Child, room_day.child_of[booking_id])
        room_day.cancel(booking_id, by_institution, reason, now, by=None)
        c.release(booking_id, now)
        return CommandAccepted(id=booking_id, version=room_day.version)

    await run(store, decide, now)


async def project(store: EventStore, batch_size: int = 2_000) -> Projector:
    # Every read model: availability and occupancy read bookings, enrolments and the waitlist.
    projector = Projector(store, ALL, batch_size=batch_size)
    await projector.ensure_schema()
    await projector.catch_up()
    return projector
