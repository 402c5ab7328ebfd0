"""How long a tick of the freed-places job takes when nothing changed (not a test, not part of
`python -m bench`): N full room-days, each with a family waiting, then ticks with no change and
one tick after one institution's roster changed. Run it on two commits to compare:

    PYTHONPATH=<checkout> .venv/bin/python bench/freed_places_ticks.py [--institutions 10]
        [--rooms 5] [--days 20] [--ticks 5]

It starts its own embedded PostgreSQL (fast, unsafe settings) in .data/freed-places-<pid> and
removes it afterwards; the bench database is not touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import time
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from api_schema.common import CommandAccepted
from backend.auth.passwords import hash_password
from backend.commands import CommandContext, execute
from backend.db.embedded import embedded_dsn, start_embedded
from backend.db.migrate import migrate
from backend.runtime import close_runtime, open_runtime
from backend.scheduler import offer_places_freed_by_changes
from backend.services import bookings, cities, institutions, waitlist
from backend.services.children import register_child
from backend.services.institutions import Filing, StaffInvite, administered
from backend.settings import Settings
from backend.state import Runtime
from backend.unit_of_work import UnitOfWork
from domain.account.aggregate import account_id_for
from domain.booking.terms import CareOffer, CareType, Shift
from domain.child.aggregate import Sex
from domain.city.aggregate import District
from domain.class_types import NATIONAL, ClassType
from domain.institution.kinds import Category, Ownership, StaffRole
from domain.institution.values import Location, OpeningInterval, Room

ROOT = Path(__file__).resolve().parent.parent
ALL_WEEK = (1, 2, 3, 4, 5, 6, 7)
WHOLE_DAY = 24 * 60


async def run(runtime: Runtime, decide: Any) -> Any:
    ctx = CommandContext(now=runtime.clock.now(), actor="system:bench")
    return (
        await execute(runtime.store, ctx, lambda uow: decide(uow, ctx.now), CommandAccepted)
    ).value


async def institution_with_rooms(
    runtime: Runtime, city_id: UUID, n: int, rooms: int
) -> tuple[UUID, list[UUID]]:
    institution_id, room_ids = uuid4(), [uuid4() for _ in range(rooms)]
    filing = Filing(
        name=f"排队托育中心 {n}", district_code="gusu", town="平江街道",
        location=Location("姑苏区 排队路 1 号", 31.30, 120.60), category=Category.center,
        ownership=Ownership.private, puhui=True, filed_places=rooms, timezone="Asia/Shanghai",
        opening_hours=tuple(OpeningInterval(d, 0, WHOLE_DAY) for d in ALL_WEEK),
    )  # fmt: skip
    admin = StaffInvite(f"1370001{n:04d}", "园长", hash_password("x"), StaffRole.institution_admin)
    await run(runtime, partial(institutions.register_institution, institution_id=institution_id,
                               city_id=city_id, filing=filing, admin=admin))  # fmt: skip
    offer = CareOffer(
        CareType.hourly, ALL_WEEK, 0, WHOLE_DAY, 3000, "per_hour", 0, WHOLE_DAY, WHOLE_DAY
    )

    async def furnish(uow: UnitOfWork, now: datetime) -> CommandAccepted:
        institution = await administered(uow, institution_id, None)
        for room_id in room_ids:  # one place each: one booking fills a room-day
            institution.add_room(
                Room(room_id, f"班 {room_id.hex[:4]}", ClassType.older_toddler, 1, 7), NATIONAL, now
            )
            institution.publish_offers(room_id, (offer,), now)
            institution.plan_roster(
                room_id, tuple(Shift(d, 0, WHOLE_DAY, 1) for d in ALL_WEEK), now
            )
        return institutions.accepted(institution)

    await run(runtime, furnish)
    return institution_id, room_ids


async def child(runtime: Runtime, guardian: UUID, today: date) -> UUID:
    child_id = uuid4()
    await run(runtime, partial(register_child, child_id=child_id, guardian_id=guardian, name="小宝",
                               birth_date=today - timedelta(days=900), sex=Sex.female, consent=True,
                               today=today))  # fmt: skip
    return child_id


async def build(runtime: Runtime, args: argparse.Namespace) -> list[tuple[UUID, list[UUID]]]:
    """The city, its institutions, and in every room on every day one child booked (the room
    full) and another waiting; returns each institution with its rooms."""
    city_id, today = uuid4(), runtime.clock.now().date()
    district = District("gusu", "姑苏区", 950_000, ("平江街道",))
    await run(runtime, partial(cities.register_city, city_id=city_id, code="suzhou", name="苏州",
                               timezone="Asia/Shanghai", districts=[district]))  # fmt: skip
    await run(runtime, partial(cities.register_guardian, phone="15800000001", display_name="家长"))
    guardian = account_id_for("15800000001")
    days = [today + timedelta(days=14 + d) for d in range(args.days)]
    gate = asyncio.Semaphore(8)
    built = []
    for n in range(args.institutions):
        institution_id, room_ids = await institution_with_rooms(runtime, city_id, n, args.rooms)
        built.append((institution_id, room_ids))
        for room_id in room_ids:
            holder, waiter = [await child(runtime, guardian, today) for _ in range(2)]
            await asyncio.gather(*(
                _full_with_a_line(runtime, gate, guardian, (institution_id, room_id, day),
                                  holder, waiter)
                for day in days
            ))  # fmt: skip
    return built


async def _full_with_a_line(
    runtime: Runtime, gate: asyncio.Semaphore, guardian: UUID, where: tuple[UUID, UUID, date],
    holder: UUID, waiter: UUID,
) -> None:  # fmt: skip
    """The holder booked into the room that day (09:00–11:00), filling it; the waiter joins."""
    async with gate:
        for kid, decide in ((holder, bookings.book_care), (waiter, waitlist.join_waitlist)):
            request = bookings.BookingRequest(uuid4(), guardian, kid, *where, 540, 660,
                                              CareType.hourly)  # fmt: skip
            await run(runtime, partial(decide, request=request))


async def tick(runtime: Runtime) -> tuple[float, int]:
    await runtime.projector.wait_until(await runtime.store.head_position())
    started = time.perf_counter()
    looked_at = await offer_places_freed_by_changes(runtime)
    return time.perf_counter() - started, looked_at


async def main(args: argparse.Namespace) -> None:
    data = ROOT / ".data" / f"freed-places-{os.getpid()}"
    server = start_embedded(data, fast_unsafe=True)
    try:
        admin = await asyncpg.connect(embedded_dsn(server))
        await admin.execute("CREATE DATABASE freed_places")
        await admin.close()
        dsn = embedded_dsn(server, "freed_places")
        conn = await asyncpg.connect(dsn)
        await migrate(conn)
        await conn.close()
        runtime = await open_runtime(Settings(database_url=dsn), dsn)
        try:
            started = time.perf_counter()
            built = await build(runtime, args)
            waiting = args.institutions * args.rooms * args.days
            print(
                f"{waiting} full room-days with a family waiting, built in {time.perf_counter() - started:.0f}s"
            )
            first = await tick(runtime)
            print(f"first tick: {first[0] * 1000:.1f} ms, {first[1]} room-days looked at")
            quiet = [await tick(runtime) for _ in range(args.ticks)]
            times = [t * 1000 for t, _ in quiet]
            print(f"{args.ticks} ticks with no change: median {statistics.median(times):.1f} ms"
                  f" (min {min(times):.1f}, max {max(times):.1f}),"
                  f" room-days looked at {[n for _, n in quiet]}")  # fmt: skip
            institution_id, room_ids = built[0]

            async def more_carers(uow: UnitOfWork, now: datetime) -> CommandAccepted:
                institution = await administered(uow, institution_id, None)
                institution.plan_roster(
                    room_ids[0], tuple(Shift(d, 0, WHOLE_DAY, 2) for d in ALL_WEEK), now
                )
                return institutions.accepted(institution)

            await run(runtime, more_carers)
            changed = await tick(runtime)
            print(f"tick after one institution's roster changed: {changed[0] * 1000:.1f} ms,"
                  f" {changed[1]} room-days looked at")  # fmt: skip
        finally:
            await close_runtime(runtime)
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=10)
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
