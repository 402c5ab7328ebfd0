"""Benchmark 4 (and 5): the hot room — 50 HTTP clients booking distinct children into one room-day.

The real app runs under uvicorn in its own process (bench/serve.py) on the bench database;
the world it serves is written through the command path first (bench/hot_world.py). 50
clients in this process, each on its own keep-alive connection of the lean HTTP/1.1 client
(bench/raw_http.py: httpx would take a core of the two, and the figures would be its own).

- ours, unlimited: one-minute bookings spread round the clock in a 20-place room, so no
  limit binds (bench/hot_world.py); every request books a child not booked before; each
  round books its own room-day, which grows all through the round.
- anchor, naive row lock: 50 asyncpg tasks, each BEGIN; SELECT … FOR UPDATE of one capacity
  row; INSERT; UPDATE; COMMIT.
- anchor, plain INSERT endpoint: a bare Litestar app (same server launcher, same body
  validation) doing one asyncpg INSERT, hit by the same 50 clients.
- ours, capacity 30: a 15-place room, half the clients ask for 08:30–12:00 and half for
  13:00–16:30 (30 child-slots), then the checks: exactly 30 accepted, nothing overbooked.
Afterwards, diagnostics (not judged): a fresh room-day, httpx clients, the app without its
projector, a traced window and a cProfile window on a BENCH_TRACE server; then benchmark 5.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend.settings import Settings
from bench.availability_http import availability_over_http, seed_bookings
from bench.availability_rush import searches_while_booking
from bench.db import BenchDatabase, building_world
from bench.hot_checks import check_text, room_day_check, settle
from bench.hot_diagnose import diagnostics
from bench.hot_world import (
    CLIENTS,
    TIGHT_CAPACITY,
    TIGHT_HALVES,
    WIDE_CAPACITY,
    Draw,
    HotWorld,
    booking_requests,
    build_hot_room,
    future_days,
    load_city,
    minute_slots,
    publish_city_terms,
)  # fmt: skip
from bench.http_load import ROWLOCK_SCHEMA, Outcomes, rowlock_window
from bench.raw_http import raw_window
from bench.report import Section, Verdict, at_least, at_least_ratio
from bench.servers import AppAndAnchor, CpuMeter, Server, cpu_text, source_change_warning

RUSH_BOOKINGS = 20  # a second, across the city, while searches run (a diagnostic)


@dataclass(frozen=True)
class HotPlan:
    city: str  # demo city size
    children: int
    duration: float  # per contestant, split over rounds
    warmup: float
    rounds: int
    tight_duration: float
    diag_duration: float
    search_duration: float


async def prepare(db: BenchDatabase, settings: Settings, plan: HotPlan, progress: Any) -> HotWorld:
    progress(f"hot room: building the world through the command path ({plan.city} city)")
    async with building_world(db, ROWLOCK_SCHEMA, settings) as runtime:
        city = await load_city(runtime, plan.city, progress)
        await publish_city_terms(runtime, city, progress)
        world = await build_hot_room(
            runtime, city, plan.children, datetime.now(UTC).date(), progress
        )
        progress("  read models catching up")
        await runtime.projector.catch_up()
        seeded = await seed_bookings(runtime.pool, world, future_days(datetime.now(UTC).date())[2])
        progress(f"  {seeded:,} rm_bookings rows seeded on the availability day")
    return world


async def hot_room(db: BenchDatabase, plan: HotPlan, progress: Any) -> list[Section]:
    apps = AppAndAnchor.on(db, "hot-room")
    world = await prepare(db, apps.settings, plan, progress)
    env, ours, plain = apps.env, apps.ours, apps.plain
    servers = [ours, plain]
    sections = []
    try:
        await apps.start(progress)
        section, pool_draw = await measured(db, world, ours, plain, plan, progress)
        sections.append(section)
        pool = await db.pool(2, 8)  # the direct searches run 8 at once, as the clients
        search_day = future_days(datetime.now(UTC).date())[2]
        try:
            sections.append(await availability_over_http(
                ours, pool, world, search_day, plan.search_duration, progress,
            ))  # fmt: skip
        finally:
            await pool.close()
        await searches_while_booking(
            sections[-1], ours, world, search_day, plan.search_duration, RUSH_BOOKINGS, progress
        )
        await diagnostics(db, world, ours, plain, plan, section, env, servers, pool_draw, progress)
    finally:
        for server in servers:
            await server.stop()
    warning = source_change_warning(servers, "figures of different servers are not comparable")
    if warning is not None:
        progress(warning)
        sections[0].notes.insert(0, warning)
    return sections


async def measured(
    db: BenchDatabase, world: HotWorld, ours: Server, plain: Server, plan: HotPlan, progress: Any
) -> tuple[Section, Draw]:
    wide = Outcomes("ours: POST /v1/bookings, unlimited (one room-day)", "ours")
    rowlock = Outcomes("naive row lock, 50 asyncpg tasks", "anchor")
    insert = Outcomes("plain INSERT endpoint (Litestar + asyncpg)", "anchor")
    tight = Outcomes("ours: POST /v1/bookings, capacity 30", "ours")
    # A room-day per round: 20 places × 1,440 one-minute slots bind at 28,800 bookings.
    days = [world.wide_day - timedelta(days=r) for r in range(plan.rounds)]
    draws = {day: Draw(world.children) for day in days}
    plain_make = booking_requests(
        world, world.wide_room, world.wide_day, Draw(world.children), minute_slots()
    )
    settled: list[str] = []
    window = plan.duration / plan.rounds
    answered_201: dict[date, int] = {}  # per round's room-day, in round order

    async def run_ours() -> None:
        world.mint_tokens()
        day = days[len(answered_201)]
        make = booking_requests(world, world.wide_room, day, draws[day], minute_slots())
        before = wide.all_accepted
        await raw_window(
            ours.port, CLIENTS, make, wide, plan.warmup, window, CpuMeter(db, ours.pid)
        )
        answered_201[day] = wide.all_accepted - before
        seconds, lag = await settle(ours.url)
        settled.append(f"{lag:,} events behind at the end, caught up in {seconds:.1f}s")

    async def run_rowlock() -> None:
        await rowlock_window(db, CLIENTS, 10**9, rowlock, plan.warmup, window, CpuMeter(db, None))

    async def run_plain() -> None:
        await raw_window(
            plain.port, CLIENTS, plain_make, insert, plan.warmup, window, CpuMeter(db, plain.pid)
        )

    contestants = [(wide, run_ours), (rowlock, run_rowlock), (insert, run_plain)]
    progress(
        f"hot room: {CLIENTS} clients, {plan.duration:g}s per contestant in {plan.rounds} round(s)"
    )
    for r in range(plan.rounds):
        for out, run in contestants if r % 2 == 0 else reversed(contestants):
            await db.checkpoint()
            await run()
            progress(
                f"  round {r + 1}/{plan.rounds} {out.label}: {out.rate:,.0f} accepted/s so far,"
                f" p99 {out.percentile_ms(0.99) or 0:.1f} ms ({out.accepted:,}; other {dict(out.other)})"
            )
    progress(f"hot room: capacity 30 (15 places × 2 halves), {plan.tight_duration:g}s")
    world.mint_tokens()
    await db.checkpoint()
    halves = itertools.cycle(TIGHT_HALVES)
    tight_make = booking_requests(
        world, world.tight_room, world.tight_day, Draw(world.children), halves
    )
    # No warm-up: the race for the 30 slots is what this window is about.
    await raw_window(
        ours.port, CLIENTS, tight_make, tight, 0.0, plan.tight_duration, CpuMeter(db, ours.pid)
    )
    progress(
        f"  {tight.all_accepted} accepted, {tight.refused:,} refused, other {dict(tight.other)}"
    )
    await settle(ours.url)
    pool = await db.pool(1, 2)
    try:
        checks = {
            f"unlimited {day.isoformat()}": await room_day_check(
                pool, world.wide_room, day, WIDE_CAPACITY, answered_201[day]
            )
            for day in days
        }
        checks["capacity 30"] = await room_day_check(
            pool, world.tight_room, world.tight_day, TIGHT_CAPACITY, tight.all_accepted
        )
    finally:
        await pool.close()
    section = Section("hot_room", f"4. Hot room ({CLIENTS} HTTP clients, one room-day)")
    for out in (wide, rowlock, insert, tight):
        section.measure(out.label, out.role, out.summary())
    section.verdicts += verdicts(wide, rowlock, insert, tight, checks)
    section.notes += notes(wide, rowlock, insert, tight, checks, settled, list(draws.values()))
    return section, draws[world.wide_day]


def _p99(out: Outcomes) -> float:
    return out.percentile_ms(0.99) or 0.0


def verdicts(wide: Outcomes, rowlock: Outcomes, insert: Outcomes, tight: Outcomes,
             checks: dict[str, dict[str, Any]]) -> list[Verdict]:  # fmt: skip
    figure = f"ours accepted, unlimited (p50 {wide.percentile_ms(0.5) or 0:.1f} ms, p99 {_p99(wide):.1f} ms)"
    excess = max(c["overbooked"] for c in checks.values())
    consistent = all(c["consistent"] for c in checks.values())
    exact = checks["capacity 30"]["answered_201"] == 2 * TIGHT_CAPACITY
    return [
        at_least(figure, wide.rate, "bookings/s", insert.label, insert.rate, 1500),
        Verdict("ours p99 latency, unlimited", _p99(wide), "ms", insert.label, _p99(insert), "≤ 50 ms", 0 < _p99(wide) <= 50),
        Verdict("ours p99 latency, capacity 30 (all answers)", _p99(tight), "ms", insert.label, _p99(insert), "≤ 50 ms", 0 < _p99(tight) <= 50),
        at_least_ratio(figure, wide.rate, "bookings/s", rowlock.label, rowlock.rate, 3),
        at_least_ratio(figure, wide.rate, "bookings/s", insert.label, insert.rate, 0.6),
        Verdict(
            "overbooked children at the fullest minute (every room-day)", excess, "children",
            "places in the capacity-30 room", TIGHT_CAPACITY,
            "0; exactly 30 of 30 slots; every 201 = 1 event = 1 row", excess == 0 and consistent and exact,
        ),
    ]  # fmt: skip


def notes(wide: Outcomes, rowlock: Outcomes, insert: Outcomes, tight: Outcomes,
          checks: dict[str, dict[str, Any]], settled: list[str], draws: list[Draw]) -> list[str]:  # fmt: skip
    per_second = wide.per_second
    lines = [check_text(name, c) for name, c in checks.items()]
    grown = [c["care_booked_events"] for name, c in checks.items() if name.startswith("unlimited")]
    wrapped = sum(d.wrapped for d in draws)
    lines.append(
        f"unlimited: a room-day per round, {', '.join(f'{n:,}' for n in grown)} bookings on its one"
        f" stream at the end; accepted per second over the windows: {per_second}"
        + (f"; the child pool wrapped {wrapped}×" if wrapped else "")
        + (f"; {wide.refused:,} refused (a minute full)" if wide.refused else "")
    )
    lines.append(
        f"capacity 30: {tight.responses / tight.seconds:,.0f} answers/s ({tight.refused:,} × 409)"
        f", p50 {tight.percentile_ms(0.5) or 0:.1f} ms"
    )
    lines.append(f"after each window of ours, the read models: {'; '.join(settled)}")
    for out in (wide, rowlock, insert, tight):
        for cpu in out.cpu[:1]:
            what = "answer" if out is tight else "accepted"
            lines.append(f"{out.label}: {cpu_text(cpu)}; {out.cpu_per(what)}")
    lines.append(
        "uvicorn runs as `tuoyu serve` runs it here (uvloop, httptools, one write per response:"
        " backend/http_server.py); both HTTP contestants run alike."
    )
    return lines
