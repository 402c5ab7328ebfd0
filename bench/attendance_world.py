"""The attendance world: demo-city rooms open round the clock today, carers clocked in, children booked.

Written through the command path before any server starts, on the real clock (the server
checks each device time against its own). For each chosen room (an older-toddler room of a
demo institution, at most `per_institution` per institution): the institution opens 00:00–24:00
every day, the room publishes an hourly offer over the whole day with no notice and a roster
of CARERS_PER_ROOM carers; CARERS_PER_ROOM new caregivers join its staff and clock in to it;
up to MAX_CHILDREN children 30 months old, each with a passed admission health record, book it
from the next minute for up to BOOKED_MINUTES (never past local midnight). Then every child is
checked in and out once, so the measured check-ins are the day's repeat arrivals (one event on
the attendance day) and the no-show job never releases a booking that the run still needs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from api_schema.common import CommandAccepted
from backend.auth.passwords import hash_password
from backend.auth.tokens import issue_access_token
from backend.demo.model import DemoCity, DemoInstitution
from backend.eventstore.records import AppendRequest
from backend.services import attendance, bookings, cities, institutions, room_day_care
from backend.services.institutions import StaffInvite, join_staff
from backend.settings import Settings
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork
from bench.hot_world import ACTOR, ALL_WEEK, WHOLE_DAY, run
from domain.account.aggregate import account_id_for
from domain.attendance.health import HealthCheck
from domain.attendance.values import CheckInMethod, IdentityCheck
from domain.booking.terms import CareOffer, CareType, Shift
from domain.child.aggregate import Child, Sex
from domain.child.care import HealthRecord, HealthRecordKind
from domain.class_types import ClassType
from domain.institution.aggregate import Institution
from domain.institution.kinds import StaffRole
from domain.institution.values import OpeningInterval, Room, hhmm

CARERS_PER_ROOM = 3  # 3 × 7 (older toddlers) = 21 ≥ 20, the largest class: the ratio never binds
MAX_CHILDREN = 20  # per room: never more than its places or 3 carers' ratio, so no room fills
MIN_PLACES = 12  # rooms smaller than this are skipped
BOOKED_MINUTES = 240
START_AHEAD = 5  # minutes: the bookings are written a little after their start is chosen
GUARDIANS = 50
CHILDREN_PER_COMMAND = 50
WELL = HealthCheck(36.6)


@dataclass(frozen=True)
class AttendRoom:
    institution_id: UUID
    room_id: UUID
    carers: tuple[UUID, ...]
    phones: tuple[str, ...]  # the carers'
    children: tuple[tuple[UUID, str], ...]  # (child, a guardian's phone: the collector)


@dataclass
class AttendanceWorld:
    city: DemoCity
    rooms: list[AttendRoom]
    day: date  # the local day of care (Asia/Shanghai)
    booked: tuple[str, str]  # local start–end of every booking
    timezone: str
    settings: Settings
    tokens: dict[UUID, str] = field(default_factory=dict)  # institution → its first carer's

    @property
    def institutions(self) -> list[UUID]:
        return list(dict.fromkeys(r.institution_id for r in self.rooms))

    @property
    def children(self) -> int:
        return sum(len(r.children) for r in self.rooms)

    def mint_tokens(self) -> None:
        """Fresh access tokens (≤ 15 min) of one carer per institution, as the server checks them."""
        now = datetime.now(UTC)
        self.tokens = {
            r.institution_id: issue_access_token(
                self.settings, now, r.carers[0], {"role": "caregiver"}
            )
            for r in self.rooms
        }


def choose_rooms(city: DemoCity, rooms: int, per_institution: int) -> list[tuple[DemoInstitution, Room, int]]:  # fmt: skip
    """The first `rooms` older-toddler rooms of ≥ MIN_PLACES places, at most `per_institution`
    per institution, with how many children each gets (its places, capped so that the chosen
    rooms of an institution stay within its filed places)."""
    chosen: list[tuple[DemoInstitution, Room, int]] = []
    for inst in city.institutions[1:]:  # the demo enrols its families' children in the first
        left = inst.filed_places
        fits = sorted(
            (r for r in inst.rooms
             if r.class_type is ClassType.older_toddler and r.capacity >= MIN_PLACES),
            key=lambda r: -r.capacity,
        )  # fmt: skip
        for room in fits[:per_institution]:
            children = min(room.capacity, MAX_CHILDREN, left)
            if children < MIN_PLACES:
                break
            left -= children
            chosen.append((inst, room, children))
            if len(chosen) == rooms:
                return chosen
    return chosen


def carer_phone(room: int, k: int) -> str:
    """Carers' phones (their account ids are derived from them); 147… is unused by the demo."""
    return f"147{room * 10 + k:08d}"


def minutes_to_midnight(zone: str) -> float:
    local = datetime.now(ZoneInfo(zone))
    return WHOLE_DAY - local.hour * 60 - local.minute - local.second / 60


async def stay_on_one_day(zone: str, needed_minutes: float, progress: Any) -> None:
    """Bookings and the attendance day are local days: a run that would cross local midnight
    waits for it instead (every check-in after midnight would find no booking)."""
    left = minutes_to_midnight(zone)
    if left < needed_minutes:
        progress(
            f"  only {left:.1f} min to midnight in {zone}: waiting for the new local day so the"
            " run stays on one attendance day"
        )
        await asyncio.sleep(left * 60 + 5)


async def build_attendance_world(
    runtime: Runtime, city: DemoCity, rooms: int, per_institution: int, progress: Any
) -> AttendanceWorld:
    chosen = choose_rooms(city, rooms, per_institution)
    zone = city.timezone
    carer_hash = hash_password("bench-carer")  # once: argon2 per account would take minutes
    by_inst: dict[UUID, list[AttendRoom]] = {}
    phones = [f"1590000{n:04d}" for n in range(GUARDIANS)]
    n = 0
    for i, (inst, room, count) in enumerate(chosen):
        phones_of_carers = tuple(carer_phone(i, k) for k in range(CARERS_PER_ROOM))
        carers = tuple(account_id_for(p) for p in phones_of_carers)
        kids = tuple((uuid4(), phones[(n + k) % GUARDIANS]) for k in range(count))
        n += count
        by_inst.setdefault(inst.institution_id, []).append(
            AttendRoom(inst.institution_id, room.room_id, carers, phones_of_carers, kids)
        )
    all_rooms = [r for rs in by_inst.values() for r in rs]
    await _each(runtime, [partial(cities.register_guardian, phone=p, display_name="压测家长")
                          for p in phones])  # fmt: skip
    await _each(runtime, [partial(_furnish, rooms=rs, carer_hash=carer_hash)
                          for rs in by_inst.values()])  # fmt: skip
    progress(
        f"  {len(all_rooms)} rooms in {len(by_inst)} institutions: open 00:00–24:00, whole-day"
        f" offer, {CARERS_PER_ROOM} carers each"
    )
    now = runtime.clock.now()
    local = now.astimezone(ZoneInfo(zone))
    day = local.date()
    # A booking may not start in the past; a child may arrive from 30 minutes before its start.
    start = local.hour * 60 + local.minute + START_AHEAD
    end = min(start + BOOKED_MINUTES, WHOLE_DAY)
    await _register_children(runtime, all_rooms, day, now)
    await _each(runtime, [partial(_book, room=r, day=day, start=start, end=end)
                          for r in all_rooms])  # fmt: skip
    world = AttendanceWorld(city, all_rooms, day, (hhmm(start), hhmm(end)), zone, runtime.settings)
    progress(
        f"  {world.children:,} children registered (admission check passed) and booked"
        f" {day.isoformat()} {hhmm(start)}–{hhmm(end)} local"
        + (" (cut at local midnight)" if end == WHOLE_DAY else "")
    )
    secret = runtime.settings.jwt_secret
    await _each(runtime, [partial(_first_cycle, rooms=rs, secret=secret)
                          for rs in by_inst.values()])  # fmt: skip
    progress("  carers clocked in; every child checked in and out once (the day's first arrival)")
    return world


async def _each(runtime: Runtime, decisions: list[Any], concurrency: int = 16) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(decide: Any) -> None:
        async with gate:
            await run(runtime, decide)

    await asyncio.gather(*(one(d) for d in decisions))


async def _furnish(
    uow: UnitOfWork, now: datetime, *, rooms: list[AttendRoom], carer_hash: str
) -> CommandAccepted:
    """Round-the-clock hours, a whole-day hourly offer and roster, and the room's carers."""
    institution = await uow.get(Institution, rooms[0].institution_id, "institution")
    institution.change_opening_hours(tuple(OpeningInterval(d, 0, WHOLE_DAY) for d in ALL_WEEK), now)
    offer = CareOffer(
        CareType.hourly, ALL_WEEK, 0, WHOLE_DAY, 3000, "per_hour", 0, WHOLE_DAY, WHOLE_DAY
    )
    for room in rooms:
        institution.publish_offers(room.room_id, (offer,), now)
        shifts = tuple(Shift(d, 0, WHOLE_DAY, CARERS_PER_ROOM) for d in ALL_WEEK)
        institution.plan_roster(room.room_id, shifts, now)
        for k, carer in enumerate(room.carers):
            invite = StaffInvite(
                room.phones[k], f"压测保育员{k + 1}", carer_hash, StaffRole.caregiver
            )
            account = await join_staff(uow, now, institution, invite)
            assert account.id == carer
    return institutions.accepted(institution)


async def _register_children(
    runtime: Runtime, rooms: list[AttendRoom], day: date, now: datetime
) -> None:
    """Child.Registered + HealthRecorded (admission, passed) appended 50 streams per command
    by 8 writers: the children and their health records are setup, not what is measured."""
    birth = _months_before(day, 30)
    examined = day - timedelta(days=30)
    kids = [(c, phone, room.carers[0]) for room in rooms for c, phone in room.children]
    chunks = iter([kids[i : i + CHILDREN_PER_COMMAND] for i in range(0, len(kids), CHILDREN_PER_COMMAND)])  # fmt: skip

    async def writer() -> None:
        for chunk in chunks:
            events: list[Any] = []
            for child_id, phone, carer in chunk:
                child = Child.register(
                    child_id, account_id_for(phone), name="小宝", birth_date=birth,
                    sex=Sex.male, consent_purposes=("care_booking",), today=day, now=now,
                )  # fmt: skip
                record = HealthRecord(HealthRecordKind.admission, examined, True, True, carer)
                child.record_health(record, day, now)
                events += child.collect_events()
            await runtime.store.mapper.keys.create_many(runtime.pool, [c for c, _, _ in chunk])
            new = runtime.store.new_events(events)
            await runtime.store.append(AppendRequest(new, {c: 0 for c, _, _ in chunk}, actor=ACTOR))

    await asyncio.gather(*(writer() for _ in range(8)))


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    return date(total // 12, total % 12 + 1, min(day.day, 28))


async def _book(
    uow: UnitOfWork, now: datetime, *, room: AttendRoom, day: date, start: int, end: int
) -> CommandAccepted:
    """Every child of the room booked in one command (one room-day, its children's holds)."""
    for child_id, phone in room.children:
        await bookings.book_care(uow, now, bookings.BookingRequest(
            uuid4(), account_id_for(phone), child_id, room.institution_id, room.room_id, day,
            start, end, CareType.hourly,
        ))  # fmt: skip
    return CommandAccepted(id=room.room_id, version=1)


async def _first_cycle(
    uow: UnitOfWork, now: datetime, *, rooms: list[AttendRoom], secret: str
) -> CommandAccepted:
    """Carers clock in; each child arrives (its booking checked in) and is collected (the
    booking completed; the child's hold stays, so it may come back the same day)."""
    institution_id = rooms[0].institution_id
    for room in rooms:
        for carer in room.carers:
            await room_day_care.clock_in(
                uow, now, institution_id=institution_id, room_id=room.room_id, by=carer, at=now
            )
    for room in rooms:
        for child_id, _ in room.children:
            await attendance.check_in(uow, now, attendance.Arrival(
                institution_id=institution_id, room_id=room.room_id, child_id=child_id, at=now,
                by=room.carers[0], method=CheckInMethod.manual, code=None, health=WELL,
                outcome=None, note="", override_reason=None,
            ), secret)  # fmt: skip
    for room in rooms:
        for child_id, phone in room.children:
            await attendance.check_out(uow, now, attendance.Departure(
                institution_id=institution_id, child_id=child_id, at=now, by=room.carers[0],
                collector_name="压测家长", collector_phone=phone,
                identity_check=IdentityCheck.id_card, code=None,
            ), secret)  # fmt: skip
    return CommandAccepted(id=institution_id, version=1)
