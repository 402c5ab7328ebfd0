"""Availability search micro-benchmark: `find_available` over a city of 750 institutions.

    .venv/bin/python -m bench.availability [--quick] [--profile]

Seeds the read-model tables directly (no events: this measures the query, not the projector)
with 750 institutions in a 24 × 24 km city, 3,300 rooms with offers and rosters, and about
60 % of every room's places booked on the searched day. Then times `find_available` from
random homes (3 km radius, 10:00–13:00, an 18-month-old) beside a same-run anchor: the
candidate query alone, i.e. what the search costs before any decision in Python. The search
takes its rooms from the in-process copy, as the server's does. Prints
p50/p99 latency of each and their ratio; never asserted, never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import msgspec

from backend.db.embedded import embedded_dsn, start_embedded
from backend.db.migrate import migrate
from bench.db import ROOT
from domain.booking.terms import DEFAULT_REFUND_POLICY, CareOffer, CareType, Shift
from domain.class_types import NATIONAL_CLASS_RULES, ClassType
from domain.institution.values import OpeningInterval
from projections import availability
from projections.base import indexes_of
from projections.registry import ALL
from projections.room_catalogue import RoomCatalogue

DATABASE = "tuoyu_bench_availability"
PROFILE = ROOT / ".data" / "bench-logs" / "availability-micro-profile.txt"
DATA_DIR = ROOT / ".data" / "bench-availability-pg"  # its own server: never races `make bench`
CENTRE = (31.30, 120.60)
DAY = date(2026, 12, 1)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WEEKDAYS = (1, 2, 3, 4, 5)
_json = msgspec.json.Encoder()


def _terms() -> tuple[str, str]:
    offers = (
        CareOffer(CareType.hourly, WEEKDAYS, 480, 1080, 3000, "per_hour", 60, 360),
        CareOffer(CareType.full_day, WEEKDAYS, 480, 1020, 15000, "per_session"),
    )
    shifts = tuple(Shift(d, 480, 1080, 2) for d in WEEKDAYS)
    return _json.encode(offers).decode(), _json.encode(shifts).decode()


async def seed(conn: asyncpg.Connection, rng: random.Random, count: int, rooms: int) -> None:
    hours = _json.encode([OpeningInterval(d, 450, 1110) for d in WEEKDAYS]).decode()
    policy = _json.encode(DEFAULT_REFUND_POLICY).decode()
    offers, shifts = _terms()
    kinds = [ClassType.infant, ClassType.toddler, ClassType.older_toddler, ClassType.mixed]
    inst_rows, room_rows, term_rows, day_rows, booking_rows = [], [], [], [], []
    city = uuid4()
    for n in range(count):
        iid = uuid4()
        lat = CENTRE[0] + rng.uniform(-12, 12) / 111.2
        lng = CENTRE[1] + rng.uniform(-12, 12) / 95.0
        inst_rows.append((
            iid, f"托育{n}", city, "gusu", "街道", f"路{n}号", lat, lng, "center", "private",
            True, 100, "Asia/Shanghai", hours, NOW, n + 1, policy,
        ))  # fmt: skip
        for r in range(rooms // count + (n < rooms % count)):
            kind = rng.choice(kinds)
            rule = NATIONAL_CLASS_RULES[kind]
            room_id, rd = uuid4(), uuid4()
            room_rows.append((room_id, iid, f"班{r}", kind.value, rule.max_class_size, rule.children_per_carer,
                              rule.max_class_size, rule.children_per_carer))  # fmt: skip
            term_rows.append((room_id, iid, offers, shifts))
            day_rows.append((rd, room_id, iid, DAY))
            for _ in range(rule.max_class_size * 6 // 10):
                start = rng.randrange(480, 900, 30)
                end = min(start + rng.choice((60, 120, 180, 540)), 1080)
                booking_rows.append(_booking(rd, room_id, iid, start, end, rule.children_per_carer, policy))  # fmt: skip
    await conn.executemany(
        "INSERT INTO rm_institutions VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,"
        "$14::jsonb,$15,$16,$17::jsonb)",
        inst_rows,
    )
    await conn.copy_records_to_table("rm_rooms", records=room_rows)
    await conn.executemany(
        "INSERT INTO rm_room_terms VALUES ($1,$2,$3::jsonb,$4::jsonb)", term_rows
    )
    await conn.copy_records_to_table("rm_room_days", records=day_rows)
    await conn.executemany(
        "INSERT INTO rm_bookings VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,"
        "$16,$17::jsonb,$18,$19,$20)",
        booking_rows,
    )
    await conn.execute("ANALYZE")


def _booking(rd: UUID, room: UUID, iid: UUID, start: int, end: int, ratio: int, policy: str):
    at = NOW
    return (
        uuid4(), rd, room, iid, DAY, uuid4(), uuid4(), "hourly", start, end, at, at, 3000,
        None, "confirmed", None, policy, ratio, at, at,
    )  # fmt: skip


async def timed(op: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    for _ in range(max(runs // 10, 3)):  # warm-up, not counted
        await op()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        await op()
        seconds.append(time.perf_counter() - started)
    return seconds


def _ms(seconds: list[float], q: float) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[int(q * 100) - 1] * 1000


async def main(quick: bool, profile: bool) -> None:
    runs = 50 if quick else 400
    server = start_embedded(DATA_DIR)
    admin = await asyncpg.connect(embedded_dsn(server))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
        conn = await asyncpg.connect(embedded_dsn(server, DATABASE))
        try:
            await migrate(conn)
            for model in ALL:  # every read model the search may read, as the projector makes them
                await conn.execute(model.schema + indexes_of(model))
            print("seeding 750 institutions, 3,300 rooms, bookings at ~60 % …", flush=True)
            await seed(conn, random.Random(7), 750, 3300)
            booked = await conn.fetchval("SELECT count(*) FROM rm_bookings")
            rng = random.Random(11)
            homes = [
                (CENTRE[0] + rng.uniform(-8, 8) / 111.2, CENTRE[1] + rng.uniform(-8, 8) / 95.0)
                for _ in range(runs)
            ]
            it = iter(homes * 2)

            rooms = RoomCatalogue()  # the server's way: rooms from the in-process copy

            async def search() -> list[dict[str, Any]]:
                lat, lng = next(it, CENTRE)
                return await availability.find_available(
                    conn, lat=lat, lng=lng, radius_km=3.0, day=DAY, start_min=600,
                    end_min=780, birth_date=date(2025, 6, 1), care_type=None, now=NOW,
                    catalogue=(rooms, 0),
                )  # fmt: skip

            async def anchor() -> object:
                lat, lng = next(it, CENTRE)
                kinds = ["toddler", "mixed"]
                return await conn.fetch(availability._CANDIDATES, lat, lng, 3.0, kinds, DAY)

            await search()  # the first search copies the catalogue, as a server's first does
            profiler = cProfile.Profile() if profile else None
            cpu = time.process_time()
            if profiler is not None:
                profiler.enable()
            ours = await timed(search, runs)
            if profiler is not None:
                profiler.disable()
            cpu = (time.process_time() - cpu) / (runs + max(runs // 10, 3))
            it = iter(homes * 2)
            base = await timed(anchor, runs)
            it = iter(())  # the last search: from the centre
            found = await search()
        finally:
            await conn.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        await admin.close()
        server.cleanup()
    print(f"{booked} confirmed bookings on the day; {len(found)} institutions found at centre")
    for label, s in (("find_available", ours), ("anchor: candidate query only", base)):
        print(f"  {label:30} p50 {_ms(s, 0.5):7.2f} ms   p99 {_ms(s, 0.99):7.2f} ms")
    print(f"  ratio p50 ours / anchor: {statistics.median(ours) / statistics.median(base):.2f}")
    print(f"  this process's CPU per search: {cpu * 1000:.2f} ms (the decisions in Python)")
    if profiler is not None:
        PROFILE.parent.mkdir(parents=True, exist_ok=True)
        with PROFILE.open("w") as out:
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        print(f"  profile of the searches: {PROFILE.relative_to(ROOT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.availability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 searches instead of 400")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed searches")
    args = parser.parse_args()
    asyncio.run(main(args.quick, args.profile))
