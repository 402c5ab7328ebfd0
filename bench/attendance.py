"""Benchmarks 6–8: attendance — check-ins at fixed offered rates (open loop), projection lag to the live
occupancy stream, and live occupancy reads, each beside an anchor measured in the same run.

The real app runs under uvicorn in its own process (bench/serve.py) on the bench database, the
world written first through the command path (bench/attendance_world.py). The anchor is the
plain app (same launcher): check-in and check-out endpoints validating the same bodies and
doing one INSERT, and a live-occupancy endpoint answering a constant Struct.

6. Check-ins at fixed offered rates, open loop (bench/open_loop.py), the same cycle of
   children for both (bench/attendance_cycle.py): p99 from the scheduled time; then a short
   ramp for the highest rate held with p99 ≤ 100 ms and no errors.
7. Projection lag at 500 events/s (500 check-ins/s, the load of 6 at 500/s): SSE streams of
   a few institutions, against a bare INSERT + NOTIFY heard by a listener
   (bench/attendance_lag.py), in the same window.
8. Live occupancy reads, closed loop, 64 connections of the lean client (bench/attendance_reads.py).
Then diagnostics, never judged: traced, profiled and projector-less windows
(bench/attendance_diagnose.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from backend.settings import Settings
from bench.attendance_cycle import P99_HELD_MS, Cycle, Rates
from bench.attendance_diagnose import diagnose
from bench.attendance_lag import NOTIFY_TABLE, Matcher, SseProbe, notify_lag
from bench.attendance_reads import live_reads
from bench.attendance_report import lag_ms, sections
from bench.attendance_world import AttendanceWorld, build_attendance_world, stay_on_one_day
from bench.db import BenchDatabase, building_world
from bench.hot_checks import settle
from bench.hot_world import load_city
from bench.open_loop import ABANDON_AFTER, Connections, OpenTally, measure_cpu, schedule
from bench.report import Section
from bench.serve import PLAIN_ATTENDANCE_TABLE
from bench.servers import AppAndAnchor, CpuMeter, source_change_warning
from bench.timing import collector_paused

SCHEMA = f"""
DROP TABLE IF EXISTS {PLAIN_ATTENDANCE_TABLE}, {NOTIFY_TABLE};
CREATE TABLE {PLAIN_ATTENDANCE_TABLE} (id uuid PRIMARY KEY, kind text NOT NULL,
    child_id uuid NOT NULL, place_id uuid NOT NULL, at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE {NOTIFY_TABLE} (id uuid PRIMARY KEY, recorded_at timestamptz NOT NULL DEFAULT now());
"""
FIRST_VISITS_RATE = 400  # check-ins/s of the uncounted first visits: inside what the app holds


@dataclass(frozen=True)
class AttendancePlan:
    city: str
    rooms: int
    per_institution: int  # rooms used per institution
    rates: tuple[int, ...]  # fixed offered check-in rates (per second), the targets' rates
    ramp: tuple[int, ...]  # steps above the last fixed rate, until one fails
    bisections: int  # steps below a failing fixed rate instead
    warmup: float
    duration: float  # measured seconds per fixed-rate window
    step_duration: float  # per ramp step (after a warm-up of warmup / 2)
    probes: int  # institutions whose SSE stream the lag window follows
    lag_events: int  # attendance events/s in the lag window (check-ins, and any check-outs)
    read_duration: float  # per contestant, split over rounds
    read_rounds: int
    hold: float | None  # None: collected after the window (bench/attendance_cycle.py)
    connections: int  # of the open-loop client
    minutes_needed: float  # before local midnight, else the run waits for it
    diag_duration: float  # per diagnostic window (traced, profiled) after the measured ones

    def lag_rate(self) -> int:
        """Check-ins/s making the lag window's events/s: each is one event, with its
        check-out in the window (a set `hold`) two."""
        return self.lag_events if self.hold is None else self.lag_events // 2

    def children_needed(self) -> int:
        """Children a window at the highest fixed rate checks in: each arrives once per
        window when they are collected only after it."""
        return int(max(self.rates) * (self.warmup + self.duration)) + 1


async def prepare(db: BenchDatabase, settings: Settings, plan: AttendancePlan,
                  progress: Any) -> AttendanceWorld:  # fmt: skip
    progress(f"attendance: building the world through the command path ({plan.city} city)")
    async with building_world(db, SCHEMA, settings) as runtime:
        city = await load_city(runtime, plan.city, progress)
        await stay_on_one_day(city.timezone, plan.minutes_needed, progress)
        world = await build_attendance_world(
            runtime, city, plan.rooms, plan.per_institution, progress
        )
        started = time.perf_counter()
        await runtime.projector.catch_up()
        progress(f"  read models caught up in {time.perf_counter() - started:.1f}s")
    return world


async def attendance(db: BenchDatabase, plan: AttendancePlan, progress: Any) -> list[Section]:
    apps = AppAndAnchor.on(db, "attendance")
    world = await prepare(db, apps.settings, plan, progress)
    if plan.hold is None and world.children < plan.children_needed():
        progress(f"  only {world.children:,} children for {plan.children_needed():,} arrivals per"
                 " window: the fastest windows will run out of children to check in")  # fmt: skip
    env, ours, plain = apps.env, apps.ours, apps.plain
    servers = [ours]  # the app's, diagnostics included: their fingerprints must agree
    try:
        await apps.start(progress)
        run = Run(db, world, plan, progress)
        mine = Rates("ours", "ours", ours, Cycle(world, plan.hold))
        anchor = Rates("plain INSERT endpoint", "anchor", plain, Cycle(world, plan.hold))
        await run.first_visits(mine, anchor)
        await run.fixed_rates(mine, anchor)
        lags = [await run.lag_window(mine, plan.lag_rate(), plan.duration)]
        for contestant in (mine, anchor):
            await run.ramp(contestant)
        if 0 < mine.best < lags[0].rate:  # and where the app keeps up (longer: fewer events)
            lags.append(await run.lag_window(mine, mine.best, 2 * plan.duration))
        reads = await live_reads(run, ours, plain)
        await ours.stop()
        await plain.stop()
        progress("attendance diagnostics (not judged)")
        rate = mine.best or plan.rates[0]
        found = sections(world, plan, mine, anchor, lags, reads)
        await diagnose(run, env, rate, plan.diag_duration, mine.cycle, found[0], servers)
    finally:
        await ours.stop()
        await plain.stop()
    warning = source_change_warning(
        servers, "the diagnostics ran other code than the measured windows"
    )
    if warning is not None:
        progress(warning)
        found[0].notes.insert(0, warning)
    return found


@dataclass
class Lag:
    rate: int
    duration: float
    ours: Matcher
    anchor: Matcher
    probe: SseProbe
    window: tuple[OpenTally, OpenTally]
    notify_rate: float


class Run:
    def __init__(self, db: BenchDatabase, world: AttendanceWorld, plan: AttendancePlan,
                 progress: Any) -> None:  # fmt: skip
        self.db, self.world, self.plan, self.progress = db, world, plan, progress

    async def window(self, who: Rates, rate: int, warmup: float, duration: float,
                     label: str = "", alongside: Any = None) -> tuple[OpenTally, OpenTally]:  # fmt: skip
        """One open-loop window at `rate` check-ins/s (and `alongside(begin, end)`, if given);
        waits until every child is idle again and (for the app) its read models have caught
        up, so the next window starts level."""
        self.world.mint_tokens()
        await self.db.checkpoint()
        pool = Connections(who.server.port, self.plan.connections, ABANDON_AFTER)
        await pool.open()
        name = label or f"{who.label}: check-ins at {rate:,}/s"
        ins = OpenTally(name, who.role, rate)
        outs = OpenTally(f"{who.label}: check-outs at {rate:,}/s", who.role, rate)
        meter = CpuMeter(self.db, who.server.pid)
        answered = lambda: len(ins.latencies) + len(outs.latencies)  # noqa: E731
        with collector_paused():
            t0 = time.perf_counter() + 0.05
            begin, end = t0 + warmup, t0 + warmup + duration
            who.cycle.start(pool, ins, outs, t0, begin, end)
            await asyncio.gather(
                schedule(rate, t0, end, who.cycle.check_in),
                measure_cpu(meter, begin, end, answered, ins),
                *([alongside(begin, end)] if alongside else []),
            )
        busy = await who.cycle.settle(ABANDON_AFTER + (self.plan.hold or 0) + (end - t0) + 20)
        await pool.close()
        for tally in (ins, outs):
            tally.seconds = duration
            missing = tally.offered - tally.ok - sum(tally.other.values())
            if missing > 0:
                tally.other["unanswered"] += missing
        if busy:
            ins.other["children still busy after the window"] += busy
        if who.server.kind == "tuoyu" and who.server.env.get("BENCH_PROJECTOR") != "0":
            seconds, behind = await settle(who.server.url)
            who.settled.append(f"{rate:,}/s: {behind:,} events behind, caught up in {seconds:.1f}s")
        self.progress(
            f"  {name}: p50 {ins.percentile_ms(0.5) or 0:.1f} ms, p99 {ins.p99():.1f} ms,"
            f" {ins.ok:,}/{ins.offered:,} × 201{_other(ins)}; check-outs p99"
            f" {outs.p99():.1f} ms, {outs.ok:,}/{outs.offered:,} × 201{_other(outs)}"
            + (f"; {_others(ins.cpu[0])}" if ins.cpu else "")
        )
        return ins, outs

    async def first_visits(self, *contestants: Rates) -> None:
        """Uncounted: every child arrives and leaves once through each server, as each would
        have by mid-morning on a server that ran since opening. The world's own first cycle
        went round the command path in this process, so without this the app would meet most
        children for the first time (a cold read of their streams) in whichever measured
        window came first, and that window would measure the day's first arrivals instead.
        The same holds for each server a diagnostic starts later: a cold one, at the rate
        the warm one held, answered in seconds, not milliseconds."""
        rate = FIRST_VISITS_RATE
        seconds = self.world.children / rate + (0 if self.plan.hold is None else 1)
        self.progress(
            f"attendance: each child's first visit through each server ({seconds:.0f}s each at {rate}/s, not counted)"
        )
        for who in contestants:
            await self.window(who, rate, 0.0, seconds, f"{who.label}: first visits (not counted)")

    async def fixed_rates(self, mine: Rates, anchor: Rates) -> None:
        plan = self.plan
        self.progress(
            f"attendance 6: open loop at {', '.join(f'{r:,}' for r in plan.rates)} check-ins/s,"
            f" {plan.duration:g}s each after {plan.warmup:g}s warm-up; {collected(plan)};"
            f" {plan.connections} connections"
        )
        for n, rate in enumerate(plan.rates):
            for who in (mine, anchor) if n % 2 == 0 else (anchor, mine):
                who.windows[rate] = await self.window(who, rate, plan.warmup, plan.duration)

    async def ramp(self, who: Rates) -> None:
        """Up from the last fixed rate until a step fails; or, if a fixed rate failed, a few
        steps between the best held rate below it and it."""
        plan = self.plan
        failed = sorted(r for r in who.windows if not who.held(r))
        self.progress(
            f"attendance 6: ramp of {who.label} (held: p99 ≤ {P99_HELD_MS:g} ms, no errors)"
        )
        if not failed:
            for rate in plan.ramp:
                await self._step(who, rate)
                if not who.held(rate):
                    return
            return
        high = failed[0]
        low = max((r for r in who.windows if r < high and who.held(r)), default=0)
        for _ in range(plan.bisections):
            rate = int(round((low + high) / 2, -1)) if low else max(high // 4, 10)
            if rate in (low, high) or rate in who.windows:
                break
            await self._step(who, rate)
            low, high = (rate, high) if who.held(rate) else (low, rate)

    async def _step(self, who: Rates, rate: int) -> None:
        who.ramp.append(rate)
        who.windows[rate] = await self.window(
            who, rate, self.plan.warmup / 2, self.plan.step_duration
        )

    async def lag_window(self, mine: Rates, rate: int, duration: float) -> Lag:
        """The app at `rate` with SSE followers on a few institutions, while the NOTIFY anchor
        runs beside it on the same database."""
        plan, world = self.plan, self.world
        institutions = world.institutions[: plan.probes]
        world.mint_tokens()
        probe = SseProbe(institutions)
        await probe.start(mine.server.port, world.tokens)
        notify_rate = max(rate * len(institutions) / len(world.institutions), 5.0)
        anchor = Matcher()
        self.progress(
            f"attendance 7: projection lag at {rate:,}/s: SSE streams of {len(institutions)}"
            f" institutions; anchor INSERT + NOTIFY at {notify_rate:.0f}/s"
        )
        loop = asyncio.get_running_loop()

        async def alongside(begin: float, end: float) -> None:
            for at, on in ((begin, True), (end, False)):
                loop.call_later(at - time.perf_counter(), setattr, probe.matcher, "on", on)
            await notify_lag(self.db, notify_rate, begin, end, anchor)

        label = f"{mine.label}: check-ins at {rate:,}/s with {len(institutions)} SSE followers"
        mine.cycle.on_checked_in = probe.checked_in
        try:
            window = await self.window(mine, rate, plan.warmup, duration, label, alongside)
            await asyncio.sleep(1.0)  # stragglers of the stream
        finally:
            mine.cycle.on_checked_in = None
            await probe.stop()
        self.progress(
            f"  lag to the SSE event p50 {_ms(probe.matcher, 0.5)}, p99 {_ms(probe.matcher, 0.99)}"
            f" ({len(probe.matcher.lags):,} matched, {probe.matcher.unmatched} unmatched);"
            f" INSERT + NOTIFY p50 {_ms(anchor, 0.5)}, p99 {_ms(anchor, 0.99)} ({len(anchor.lags):,})"
        )
        return Lag(rate, duration, probe.matcher, anchor, probe, window, notify_rate)


def collected(plan: AttendancePlan) -> str:
    if plan.hold is None:
        return "children collected after each window at the pace they came (not counted)"
    return f"check-out {plan.hold:g}s after each 201"


def _others(cpu: dict[str, Any]) -> str:
    """Other processes' CPU in the window: the machine is shared, so say when it was busy."""
    ours = cpu["server_cores"] + cpu["postgres_cores"] + cpu["bench_client_cores"]
    return f"other processes {max(cpu['machine_busy_cores'] - ours, 0):.2f} cores"


def _other(tally: OpenTally) -> str:
    return f" (other: {dict(tally.other)})" if tally.other else ""


def _ms(matcher: Matcher, q: float) -> str:
    value = lag_ms(matcher, q)
    return "–" if value is None else f"{value:.1f} ms"
