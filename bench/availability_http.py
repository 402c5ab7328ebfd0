"""Benchmark 5: availability search over HTTP in the demo city, beside a trivial endpoint.

GET /v1/availability from 8 concurrent clients (the lean client, bench/raw_http.py, as the
hot room's) at random family homes of the demo city (3 km, 10:00–13:00 on a Tuesday, a
30-month-old), on the same server process as the hot room; anchor: GET /health/live on that
server with the same 8 clients. Diagnostics: both again with httpx clients (what a heavier
client costs on the 2 cores), and the same searches as direct `find_available` calls from
this process (the query without HTTP).
Before it, ~60 % of every room's places are booked on the searched day as rm_bookings rows
written straight into the read model, as bench/availability.py does (the search reads
them; the booking path is measured elsewhere).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import msgspec

from backend.services.bookings import local_instant
from bench.hot_world import HotWorld
from bench.http_load import Outcomes, Request, _Window, http_window
from bench.raw_http import raw_window
from bench.report import Section, Verdict
from bench.servers import CpuMeter, Server, cpu_text
from domain.booking.room_day import room_day_id
from domain.booking.terms import DEFAULT_REFUND_POLICY
from domain.class_types import NATIONAL_CLASS_RULES
from projections import availability

CLIENTS = 8
START, END, RADIUS_KM = "10:00", "13:00", 3.0
_COLUMNS = (
    "id", "room_day_id", "room_id", "institution_id", "day", "child_id", "guardian_id",
    "care_type", "start_min", "end_min", "starts_at", "ends_at", "price_fen", "refund_fen",
    "status", "cancelled_by", "refund_policy", "children_per_carer", "booked_at", "updated_at",
)  # fmt: skip


async def seed_bookings(pool: asyncpg.Pool, world: HotWorld, day: date) -> int:
    """About 60 % of each demo room's places booked on `day`, straight into rm_bookings."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    policy = msgspec.json.encode(DEFAULT_REFUND_POLICY).decode()
    rows = []
    for inst in world.city.institutions:
        for room in inst.rooms:
            ratio = NATIONAL_CLASS_RULES[room.class_type].children_per_carer
            for _ in range(room.capacity * 6 // 10):
                start = rng.randrange(480, 900, 30)
                end = min(start + rng.choice((60, 120, 180, 540)), 1080)
                rows.append((
                    uuid4(), room_day_id(room.room_id, day), room.room_id, inst.institution_id,
                    day, uuid4(), uuid4(), "hourly", start, end,
                    local_instant(day, start, world.city.timezone),
                    local_instant(day, end, world.city.timezone), 3000, None, "confirmed",
                    None, policy, ratio, now, now,
                ))  # fmt: skip
    async with pool.acquire() as conn:
        await conn.executemany(
            f"INSERT INTO rm_bookings ({', '.join(_COLUMNS)}) VALUES"
            f" ({', '.join(f'${i}' for i in range(1, 18))}::jsonb, $18, $19, $20)",
            rows,
        )
        await conn.execute("ANALYZE rm_bookings")
    return len(rows)


def _homes(world: HotWorld) -> list[tuple[float, float]]:
    homes = [(f.home.lat, f.home.lng) for f in world.city.families]
    return homes or [(i.location.lat, i.location.lng) for i in world.city.institutions]


def search_requests(world: HotWorld, day: date, rng: random.Random) -> Callable[[], Request]:
    """GET /v1/availability from a random home, for one of the first CLIENTS children."""
    homes = _homes(world)
    pairs = world.children[:CLIENTS]

    def search() -> Request:
        lat, lng = rng.choice(homes)
        child, guardian = rng.choice(pairs)
        params = {
            "lat": f"{lat:.5f}", "lng": f"{lng:.5f}", "radius_km": str(RADIUS_KM),
            "date": day.isoformat(), "start": START, "end": END, "child_id": str(child),
        }  # fmt: skip
        return "GET", "/v1/availability", params, world.headers(guardian)

    return search


async def availability_over_http(
    server: Server, pool: asyncpg.Pool, world: HotWorld, day: date, duration: float,
    progress: Any,
) -> Section:  # fmt: skip
    rng = random.Random(11)
    homes = _homes(world)
    pairs = world.children[:CLIENTS]
    world.mint_tokens()
    meter = CpuMeter(server.db, server.pid)
    search = search_requests(world, day, rng)

    def live() -> Request:
        return "GET", "/health/live", None, {}

    ours = Outcomes("GET /v1/availability, 8 clients", "ours")
    anchor = Outcomes("GET /health/live, 8 clients (same server)", "anchor")
    direct = Outcomes("find_available() in-process, 8 tasks (no HTTP)", "diagnostic")
    # the same two with httpx clients: more of the 2 cores goes to the client (not judged)
    heavy = Outcomes("diagnostic: GET /v1/availability, 8 httpx clients", "diagnostic")
    heavy_anchor = Outcomes("diagnostic: GET /health/live, 8 httpx clients", "diagnostic")
    for out, make, lean_client in (
        (ours, search, True), (anchor, live, True), (heavy, search, False),
        (heavy_anchor, live, False),
    ):  # fmt: skip
        await server.db.checkpoint()
        if lean_client:
            await raw_window(server.port, CLIENTS, make, out, 1.0, duration, meter, accepted=200)
        else:
            await http_window(server.url, CLIENTS, make, out, 1.0, duration, meter, accepted=200)
        progress(
            f"  {out.label}: {out.responses / out.seconds:,.0f}/s, p99 {out.percentile_ms(0.99):.1f} ms"
        )
    birth = await pool.fetchval("SELECT birth_date FROM rm_children WHERE id = $1", pairs[0][0])
    await _direct(pool, homes, rng, day, birth, direct, duration)
    found = [len(await _found(server, search)) for _ in range(20)]
    section = Section(
        "availability_http",
        f"5. Availability over HTTP ({len(world.city.institutions)} institutions)",
    )
    for out in (ours, anchor, heavy, heavy_anchor, direct):
        section.measure(out.label, out.role, out.summary())
    p99 = ours.percentile_ms(0.99) or 0.0
    section.verdicts.append(Verdict(
        f"{ours.label} p99 (p50 {ours.percentile_ms(0.5):.2f} ms)", p99, "ms", anchor.label,
        anchor.percentile_ms(0.99) or 0.0, "≤ 20 ms", 0 < p99 <= 20,
    ))  # fmt: skip
    section.notes += [
        f"searches answered {ours.accepted:,} × 200 ({dict(ours.other) or 'no other status'});"
        f" a sample of 20 found {sum(found) / len(found):.1f} institutions on average"
        f" (3 km, {START}–{END}, {day.isoformat()}).",
        f"search window {cpu_text(ours.cpu[0])}." if ours.cpu else "no CPU sample",
        f"with httpx clients instead of the lean client, the same searches: p50"
        f" {heavy.percentile_ms(0.5):.2f} ms, p99 {heavy.percentile_ms(0.99):.2f} ms, beside"
        f" /health/live p99 {heavy_anchor.percentile_ms(0.99):.2f} ms"
        f" ({cpu_text(heavy.cpu[0]) if heavy.cpu else 'no CPU sample'}).",
        f"direct find_available p50 {direct.percentile_ms(0.5):.2f} ms, p99"
        f" {direct.percentile_ms(0.99):.2f} ms: the rest of the HTTP figure is the framework,"
        " auth, the guardian check (the child and its guardians, one read-model query) and JSON.",
    ]
    return section


async def _direct(pool: asyncpg.Pool, homes: list[tuple[float, float]], rng: random.Random,
                  day: date, birth: date, out: Outcomes, duration: float) -> None:  # fmt: skip
    window = _Window(1.0, duration)
    now = datetime.now(UTC)

    async def worker() -> None:
        while (started := time.perf_counter()) < window.end:
            lat, lng = rng.choice(homes)
            await availability.find_available(
                pool, lat=lat, lng=lng, radius_km=RADIUS_KM, day=day, start_min=600,
                end_min=780, birth_date=birth, care_type=None, now=now,
            )  # fmt: skip
            window.record(out, started, time.perf_counter(), "accepted")

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    out.seconds += duration


async def _found(server: Server, search: Any) -> list[Any]:
    import httpx

    _, path, params, headers = search()
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get(path, params=params, headers=headers)
    return response.json() if response.status_code == 200 else []
