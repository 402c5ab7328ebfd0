"""Loads a generated demo city through the real command path, many institutions at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from api_schema.common import CommandAccepted
from backend.auth.passwords import hash_password
from backend.commands import CommandContext, execute
from backend.demo import care
from backend.demo.geography import TIMEZONE
from backend.demo.model import DEMO_OTP, DemoCity, DemoInstitution, DemoStaff
from backend.services import cities, institutions
from backend.services.institutions import Filing, StaffInvite
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork

ACTOR = "system:demo"
TERM = timedelta(days=120)  # the demo's regular places run from the load day for a term
CONCURRENCY = 32  # institutions in flight; the store's appender batches their appends

Decision = Callable[[UnitOfWork, datetime], Awaitable[CommandAccepted]]


@dataclass(frozen=True)
class LoadReport:
    cities: int
    districts: int
    institutions: int
    rooms: int
    places: int
    staff: int
    guardians: int
    regulators: int
    events: int
    seconds: float
    children: int = 0
    enrolled: int = 0

    def __str__(self) -> str:
        return (
            f"{self.cities} city, {self.districts} districts, {self.institutions} institutions, "
            f"{self.rooms} rooms, {self.places} places, {self.staff} staff, "
            f"{self.guardians} guardians ({self.children} children, {self.enrolled} with a"
            f" regular place), {self.regulators} regulators: "
            f"{self.events} events in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class DemoAccount:
    role: str
    phone: str
    display_name: str
    password: str | None
    note: str


async def database_is_empty(runtime: Runtime) -> bool:
    """No event at all: the only state in which the demo city may be loaded."""
    return not await runtime.pool.fetchval("SELECT EXISTS (SELECT 1 FROM events)")


def load_day(runtime: Runtime) -> date:
    """The day a demo is loaded on, in the demo city's time zone: generate its city for this
    day (children's ages count back from it; its regular places run from the local day each
    enrolment is decided on, since a term may not start on a day gone there)."""
    return runtime.clock.now().astimezone(ZoneInfo(TIMEZONE)).date()


async def load_demo(
    runtime: Runtime,
    city: DemoCity,
    progress: Callable[[int, int], None] | None = None,
) -> LoadReport:
    """Write `city` as commands by "system:demo". The caller checks the database is empty first."""
    started = time.perf_counter()
    events_before = await _event_count(runtime)
    password_hash = await asyncio.to_thread(hash_password, city.password)  # argon2: once only
    furnished = [i for i in city.institutions if i.rooms or i.caregivers]
    total = (
        1 + len(city.regulators) + len(city.institutions) + len(furnished)
        + 3 * len(city.families)
    )  # fmt: skip
    done = 0

    async def run(decide: Decision) -> None:
        nonlocal done
        ctx = CommandContext(now=runtime.clock.now(), actor=ACTOR)
        await execute(runtime.store, ctx, lambda uow: decide(uow, ctx.now), CommandAccepted)
        done += 1
        if progress is not None:
            progress(done, total)

    await run(partial(
        cities.register_city, city_id=city.city_id, code=city.code, name=city.name,
        timezone=city.timezone, districts=list(city.districts),
    ))  # fmt: skip
    await _gather(
        run(partial(
            cities.register_regulator, phone=r.phone, display_name=r.display_name,
            password_hash=password_hash, city_id=city.city_id, district_code=r.district_code,
        ))
        for r in city.regulators
    )  # fmt: skip

    async def institution(inst: DemoInstitution) -> None:
        await run(partial(
            institutions.register_institution, institution_id=inst.institution_id,
            city_id=city.city_id, filing=_filing(city, inst),
            admin=_invite(inst.admin, password_hash),
        ))  # fmt: skip
        if inst.rooms or inst.caregivers:
            await run(partial(_furnish, inst=inst, password_hash=password_hash))

    await _gather(institution(i) for i in city.institutions)
    await _gather(
        run(partial(
            cities.register_guardian, phone=f.guardian_phone, display_name=f.guardian_name
        ))
        for f in city.families
    )  # fmt: skip
    today = load_day(runtime)
    await _gather(run(partial(care.register_family, family=f, today=today)) for f in city.families)
    for family in city.families:  # one room's enrolments are one stream: in turn, not at once
        await run(partial(care.enrol_family, city=city, family=family, term_length=TERM))
    counts = await runtime.pool.fetchrow(
        "SELECT count(*) FILTER (WHERE topic LIKE '%Child.Registered') AS children,"
        " count(*) FILTER (WHERE topic LIKE '%ChildEnrolled') AS enrolled FROM events"
    )
    return LoadReport(
        cities=1,
        districts=len(city.districts),
        institutions=len(city.institutions),
        rooms=city.rooms,
        places=city.filed_places,
        staff=city.staff,
        guardians=len(city.families),
        regulators=len(city.regulators),
        events=await _event_count(runtime) - events_before,
        seconds=round(time.perf_counter() - started, 2),
        children=counts["children"],
        enrolled=counts["enrolled"],
    )


async def _furnish(
    uow: UnitOfWork, now: datetime, *, inst: DemoInstitution, password_hash: str
) -> CommandAccepted:
    """All rooms and caregivers of one institution in one command, as the system (by=None)."""
    for room in inst.rooms:
        request = institutions.RoomRequest(
            room.room_id, room.name, room.class_type, room.capacity, room.children_per_carer
        )
        await institutions.add_room(uow, now, inst.institution_id, request, by=None)
    for carer in inst.caregivers:
        await institutions.add_staff(
            uow, now, inst.institution_id, _invite(carer, password_hash), by=None
        )
    return await care.publish_terms(uow, now, inst=inst)


def _filing(city: DemoCity, inst: DemoInstitution) -> Filing:
    return Filing(
        name=inst.name,
        district_code=inst.district_code,
        town=inst.town,
        location=inst.location,
        category=inst.category,
        ownership=inst.ownership,
        puhui=inst.puhui,
        filed_places=inst.filed_places,
        timezone=city.timezone,
        opening_hours=inst.opening_hours,
    )


def _invite(staff: DemoStaff, password_hash: str) -> StaffInvite:
    return StaffInvite(staff.phone, staff.display_name, password_hash, staff.role)


async def _gather(commands: Iterable[Awaitable[None]]) -> None:
    """Run the commands with at most CONCURRENCY in flight; the first failure is raised."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def gated(command: Awaitable[None]) -> None:
        async with gate:
            await command

    await asyncio.gather(*(gated(c) for c in commands))


async def _event_count(runtime: Runtime) -> int:
    return int(await runtime.pool.fetchval("SELECT count(*) FROM events"))


def demo_accounts(city: DemoCity) -> list[DemoAccount]:
    """The accounts to print at `make run`: regulators, admins, the first institution's
    caregivers and three guardians; larger sizes summarise the rest of each numbering."""
    first = city.institutions[0]
    admins = city.institutions[:12]
    rows = [
        DemoAccount(
            "regulator", r.phone, r.display_name, city.password,
            "市卫健委: the whole city" if r.district_code is None else f"district {r.district_code}",
        )
        for r in city.regulators
    ]  # fmt: skip
    rows += [
        DemoAccount("institution_admin", i.admin.phone, i.admin.display_name, city.password, i.name)
        for i in admins
    ]
    if len(city.institutions) > len(admins):
        last = city.institutions[-1].admin.phone
        rows.append(
            DemoAccount(
                "institution_admin", f"{city.institutions[len(admins)].admin.phone}…{last}", "…",
                city.password, "one admin per further institution, in order",
            )
        )  # fmt: skip
    rows += [
        DemoAccount("caregiver", c.phone, c.display_name, city.password, first.name)
        for c in first.caregivers
    ]
    rows += [
        DemoAccount(
            "guardian", f.guardian_phone, f.guardian_name, None,
            f"SMS code {DEMO_OTP} (TUOYU_DEMO_OTP); {len(f.children)} child(ren); regular"
            f" places at {city.institutions[0].name} where they fit",
        )
        for f in city.families[:3]
    ]  # fmt: skip
    return rows
