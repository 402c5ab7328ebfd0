"""The hot-room world, written through the command path before any server starts.

A demo city (Suzhou-sized, or the small one with --quick), one institution with two
older-toddler rooms, its offers, roster and refund policy, guardians, and many children.
Children are made by the domain (`Child.register`) and appended 50 per command straight
into the store, which is much faster than one command each; the read models then catch up.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from api_schema.common import CommandAccepted
from backend.auth.passwords import hash_password
from backend.auth.tokens import issue_access_token
from backend.commands import CommandContext, execute
from backend.demo.generator import generate_city
from backend.demo.loader import load_day, load_demo
from backend.demo.model import DemoCity
from backend.eventstore.records import AppendRequest
from backend.services import cities, institutions
from backend.services.institutions import Filing, StaffInvite, administered
from backend.settings import Settings
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork
from bench.http_load import Request
from domain.account.aggregate import account_id_for
from domain.booking.terms import CareOffer, CareType, RefundPolicy, Shift
from domain.child.aggregate import Child, Sex
from domain.class_types import NATIONAL, ClassType
from domain.institution.aggregate import Institution
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval, Room, hhmm

ACTOR = "system:bench"
ALL_WEEK = (1, 2, 3, 4, 5, 6, 7)
WHOLE_DAY = 24 * 60
# The wide room: 20 places (托大班 maximum), 3 carers × 7 = 21 ≥ 20, open around the clock.
# One-minute bookings spread over the 1,440 minutes never meet a limit before 28,800.
WIDE_CAPACITY, WIDE_STAFF = 20, 3
# The tight room: 15 places and 3 carers; 08:30–12:00 and 13:00–16:30 give 30 child-slots.
TIGHT_CAPACITY, TIGHT_STAFF = 15, 3
TIGHT_HALVES = (("08:30", "12:00"), ("13:00", "16:30"))
CHILDREN_PER_COMMAND = 50
CLIENTS = 50  # concurrent HTTP clients (or row-lock tasks) of the hot-room windows
GUARDIANS = 100


@dataclass
class HotWorld:
    city: DemoCity
    institution_id: UUID
    wide_room: UUID
    tight_room: UUID
    wide_day: date
    tight_day: date
    guardians: list[UUID]
    children: list[tuple[UUID, UUID]]  # (child, guardian)
    settings: Settings
    tokens: dict[UUID, str] = field(default_factory=dict)

    def mint_tokens(self) -> None:
        """Fresh access tokens (≤ 15 min) for every guardian, signed as the server checks them."""
        now = datetime.now(UTC)
        self.tokens = {
            g: issue_access_token(self.settings, now, g, {"role": "guardian"})
            for g in self.guardians
        }

    def headers(self, guardian: UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[guardian]}"}


def future_days(today: date) -> tuple[date, date, date]:
    """Three days at least five weeks ahead (any weekday: the hot room is open all week);
    the third is a Tuesday, for the availability search in the demo city's weekday hours."""
    wide = today + timedelta(days=35)
    tuesday = wide + timedelta(days=(1 - wide.weekday()) % 7 + 7)
    return wide, wide + timedelta(days=1), tuesday


async def run(runtime: Runtime, decide: Callable[[UnitOfWork, datetime], Any]) -> Any:
    ctx = CommandContext(now=runtime.clock.now(), actor=ACTOR)
    outcome = await execute(runtime.store, ctx, lambda uow: decide(uow, ctx.now), CommandAccepted)
    return outcome.value


async def load_city(runtime: Runtime, size: str, progress: Any) -> DemoCity:
    city = generate_city(size, reference_date=load_day(runtime))
    report = await load_demo(runtime, city)
    progress(f"  demo city {size!r}: {report}")
    return city


async def build_hot_room(
    runtime: Runtime, city: DemoCity, children: int, today: date, progress: Any
) -> HotWorld:
    """The institution, its two rooms and terms, guardians and `children` children."""
    district = city.districts[0]
    institution_id, wide_room, tight_room = uuid4(), uuid4(), uuid4()
    filing = Filing(
        name="热门托育中心（压测）", district_code=district.code, town=district.towns[0],
        location=Location("姑苏区 压测路 1 号", 31.30, 120.60), category=Category.center,
        ownership=Ownership.private, puhui=True, filed_places=WIDE_CAPACITY + TIGHT_CAPACITY,
        timezone=city.timezone, opening_hours=tuple(OpeningInterval(d, 0, WHOLE_DAY) for d in ALL_WEEK),
    )  # fmt: skip
    admin = StaffInvite(
        "13700000001", "压测园长", hash_password("bench-admin"), StaffRole.institution_admin
    )
    await run(runtime, partial(
        institutions.register_institution, institution_id=institution_id, city_id=city.city_id,
        filing=filing, admin=admin,
    ))  # fmt: skip
    offers = (
        CareOffer(
            CareType.hourly, ALL_WEEK, 0, WHOLE_DAY, 3000, "per_hour", 0, WHOLE_DAY, WHOLE_DAY
        ),
    )

    async def furnish(uow: UnitOfWork, now: datetime) -> CommandAccepted:
        institution = await administered(uow, institution_id, None)
        for room_id, name, capacity, staff in (
            (wide_room, "热门大班", WIDE_CAPACITY, WIDE_STAFF),
            (tight_room, "热门小班", TIGHT_CAPACITY, TIGHT_STAFF),
        ):
            room = Room(room_id, name, ClassType.older_toddler, capacity, 7)
            institution.add_room(room, NATIONAL, now)  # the bench city keeps the national rules
            institution.publish_offers(room_id, offers, now)
            shifts = tuple(Shift(d, 0, WHOLE_DAY, staff) for d in ALL_WEEK)
            institution.plan_roster(room_id, shifts, now)
        institution.publish_refund_policy(RefundPolicy(24, 50), now)
        return institutions.accepted(institution)

    await run(runtime, furnish)
    guardians = await _guardians(runtime)
    wide_day, tight_day, _ = future_days(today)
    started = asyncio.get_running_loop().time()
    kids = await register_children(runtime, guardians, children, wide_day, today)
    progress(
        f"  {len(kids):,} children of {len(guardians)} guardians appended in"
        f" {asyncio.get_running_loop().time() - started:.1f}s"
    )
    return HotWorld(
        city, institution_id, wide_room, tight_room, wide_day, tight_day, guardians, kids,
        runtime.settings,
    )  # fmt: skip


async def _guardians(runtime: Runtime) -> list[UUID]:
    phones = [f"1580000{n:04d}" for n in range(GUARDIANS)]
    gate = asyncio.Semaphore(16)

    async def one(phone: str) -> None:
        async with gate:
            await run(
                runtime, partial(cities.register_guardian, phone=phone, display_name="压测家长")
            )

    await asyncio.gather(*(one(p) for p in phones))
    return [account_id_for(p) for p in phones]


async def register_children(
    runtime: Runtime, guardians: list[UUID], count: int, day: date, today: date
) -> list[tuple[UUID, UUID]]:
    """`count` children 30 months old on `day` (托大班 age), round-robin over the guardians,
    as Child.Registered events appended 50 streams per command by 8 concurrent writers."""
    birth = _months_before(day, 30)
    now = runtime.clock.now()
    kids = [(uuid4(), guardians[n % len(guardians)]) for n in range(count)]
    chunks: Iterator[list[tuple[UUID, UUID]]] = iter(
        [kids[i : i + CHILDREN_PER_COMMAND] for i in range(0, count, CHILDREN_PER_COMMAND)]
    )

    async def writer() -> None:
        for chunk in chunks:
            events: list[Any] = []
            for child_id, guardian in chunk:
                child = Child.register(
                    child_id, guardian, name="小宝", birth_date=birth, sex=Sex.female,
                    consent_purposes=("care_booking",), today=today, now=now,
                )  # fmt: skip
                events += child.collect_events()
            await runtime.store.mapper.keys.create_many(runtime.pool, [c for c, _ in chunk])
            new = runtime.store.new_events(events)
            await runtime.store.append(AppendRequest(new, {c: 0 for c, _ in chunk}, actor=ACTOR))

    await asyncio.gather(*(writer() for _ in range(8)))
    return kids


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    return date(total // 12, total % 12 + 1, min(day.day, 28))


async def publish_city_terms(runtime: Runtime, city: DemoCity, progress: Any) -> int:
    """Offers (hourly and full-day within each weekday's hours) and a roster with enough
    carers for every room of every demo institution: one command per institution."""
    gate = asyncio.Semaphore(16)
    rooms = 0

    async def terms(inst: Any) -> None:
        nonlocal rooms
        if not inst.rooms:
            return

        async def decide(uow: UnitOfWork, now: datetime) -> CommandAccepted:
            institution = await uow.get(Institution, inst.institution_id)
            for room in inst.rooms:
                offers, shifts = [], []
                for h in inst.opening_hours:
                    offers.append(CareOffer(CareType.hourly, (h.weekday,), h.opens, h.closes, 3000, "per_hour", 60, 360))  # fmt: skip
                    offers.append(CareOffer(CareType.full_day, (h.weekday,), h.opens, h.closes, 15000, "per_session"))  # fmt: skip
                    staff = -(-room.capacity // room.children_per_carer)
                    shifts.append(Shift(h.weekday, h.opens, h.closes, staff))
                institution.publish_offers(room.room_id, tuple(offers), now)
                institution.plan_roster(room.room_id, tuple(shifts), now)
            return institutions.accepted(institution)

        async with gate:
            await run(runtime, decide)
            rooms += len(inst.rooms)

    await asyncio.gather(*(terms(i) for i in city.institutions))
    progress(
        f"  offers and rosters published for {rooms:,} rooms of {len(city.institutions)} institutions"
    )
    return rooms


class Draw:
    """Children in order, each once; wraps around (counted) only if the pool runs out."""

    def __init__(self, items: list[tuple[UUID, UUID]]) -> None:
        self.items, self.i, self.wrapped = items, 0, 0

    def __call__(self) -> tuple[UUID, UUID]:
        if self.i == len(self.items):
            self.i, self.wrapped = 0, self.wrapped + 1
        self.i += 1
        return self.items[self.i - 1]


def booking_requests(
    world: HotWorld, room: UUID, day: date, draw: Draw, slots: Any, auth: bool = True
) -> Any:
    """POST /v1/bookings bodies: the next child, the next interval from `slots`."""

    def make() -> Request:
        child, guardian = draw()
        start, end = next(slots)
        body = {
            "child_id": str(child), "institution_id": str(world.institution_id),
            "room_id": str(room), "date": day.isoformat(), "start": start, "end": end,
            "care_type": "hourly",
        }  # fmt: skip
        headers = world.headers(guardian) if auth else {}
        return "POST", "/v1/bookings", body, {**headers, "Idempotency-Key": uuid4().hex}

    return make


def minute_slots() -> Any:
    return ((hhmm(m % 1440), hhmm(m % 1440 + 1)) for m in itertools.count())
